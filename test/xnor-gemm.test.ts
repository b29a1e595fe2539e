import { describe, expect, it, beforeAll } from 'vitest';
import fc from 'fast-check';
import { LowbitError, type Lowbit } from '../src/node/index.js';
import { rng, randomWords, xnorGemmRef } from './reference.js';
import { runtime, poisonHeap } from './helpers.js';

const KS = [1, 31, 32, 33, 63, 64, 65, 127, 129, 1000];
const MNS = [1, 3, 17, 64];

let lb: Lowbit;
beforeAll(async () => { lb = await runtime(); });

describe('xnorGemm', () => {
  for (const k of KS) {
    it(`matches the reference for k=${k}, m,n in ${MNS.join(',')}`, () => {
      const r = rng(k);
      const w = Math.ceil(k / 32);
      for (const m of MNS) for (const n of MNS) {
        // random words: bits past k are garbage and must be ignored
        const a = randomWords(m * w, r), b = randomWords(n * w, r);
        poisonHeap(lb);
        const got = lb.kernels.xnorGemm(a, b, m, n, k);
        expect(got, `m=${m} n=${n} k=${k}`).toEqual(xnorGemmRef(a, b, m, n, k));
      }
    });
  }

  it('handles K spanning several byte-accumulator blocks (k = 31*128*2 + 5)', () => {
    const k = 31 * 128 * 2 + 5, m = 5, n = 13, w = Math.ceil(k / 32);
    const r = rng(7);
    const a = randomWords(m * w, r), b = randomWords(n * w, r);
    expect(lb.kernels.xnorGemm(a, b, m, n, k)).toEqual(xnorGemmRef(a, b, m, n, k));
  });

  it('reaches the extremes -k and k', () => {
    const k = 4000, w = Math.ceil(k / 32);
    const ones = new Uint32Array(w).fill(0xffffffff), zeros = new Uint32Array(w);
    const b = new Uint32Array(2 * w);
    b.set(ones, 0);
    expect(Array.from(lb.kernels.xnorGemm(ones, b, 1, 2, k))).toEqual([k, -k]);
    expect(Array.from(lb.kernels.xnorGemm(zeros, b, 1, 2, k))).toEqual([-k, k]);
  });

  it('property: equals the reference and is symmetric under swapping a and b', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 15 }), fc.integer({ min: 1, max: 700 }), fc.integer(),
      (m, n, k, seed) => {
        const r = rng(seed), w = Math.ceil(k / 32);
        const a = randomWords(m * w, r), b = randomWords(n * w, r);
        const ab = lb.kernels.xnorGemm(a, b, m, n, k);
        const ba = lb.kernels.xnorGemm(b, a, n, m, k);
        expect(ab).toEqual(xnorGemmRef(a, b, m, n, k));
        for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) expect(ab[i * n + j]).toBe(ba[j * m + i]);
        // parity: k - 2*popcount has the parity of k
        for (const v of ab) expect(((v - k) % 2 + 2) % 2).toBe(0);
      }), { numRuns: 60, seed: 42 });
  });

  it('rejects wrong arguments with a LowbitError naming them', () => {
    const a = new Uint32Array(2), b = new Uint32Array(3);
    const err = (f: () => unknown) => { try { f(); } catch (e) { return e; } return null; };
    let e = err(() => lb.kernels.xnorGemm(a, b, 1, 2, 64));
    expect(e).toBeInstanceOf(LowbitError);
    expect((e as LowbitError).code).toBe('BAD_SHAPE');
    expect((e as LowbitError).message).toMatch(/^b has 3 elements/);
    e = err(() => lb.kernels.xnorGemm(a, b, 0, 2, 64));
    expect((e as LowbitError).message).toMatch(/^m must be an integer/);
    e = err(() => lb.kernels.xnorGemm(a, b, 1, 1.5, 64));
    expect((e as LowbitError).message).toMatch(/^n must be an integer/);
    e = err(() => lb.kernels.xnorGemm(new Int32Array(2) as unknown as Uint32Array, b, 1, 1, 64));
    expect((e as LowbitError).message).toMatch(/^a must be a Uint32Array, got Int32Array/);
    e = err(() => lb.kernels.xnorGemm(a, b, 1, 1, NaN));
    expect((e as LowbitError).code).toBe('BAD_ARGUMENT');
  });
});
