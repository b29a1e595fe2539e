// Every API that takes bytes accepts any Uint8Array view, such as the Node Buffer that
// fs.readFile returns: a slice of a larger shared pool, with a non-zero byteOffset.
import { describe, expect, it, beforeAll } from 'vitest';
import { readFile } from 'node:fs/promises';
import { type Lowbit, init, Engine, decodeModel, encodeModel, decodeCheckpoint, encodeCheckpoint, restoreCheckpoint, readIdx, decodePng, Sequential, Trainer, Dense, loadFashionMnist, SUBSET_DIR } from '../src/node/index.js';
import { encodePng } from './png-encode.js';
import { runtime } from './helpers.js';

let lb: Lowbit;
beforeAll(async () => { lb = await runtime(); });

/** `bytes` copied into the middle of a larger Buffer filled with junk, as a view at an odd offset. */
function pooled(bytes: Uint8Array): Buffer {
  const pool = Buffer.alloc(bytes.length + 4099, 0xa5);
  pool.set(bytes, 1027);
  const view = pool.subarray(1027, 1027 + bytes.length);
  expect(view.byteOffset).toBe(1027);
  expect(view.buffer.byteLength).toBeGreaterThan(bytes.length);
  return view;
}

describe('byte-taking APIs with a Buffer view into a larger pool', () => {
  it('Engine.load and decodeModel', async () => {
    const bytes = new Uint8Array(await readFile(new URL('../models/fashion-cnn-1w4a.lbm', import.meta.url)));
    const data = await loadFashionMnist(SUBSET_DIR), img = data.test.images.subarray(0, 5 * 784);
    const want = (await Engine.load(bytes, { runtime: lb })).logits(img, 5);
    const e = await Engine.load(pooled(bytes), { runtime: lb });
    expect(e.logits(pooled(img), 5)).toEqual(want);
    expect(encodeModel(decodeModel(pooled(bytes)))).toEqual(bytes);
    // readFile's own Buffer (pool-backed for small files, a view either way)
    expect((await Engine.load(await readFile(new URL('../models/fashion-cnn-1w1a.lbm', import.meta.url)), { runtime: lb })).classes).toHaveLength(10);
  });

  it('decodeCheckpoint + restoreCheckpoint, readIdx, decodePng and init', async () => {
    const model = new Sequential(lb.heap, [new Dense(3)], [4], 1);
    const t = new Trainer(model, { epochs: 1, batch: 2, lr: 0.1, optimizer: 'sgd', seed: 1 }, 4);
    const bytes = encodeCheckpoint(t, { epochs: 1 }), w = t.tensors()[0];
    const before = lb.heap.read(Float32Array, w.ptr, w.size);
    lb.heap.write(w.ptr, new Float32Array(w.size)); // clobber, then restore from the pooled view
    restoreCheckpoint(t, lb.heap, decodeCheckpoint(pooled(bytes)));
    expect(lb.heap.read(Float32Array, w.ptr, w.size)).toEqual(before);
    t.dispose(); model.dispose();

    const idx = Uint8Array.from([0, 0, 8, 1, 0, 0, 0, 3, 7, 8, 9]);
    expect(Array.from((await readIdx(pooled(idx))).data)).toEqual([7, 8, 9]);
    const px = Uint8Array.from({ length: 12 }, (_, i) => i * 20);
    expect((await decodePng(pooled(encodePng(px, 4, 3, 0)))).pixels).toEqual(px);
    const wasm = await readFile(new URL('../build/lowbit.wasm', import.meta.url));
    const lb2 = await init(pooled(new Uint8Array(wasm)));
    expect(Array.from(lb2.kernels.xnorGemm(new Uint32Array([0b1101]), new Uint32Array([0b1101, 0b0010]), 1, 2, 4))).toEqual([4, -4]);
  });

  it('kernels read typed-array views at their offset', () => {
    const a = Uint8Array.from({ length: 2 * 8 }, (_, i) => (i * 37) & 255), b = Int8Array.from({ length: 8 * 3 }, (_, i) => ((i * 11) % 19) - 9);
    const want = lb.kernels.affineGemm(a, 3, b, 1, 2, 3, 8);
    const bView = new Int8Array(pooled(new Uint8Array(b.buffer)).buffer, 1027, b.length);
    expect(lb.kernels.affineGemm(pooled(a), 3, bView, 1, 2, 3, 8)).toEqual(want);
  });
});
