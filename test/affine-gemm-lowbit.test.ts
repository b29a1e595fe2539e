import { describe, expect, it, beforeAll } from 'vitest';
import fc from 'fast-check';
import { type Lowbit } from '../src/node/index.js';
import { rng, randomBytes, affineGemmRef } from './reference.js';
import { runtime, poisonHeap } from './helpers.js';

let lb: Lowbit;
beforeAll(async () => { lb = await runtime(); });

const codes = (len: number, bits: number, r: () => number) => Uint8Array.from({ length: len }, () => Math.floor(r() * (1 << bits)));

describe('affineGemmLowBit (sub-byte weight codes)', () => {
  for (const bits of [4, 2]) {
    it(`${bits}-bit codes match the MatMulInteger reference on awkward shapes and zero points`, () => {
      const r = rng(bits * 7);
      for (const k of [1, 2, 3, 15, 16, 17, 100]) for (const [m, n] of [[1, 1], [3, 5], [4, 8], [5, 9], [9, 17]]) {
        const a = randomBytes(m * k, r), b = codes(k * n, bits, r);
        const za = [0, 255, 77][(k + m) % 3], zb = [0, (1 << bits) - 1, 1][(k + n) % 3];
        poisonHeap(lb, 1 << 20);
        expect(lb.kernels.affineGemmLowBit(a, za, b, bits, zb, m, n, k), `bits=${bits} m=${m} n=${n} k=${k}`).toEqual(affineGemmRef(a, za, b, zb, m, n, k));
      }
    });
  }

  it('property: random shapes match the reference', () => {
    fc.assert(fc.property(fc.constantFrom(2, 4), fc.integer({ min: 1, max: 10 }), fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 200 }), fc.integer({ min: 0, max: 255 }), fc.integer(),
      (bits, m, n, k, za, seed) => {
        const r = rng(seed);
        const a = randomBytes(m * k, r), b = codes(k * n, bits, r), zb = Math.floor(r() * (1 << bits));
        expect(lb.kernels.affineGemmLowBit(a, za, b, bits, zb, m, n, k)).toEqual(affineGemmRef(a, za, b, zb, m, n, k));
      }), { numRuns: 60, seed: 17 });
  });

  it('rejects codes and zero points outside the bit width', () => {
    const a = new Uint8Array(4), b = new Uint8Array([1, 2, 3, 4]);
    expect(() => lb.kernels.affineGemmLowBit(a, 0, b, 2, 0, 2, 2, 2)).toThrow(/b holds the code 4, but 2-bit codes are 0\.\.3/);
    expect(() => lb.kernels.affineGemmLowBit(a, 0, b, 4, 16, 2, 2, 2)).toThrow(/bZero must be an integer in \[0, 15\]/);
    expect(() => lb.kernels.affineGemmLowBit(a, 0, b, 8, 0, 2, 2, 2)).toThrow(/bBits must be 4 or 2/);
  });
});
