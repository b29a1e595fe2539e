// Atomic writes (a failed write leaves the old file whole and no temp file) and checkpoints with
// trailing bytes or a tampered header.
import { describe, expect, it, vi, beforeAll } from 'vitest';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let failSync = false;
vi.mock('node:fs/promises', async (importOriginal) => {
  const orig = await importOriginal<typeof import('node:fs/promises')>();
  return {
    ...orig,
    open: async (...args: Parameters<typeof orig.open>) => {
      const fh = await orig.open(...args);
      if (failSync) fh.sync = async () => { throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' }); };
      return fh;
    },
  };
});

const { writeFileAtomic } = await import('../src/node/files.js');
const { Sequential, Trainer, Dense, encodeCheckpoint, decodeCheckpoint, LowbitError } = await import('../src/node/index.js');
const { crc32 } = await import('../src/crc32.js');
const { runtime } = await import('./helpers.js');

describe('writeFileAtomic', () => {
  it('a write that fails (disk full) leaves the old file as it was and no temp file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lowbit-atomic-')), target = join(dir, 'model.lbm');
    await writeFile(target, 'old contents');
    failSync = true;
    let err: unknown;
    try { await writeFileAtomic(target, new Uint8Array(1 << 16).fill(7)); } catch (e) { err = e; } finally { failSync = false; }
    expect(err).toBeInstanceOf(LowbitError);
    expect((err as Error).message).toMatch(/cannot write .*model.lbm: the disk is full/);
    expect(await readFile(target, 'utf8')).toBe('old contents');
    expect(await readdir(dir)).toEqual(['model.lbm']);
    await writeFileAtomic(target, new Uint8Array([1, 2, 3]));
    expect(Array.from(await readFile(target))).toEqual([1, 2, 3]);
  });
});

describe('checkpoint header and length checks', () => {
  let good: Uint8Array;
  beforeAll(async () => {
    const lb = await runtime();
    const model = new Sequential(lb.heap, [new Dense(3)], [4], 1);
    const t = new Trainer(model, { epochs: 2, batch: 2, lr: 0.1, optimizer: 'sgd', seed: 1 }, 4);
    good = encodeCheckpoint(t, { epochs: 2 });
    t.dispose(); model.dispose();
  });
  const refit = (b: Uint8Array) => { new DataView(b.buffer).setUint32(16, crc32(b.subarray(20)), true); return b; };
  const withHeader = (edit: (h: Record<string, unknown>) => void) => {
    const dv = new DataView(good.buffer), len = dv.getUint32(12, true);
    const h = JSON.parse(new TextDecoder().decode(good.subarray(20, 20 + len)));
    edit(h);
    const json = new TextEncoder().encode(JSON.stringify(h)), data = good.subarray((20 + len + 3) & ~3), start = (20 + json.length + 3) & ~3;
    const out = new Uint8Array(start + data.length);
    out.set(good.subarray(0, 20));
    new DataView(out.buffer).setUint32(12, json.length, true);
    out.set(json, 20);
    out.set(data, start);
    return refit(out);
  };

  it('refuses trailing bytes, a tampered epoch and a malformed history, by name', () => {
    expect(decodeCheckpoint(good).header.scalars.epoch).toBe(0);
    const trailing = refit(Uint8Array.from([...good, 0, 0, 0, 0]));
    expect(() => decodeCheckpoint(trailing)).toThrow(/the tensors need \d+ bytes but \d+ follow the header; the file is truncated, has trailing bytes/);
    expect(() => decodeCheckpoint(Uint8Array.from([...good, 1]))).toThrow(/checksum mismatch/); // the checksum covers the header and tensors
    for (const epoch of [-5, 1.5, 1e9, 3]) expect(() => decodeCheckpoint(withHeader((h) => { (h.scalars as Record<string, number>).epoch = epoch; })), String(epoch)).toThrow(/epoch .* is not a whole number of completed epochs in \[0, 2\]/);
    expect(() => decodeCheckpoint(withHeader((h) => { h.history = 7; }))).toThrow(/history is not an array of epoch summaries/);
    const tampered = good.slice(); tampered[30] ^= 1; // a header byte, checksum not refitted
    expect(() => decodeCheckpoint(tampered)).toThrow(/checksum mismatch/);
  });
});
