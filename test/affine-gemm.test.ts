import { describe, expect, it, beforeAll } from 'vitest';
import fc from 'fast-check';
import { LowbitError, type Lowbit } from '../src/node/index.js';
import { rng, randomBytes, affineGemmRef } from './reference.js';
import { runtime, poisonHeap } from './helpers.js';

let lb: Lowbit;
beforeAll(async () => { lb = await runtime(); });

const KS = [1, 2, 7, 15, 16, 17, 33, 100, 255];
const MNS = [1, 3, 4, 5, 9, 17];

describe('affineGemm (MatMulInteger semantics)', () => {
  for (const signed of [true, false]) {
    const type = signed ? 'i8' : 'u8';
    it(`matches the reference, u8 x ${type}, awkward shapes and extreme zero points`, () => {
      const r = rng(signed ? 1 : 2);
      const zeros: [number, number][] = signed ? [[0, 0], [255, -128], [0, 127], [128, -3]] : [[0, 0], [255, 255], [0, 255], [7, 128]];
      for (const k of KS) for (const m of MNS) for (const n of MNS) {
        const [za, zb] = zeros[(k + m + n) % zeros.length];
        const a = randomBytes(m * k, r);
        const b8 = randomBytes(k * n, r);
        const b = signed ? new Int8Array(b8.buffer) : b8;
        poisonHeap(lb, 1 << 20);
        expect(lb.kernels.affineGemm(a, za, b, zb, m, n, k), `m=${m} n=${n} k=${k} za=${za} zb=${zb}`).toEqual(affineGemmRef(a, za, b, zb, m, n, k));
      }
    });
  }

  it('is exact at the int32 bound: k = 33025 products of magnitude 255 * 255', () => {
    // (0 - 255) * (-128 - 127) = 65025 per term: 33025 * 65025 = 2147450625 < 2^31
    const k = 33025;
    const a = new Uint8Array(k); // all 0, za = 255
    const b = new Int8Array(k * 2).fill(-128); // zb = 127
    for (let t = 0; t < k; t++) b[t * 2 + 1] = 127; // second column: (0 - 255) * (127 - 127) = 0
    expect(Array.from(lb.kernels.affineGemm(a, 255, b, 127, 1, 2, k))).toEqual([33025 * 65025, 0]);
    const neg = new Uint8Array(k).fill(255); // (255 - 0) * (-128 - 127) = -65025
    expect(Array.from(lb.kernels.affineGemm(neg, 0, b, 127, 1, 2, k))).toEqual([-33025 * 65025, 0]);
  });

  it('property: random shapes and zero points match the reference', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 13 }), fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 300 }),
      fc.integer({ min: 0, max: 255 }), fc.integer({ min: -128, max: 127 }), fc.boolean(), fc.integer(),
      (m, n, k, za, zbs, signed, seed) => {
        const r = rng(seed);
        const a = randomBytes(m * k, r), b8 = randomBytes(k * n, r);
        const b = signed ? new Int8Array(b8.buffer) : b8;
        const zb = signed ? zbs : zbs + 128;
        expect(lb.kernels.affineGemm(a, za, b, zb, m, n, k)).toEqual(affineGemmRef(a, za, b, zb, m, n, k));
      }), { numRuns: 80, seed: 11 });
  });

  it('takes one zero point per column of b (per output channel)', () => {
    const r = rng(8);
    for (const signed of [true, false]) for (const [m, n, k] of [[3, 5, 7], [9, 17, 33], [4, 8, 100]]) {
      const a = randomBytes(m * k, r), b8 = randomBytes(k * n, r);
      const b = signed ? new Int8Array(b8.buffer) : b8;
      const zb = Array.from({ length: n }, () => (signed ? Math.floor(r() * 256) - 128 : Math.floor(r() * 256)));
      expect(lb.kernels.affineGemm(a, 9, b, zb, m, n, k), `m=${m} n=${n} k=${k}`).toEqual(affineGemmRef(a, 9, b, zb, m, n, k));
    }
    expect(() => lb.kernels.affineGemm(new Uint8Array(2), 0, new Int8Array(4), [0, 1, 2], 1, 2, 2)).toThrow(/bZero \(b is Int8Array\) must be a number or one per output channel \(2\), got 3 values/);
    expect(() => lb.kernels.affineGemm(new Uint8Array(2), 0, new Int8Array(4), [0, 200], 1, 2, 2)).toThrow(/bZero \(b is Int8Array\)\[1\] must be an integer in \[-128, 127\], got 200/);
  });

  it('rejects bad arguments by name', () => {
    const a = new Uint8Array(6), b = new Int8Array(6);
    expect(() => lb.kernels.affineGemm(a, 0, b, 0, 2, 3, 4)).toThrow(/a has 6 elements but m x k = 2 x 4 needs 8/);
    expect(() => lb.kernels.affineGemm(a, 256, b, 0, 2, 2, 3)).toThrow(/aZero must be an integer in \[0, 255\], got 256/);
    expect(() => lb.kernels.affineGemm(a, 0, b, 128, 2, 2, 3)).toThrow(/bZero \(b is Int8Array\) must be an integer in \[-128, 127\]/);
    expect(() => lb.kernels.affineGemm(a, 0, new Uint8Array(6), -1, 2, 2, 3)).toThrow(/bZero \(b is Uint8Array\) must be an integer in \[0, 255\]/);
    expect(() => lb.kernels.affineGemm(a, 0, new Int16Array(6) as never, 0, 2, 2, 3)).toThrow(/b must be an Int8Array or a Uint8Array, got Int16Array/);
    expect(() => lb.kernels.affineGemm(new Int8Array(6) as never, 0, b, 0, 2, 2, 3)).toThrow(LowbitError);
  });
});
