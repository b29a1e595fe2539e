import { describe, expect, it, beforeAll } from 'vitest';
import fc from 'fast-check';
import { type Lowbit } from '../src/node/index.js';
import { rng, randomWords, bitserialGemmRef } from './reference.js';
import { runtime, poisonHeap } from './helpers.js';

let lb: Lowbit;
beforeAll(async () => { lb = await runtime(); });

function codes(n: number, bits: number, r: () => number): Uint8Array {
  return Uint8Array.from({ length: n }, () => Math.floor(r() * (1 << bits)));
}

describe('bitserialGemm', () => {
  for (const bits of [1, 2, 3, 4, 8]) {
    it(`matches the reference for ${bits}-bit activations on awkward shapes`, () => {
      const r = rng(bits);
      for (const k of [1, 15, 16, 17, 31, 33, 64, 65, 127, 129, 1000]) for (const [m, n] of [[1, 1], [3, 17], [17, 6], [4, 64]]) {
        const a = codes(m * k, bits, r), w = randomWords(n * Math.ceil(k / 32), r); // garbage past k must be ignored
        poisonHeap(lb, 1 << 20);
        expect(lb.kernels.bitserialGemm(a, bits, w, m, n, k), `bits=${bits} m=${m} n=${n} k=${k}`).toEqual(bitserialGemmRef(a, w, m, n, k));
      }
    });
  }

  it('reaches the extremes: all codes at the top value against all +1 and all -1 weights', () => {
    const k = 3000, bits = 8;
    const a = new Uint8Array(k).fill(255);
    const w = new Uint32Array(2 * Math.ceil(k / 32));
    w.fill(0xffffffff, 0, Math.ceil(k / 32));
    expect(Array.from(lb.kernels.bitserialGemm(a, bits, w, 1, 2, k))).toEqual([255 * k, -255 * k]);
  });

  it('holds exact sums past every byte, u16 and row-block boundary of the lookup-table path', () => {
    // 4-bit codes at 15 against all +1 / all -1 rows: byte sums flush every 2 pairs of groups,
    // u16 sums every 4096 codes (k = 9000 crosses two), tables are built 64 rows at a time (m = 130)
    for (const [m, n, k] of [[130, 17, 9000], [5, 33, 4096], [4, 16, 4097]]) {
      const wpr = Math.ceil(k / 32), a = new Uint8Array(m * k).fill(15), w = new Uint32Array(n * wpr);
      for (let j = 0; j < n; j += 2) w.fill(0xffffffff, j * wpr, (j + 1) * wpr);
      const got = lb.kernels.bitserialGemm(a, 4, w, m, n, k);
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) if (got[i * n + j] !== (j % 2 ? -15 : 15) * k) throw new Error(`m=${m} n=${n} k=${k}: [${i}][${j}] = ${got[i * n + j]}`);
    }
  });

  it('property: random shapes and widths match the reference', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 14 }), fc.integer({ min: 1, max: 400 }), fc.integer(),
      (bits, m, n, k, seed) => {
        const r = rng(seed);
        const a = codes(m * k, bits, r), w = randomWords(n * Math.ceil(k / 32), r);
        expect(lb.kernels.bitserialGemm(a, bits, w, m, n, k)).toEqual(bitserialGemmRef(a, w, m, n, k));
      }), { numRuns: 60, seed: 5 });
  });

  it('rejects codes wider than the bit width, and bad widths', () => {
    const a = new Uint8Array([0, 1, 2, 16]), w = new Uint32Array(1);
    expect(() => lb.kernels.bitserialGemm(a, 4, w, 1, 1, 4)).toThrow(/a holds the code 16, but 4-bit codes are 0\.\.15/);
    expect(() => lb.kernels.bitserialGemm(a, 9, w, 1, 1, 4)).toThrow(/bits must be an integer in \[1, 8\]/);
    expect(() => lb.kernels.bitserialGemm(a, 4, new Uint32Array(2), 1, 1, 4)).toThrow(/w has 2 elements/);
  });
});
