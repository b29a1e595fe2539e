import { describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { init, hasWasmSimd, hasRelaxedSimd, LowbitError, wasmUrl } from '../src/node/index.js';
import { rng, randomWords, randomFloats, xnorGemmRef } from './reference.js';

describe('runtime', () => {
  it('reports SIMD support on this host', () => {
    expect(hasWasmSimd()).toBe(true);
  });

  it('loads from bytes, an ArrayBuffer, a WebAssembly.Module, a file URL and by default', async () => {
    const bytes = new Uint8Array(await readFile(wasmUrl));
    const sources = [bytes, bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength), await WebAssembly.compile(bytes), wasmUrl, undefined];
    const a = randomWords(3 * 2, rng(1)), b = randomWords(5 * 2, rng(2));
    for (const src of sources) {
      const lb = await init(src as never);
      expect(lb.kernels.xnorGemm(a, b, 3, 5, 40)).toEqual(xnorGemmRef(a, b, 3, 5, 40));
    }
  });

  it('loads through fetch from an http URL and a Response', async () => {
    const bytes = new Uint8Array(await readFile(wasmUrl));
    const lb = await init(new Response(bytes, { headers: { 'content-type': 'application/wasm' } }));
    expect(Array.from(lb.kernels.xnorGemm(new Uint32Array([1]), new Uint32Array([1]), 1, 1, 1))).toEqual([1]);
    await expect(init('http://127.0.0.1:9/lowbit.wasm')).rejects.toMatchObject({ code: 'WASM_LOAD' });
  });

  it('rejects bytes that are not lowbit.wasm with a LowbitError', async () => {
    await expect(init(new Uint8Array([1, 2, 3, 4]))).rejects.toMatchObject({ name: 'LowbitError', code: 'WASM_INVALID' });
    // a valid module without lowbit's exports
    const empty = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]);
    await expect(init(empty)).rejects.toMatchObject({ code: 'WASM_INVALID' });
    await expect(init(42 as never)).rejects.toBeInstanceOf(LowbitError);
  });

  it('does not leak: thousands of kernel calls keep memory bounded', async () => {
    const lb = await init();
    const r = rng(5);
    const a = randomWords(64 * 32, r), b = randomWords(96 * 32, r);
    const x = randomWords(2 * 14 * 14 * 2, r), w = randomWords(32 * 9 * 2, r);
    const fa = randomFloats(33 * 70, r), fb = randomFloats(70 * 20, r);
    const opts = { batch: 2, height: 14, width: 14, channels: 40, filters: 32, kernelSize: 3, padding: 'same-zero' as const };
    const thr = { thresholds: new Int32Array(32) };
    const round = () => {
      lb.kernels.xnorGemm(a, b, 64, 96, 1024);
      lb.kernels.sgemm(fa, fb, 33, 20, 70);
      lb.kernels.binaryConv2d(x, w, opts);
      lb.kernels.binaryConv2d(x, w, opts, thr);
      lb.kernels.packSigns(fa, 33, 70);
      try { lb.kernels.xnorGemm(a, b, 64, 97, 1024); } catch { /* wrong shape: must not leak either */ }
    };
    for (let i = 0; i < 50; i++) round();
    const settled = lb.memoryBytes();
    for (let i = 0; i < 3000; i++) round();
    expect(lb.memoryBytes()).toBe(settled);
  });

  it('an impossible allocation is a LowbitError, and the runtime keeps working', async () => {
    const lb = await init();
    expect(() => lb.heap.alloc(3 * 2 ** 30)).toThrow(expect.objectContaining({ code: 'OUT_OF_MEMORY' }));
    expect(() => lb.kernels.sgemm(new Float32Array(1), new Float32Array(1), 1, 1, 1)).not.toThrow();
  });

  it('past 2 GiB of wasm memory, memoryBytes and the out-of-memory message give the true size', async () => {
    const lb = await init();
    for (let i = 0; i < 3; i++) lb.heap.alloc(2 ** 30 - 2 ** 20); // untouched pages: cheap; one block stays below 1 GiB
    expect(lb.memoryBytes()).toBeGreaterThan(2 ** 31);
    expect(() => lb.heap.alloc(2 ** 30)).toThrow(/cannot allocate 1024\.0 MiB of wasm memory \([34]\d{3} MiB in use, 4096 MiB at most\)/);
  });
});

describe('output arrays', () => {
  it('fill a given out array and return it, and reject one of the wrong type or length', async () => {
    const lb = await init();
    const r = rng(9);
    const a = randomWords(3 * 2, r), b = randomWords(5 * 2, r);
    const out = new Int32Array(15).fill(12345);
    expect(lb.kernels.xnorGemm(a, b, 3, 5, 50, out)).toBe(out);
    expect(out).toEqual(xnorGemmRef(a, b, 3, 5, 50));
    expect(() => lb.kernels.xnorGemm(a, b, 3, 5, 50, new Int32Array(14))).toThrow(/out has 14 elements but m x n = 3 x 5 needs 15/);
    expect(() => lb.kernels.xnorGemm(a, b, 3, 5, 50, new Float32Array(15) as never)).toThrow(/out must be an Int32Array, got Float32Array/);
    const fa = randomFloats(6, r), fb = randomFloats(6, r), fo = new Float32Array(4);
    expect(lb.kernels.sgemm(fa, fb, 2, 2, 3, fo)).toBe(fo);
    expect(Array.from(fo)).toEqual(Array.from(lb.kernels.sgemm(fa, fb, 2, 2, 3)));
    const x = randomWords(4 * 4 * 2, r), w = randomWords(2 * 9 * 2, r);
    const opts = { height: 4, width: 4, channels: 10, filters: 2, kernelSize: 3, padding: 'same-zero' as const };
    const sums = lb.kernels.binaryConv2d(x, w, opts);
    const co = new Int32Array(32);
    expect(lb.kernels.binaryConv2d(x, w, { ...opts, out: co })).toBe(co);
    expect(co).toEqual(sums);
    const bo = new Uint32Array(16 * 2);
    const thr = { thresholds: new Int32Array([0, 3]) };
    expect(lb.kernels.binaryConv2d(x, w, { ...opts, out: bo }, thr)).toBe(bo);
    expect(bo).toEqual(lb.kernels.binaryConv2d(x, w, opts, thr));
    expect(() => lb.kernels.binaryConv2d(x, w, { ...opts, out: new Int32Array(32) as never }, thr)).toThrow(/out must be a Uint32Array/);
  });
});

describe('wasm builds', () => {
  it('init() loads the relaxed-SIMD build exactly where the host validates it', async () => {
    const expectRelaxed = process.env.LOWBIT_EXPECT_RELAXED === '1'; // set by vitest.config.ts per project
    expect(hasRelaxedSimd()).toBe(expectRelaxed);
    expect((await init()).relaxedSimd).toBe(expectRelaxed);
    expect((await init(undefined, { build: 'baseline' })).relaxedSimd).toBe(false);
    if (expectRelaxed) {
      expect((await init(undefined, { build: 'relaxed' })).relaxedSimd).toBe(true);
    } else {
      await expect(init(undefined, { build: 'relaxed' })).rejects.toMatchObject({ code: 'NO_RELAXED_SIMD' });
    }
    await expect(init(undefined, { build: 'fast' as never })).rejects.toMatchObject({ code: 'BAD_ARGUMENT' });
  });
});
