import { describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseIdx, readIdx, imageSet, loadFashionMnist, SUBSET_DIR, DEBIAN_FASHION_MNIST, LowbitError } from '../src/node/index.js';

/** An IDX file of unsigned bytes with the given dims and data. */
function idxBytes(dims: number[], data: Uint8Array): Uint8Array {
  const head = new Uint8Array(4 + 4 * dims.length);
  head[2] = 0x08;
  head[3] = dims.length;
  const v = new DataView(head.buffer);
  dims.forEach((d, i) => v.setUint32(4 + 4 * i, d, false));
  const out = new Uint8Array(head.length + data.length);
  out.set(head);
  out.set(data, head.length);
  return out;
}

const code = async (p: Promise<unknown> | (() => unknown)) => {
  try { await (typeof p === 'function' ? p() : p); } catch (e) { return e instanceof LowbitError ? `${e.code}: ${e.message}` : `not LowbitError: ${e}`; }
  return 'no error';
};

describe('IDX reader', () => {
  it('a gzip bomb is refused at the output cap without inflating the rest', async () => {
    const { gunzip } = await import('../src/data/idx.js');
    const bomb = gzipSync(new Uint8Array(64 << 20), { level: 9 }); // 64 MiB of zeros in ~64 KB
    const t0 = performance.now(), rss0 = process.memoryUsage().rss;
    expect(await code(gunzip(bomb, 'bomb.gz', 1 << 20))).toMatch(/^BAD_DATA: bomb.gz inflates past 1,048,576 bytes, more than an IDX file may hold/);
    expect(performance.now() - t0).toBeLessThan(500);
    expect(process.memoryUsage().rss - rss0).toBeLessThan(32 << 20);
    expect((await gunzip(gzipSync(Uint8Array.of(1, 2, 3)), 'small.gz', 3)).length).toBe(3); // exactly at the cap is fine
    expect(await code(gunzip(Uint8Array.of(0x1f, 0x8b, 8, 0, 1, 2, 3), 'junk.gz'))).toMatch(/^BAD_DATA: junk.gz is not valid gzip/);
  });

  it('parses dims and data, gzipped or not', async () => {
    const data = Uint8Array.from({ length: 2 * 3 * 4 }, (_, i) => i * 7);
    const raw = idxBytes([2, 3, 4], data);
    for (const bytes of [raw, new Uint8Array(gzipSync(raw))]) {
      const a = await readIdx(bytes);
      expect(a.dims).toEqual([2, 3, 4]);
      expect(a.data).toEqual(data);
    }
  });

  it('names what is wrong: magic, type, dimensions, truncation, corrupt gzip', async () => {
    const good = idxBytes([3, 2], new Uint8Array(6));
    expect(await code(() => parseIdx(new Uint8Array([1, 2, 3, 4]), 'f'))).toMatch(/^BAD_DATA: f is not an IDX file/);
    const wrongType = good.slice(); wrongType[2] = 0x0d;
    expect(await code(() => parseIdx(wrongType, 'f'))).toMatch(/only unsigned bytes \(0x08\) are supported/);
    const noDims = good.slice(); noDims[3] = 0;
    expect(await code(() => parseIdx(noDims, 'f'))).toMatch(/declares 0 dimensions/);
    expect(await code(() => parseIdx(good.subarray(0, 9), 'f'))).toMatch(/truncated inside its header/);
    expect(await code(() => parseIdx(good.subarray(0, good.length - 1), 'f'))).toMatch(/declares 3 x 2 = 6 bytes of data but holds 5/);
    const huge = good.slice(); huge[4] = 0xff;
    expect(await code(() => parseIdx(huge, 'f'))).toMatch(/bytes of data but holds 6/);
    const gz = new Uint8Array(gzipSync(good));
    expect(await code(readIdx(gz.subarray(0, gz.length - 6), 'g'))).toMatch(/^BAD_DATA: g is not valid gzip/);
  });

  it('pairs images with labels, checking counts and classes', async () => {
    const imgs = parseIdx(idxBytes([2, 2, 2], new Uint8Array(8)));
    expect(imageSet(imgs, parseIdx(idxBytes([2], new Uint8Array([3, 9]))), 10).count).toBe(2);
    expect(await code(() => imageSet(imgs, parseIdx(idxBytes([3], new Uint8Array(3))), 10))).toMatch(/2 images but 3 labels/);
    expect(await code(() => imageSet(imgs, parseIdx(idxBytes([2], new Uint8Array([1, 10]))), 10))).toMatch(/label 10 at 1 is not a class \(0\.\.9\)/);
  });
});

describe('Fashion-MNIST loading', () => {
  it('the shipped subset: 300 training and 100 test images per class, 28 x 28', async () => {
    const d = await loadFashionMnist(SUBSET_DIR);
    expect([d.train.count, d.test.count, d.train.height, d.train.width]).toEqual([3000, 1000, 28, 28]);
    for (const [set, per] of [[d.train, 300], [d.test, 100]] as const) {
      const counts = new Array(10).fill(0);
      for (const l of set.labels) counts[l]++;
      expect(counts).toEqual(new Array(10).fill(per));
      let max = 0; for (const p of set.images) max = Math.max(max, p);
      expect(max).toBe(255);
    }
    expect(d.classes[9]).toBe('Ankle boot');
  });

  it('a missing folder or file is a DATA_MISSING error that says how to fix it', async () => {
    expect(await code(loadFashionMnist('/nonexistent/fashion'))).toMatch(/^DATA_MISSING: --data \/nonexistent\/fashion does not exist/);
    const empty = await mkdtemp(join(tmpdir(), 'lowbit-data-'));
    await writeFile(join(empty, 'train-images-idx3-ubyte'), idxBytes([1, 28, 28], new Uint8Array(784)));
    expect(await code(loadFashionMnist(empty))).toMatch(/no train-labels-idx1-ubyte\(\.gz\) in .*apt-get install dataset-fashion-mnist/);
  });

  const debian = existsSync(join(DEBIAN_FASHION_MNIST, 't10k-images-idx3-ubyte.gz'));
  // the full set comes from Debian's dataset-fashion-mnist (.ci/run installs it)
  it.skipIf(!debian && process.env.LOWBIT_CI !== '1')('the full set from the Debian package: 60000 + 10000 images', async () => {
    const d = await loadFashionMnist(DEBIAN_FASHION_MNIST);
    expect([d.train.count, d.test.count]).toEqual([60000, 10000]);
  });
});
