// Atomic file writes: write a temporary file beside the target, flush it, then rename over the
// target, so a crash or a full disk never leaves a half-written checkpoint or model behind.
import { access, constants, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import { LowbitError, type LowbitErrorCode } from '../errors.js';
import { basename, dirname, join } from 'node:path';

const tempName = (path: string, pid: number) => join(dirname(path), `.${basename(path)}.${pid}.tmp`);

/** Temp files of earlier writes to `path` whose process is gone (killed mid-write): removed. */
async function removeStaleTemps(path: string): Promise<void> {
  const prefix = `.${basename(path)}.`;
  const names = await readdir(dirname(path)).catch(() => [] as string[]);
  for (const n of names) {
    const m = n.startsWith(prefix) && /^(\d+)\.tmp$/.exec(n.slice(prefix.length));
    if (!m || Number(m[1]) === process.pid) continue;
    let alive = true;
    try { process.kill(Number(m[1]), 0); } catch (e) { alive = (e as NodeJS.ErrnoException).code === 'EPERM'; }
    if (!alive) await unlink(join(dirname(path), n)).catch(() => {});
  }
}

const cannotWrite = (path: string, e: unknown) => {
  const code = (e as NodeJS.ErrnoException).code;
  const why = code === 'ENOSPC' ? 'the disk is full' : code === 'EACCES' || code === 'EPERM' || code === 'EROFS' ? 'permission denied (read-only or not yours)'
    : code === 'ENOENT' ? 'its folder does not exist' : code === 'EISDIR' ? 'it is a directory' : code ?? (e as Error).message;
  return new LowbitError('CANNOT_WRITE', `cannot write ${path}: ${why}`);
};

/**
 * Write `bytes` to `path` atomically: a temp file beside it, flushed, then renamed over it; on any
 * failure the temp file is removed and the target is left as it was. Temp files left by a killed
 * earlier write are cleaned up first.
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  await removeStaleTemps(path);
  const tmp = tempName(path, process.pid);
  let fh;
  try { fh = await open(tmp, 'w'); } catch (e) { throw cannotWrite(path, e); }
  try {
    await fh.writeFile(bytes);
    await fh.sync();
  } catch (e) {
    await fh.close().catch(() => {});
    await unlink(tmp).catch(() => {});
    throw cannotWrite(path, e);
  }
  await fh.close();
  try {
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => {});
    throw cannotWrite(path, e);
  }
}

/** Fail now, naming the flag, if `path` could not be written later: a directory, or a folder missing or read-only. */
export async function checkWritable(path: string, flag: string): Promise<void> {
  const st = await stat(path).catch(() => undefined);
  if (st?.isDirectory()) throw new LowbitError('CANNOT_WRITE', `${flag} ${path} is a directory; give a file name`);
  const dir = dirname(path);
  const dst = await stat(dir).catch(() => undefined);
  if (!dst?.isDirectory()) throw new LowbitError('CANNOT_WRITE', `${flag} ${path}: the folder ${dir} does not exist`);
  try { await access(dir, constants.W_OK); } catch { throw new LowbitError('CANNOT_WRITE', `${flag} ${path}: the folder ${dir} is not writable`); }
}

/** Size caps per kind of file read: far above any real one, far below what exhausts memory. */
export const MAX_FILE_BYTES = { model: 256 << 20, checkpoint: 1 << 30, image: 64 << 20, data: 1 << 30 } as const;

/**
 * Read a regular file of at most `maxBytes`. Devices (/dev/zero), FIFOs (which block with no
 * writer), sockets and directories are refused from their stat, before any read; so is a file over
 * the cap. Every failure is a LowbitError naming the file and the reason.
 */
export async function readFileBounded(path: string, maxBytes: number, what: string): Promise<Uint8Array> {
  const fail = (why: string, code: LowbitErrorCode = 'BAD_FILE') => new LowbitError(code, `cannot read ${what} ${path}: ${why}`);
  let st;
  try { st = await stat(path); } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw fail(code === 'ENOENT' ? 'no such file' : code ?? (e as Error).message, code === 'ENOENT' ? 'FILE_NOT_FOUND' : 'BAD_FILE');
  }
  if (!st.isFile()) throw fail(`it is ${st.isDirectory() ? 'a directory' : st.isFIFO() ? 'a FIFO (named pipe)' : st.isCharacterDevice() || st.isBlockDevice() ? 'a device' : 'not a regular file'}; pass a regular file`);
  if (st.size > maxBytes) throw fail(`it has ${st.size.toLocaleString('en-US')} bytes, more than the ${maxBytes.toLocaleString('en-US')} a ${what} may have`);
  const fh = await open(path, 'r').catch((e: NodeJS.ErrnoException) => { throw fail(e.code ?? e.message); });
  try {
    // read to the end, but never past the cap (the file may grow while it is read)
    const buf = new Uint8Array(Math.min(maxBytes + 1, st.size + 1));
    let n = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, n, buf.length - n, n);
      if (!bytesRead) break;
      n += bytesRead;
      if (n === buf.length) throw fail(n > maxBytes ? `it grew past the ${maxBytes.toLocaleString('en-US')} bytes a ${what} may have` : 'it changed while it was read');
    }
    return buf.subarray(0, n);
  } catch (e) {
    if (e instanceof LowbitError) throw e;
    throw fail((e as NodeJS.ErrnoException).code ?? (e as Error).message);
  } finally {
    await fh.close();
  }
}
