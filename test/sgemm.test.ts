import { describe, expect, it, beforeAll } from 'vitest';
import fc from 'fast-check';
import { LowbitError, type Lowbit } from '../src/node/index.js';
import { rng, randomFloats, sgemmRef } from './reference.js';
import { runtime, poisonHeap } from './helpers.js';

let lb: Lowbit;
beforeAll(async () => { lb = await runtime(); });

/** |got - want| <= (k + 2) u sum_t |a_it b_tj|: the worst-case f32 summation bound (u = 2^-24), any order. */
function expectClose(got: Float32Array, a: Float32Array, b: Float32Array, m: number, n: number, k: number) {
  const want = sgemmRef(a, b, m, n, k);
  const absA = a.map(Math.abs), absB = b.map(Math.abs);
  const scale = sgemmRef(absA, absB, m, n, k);
  const tol = (k + 2) * 2 ** -24;
  for (let i = 0; i < m * n; i++) {
    if (!(Math.abs(got[i] - want[i]) <= tol * scale[i] + 1e-30)) {
      throw new Error(`sgemm ${m}x${k}x${n}: out[${i}] = ${got[i]}, want ${want[i]} (scale ${scale[i]})`);
    }
  }
}

describe('sgemm', () => {
  const shapes: [number, number, number][] = [];
  for (const m of [1, 2, 3, 4, 5, 17, 64, 67]) for (const n of [1, 3, 8, 17, 64]) for (const k of [1, 31, 33, 257, 600]) shapes.push([m, n, k]);
  it(`matches the reference on ${shapes.length} shapes (both the row-streaming and the packed path, K blocks)`, () => {
    const r = rng(1);
    for (const [m, n, k] of shapes) {
      const a = randomFloats(m * k, r), b = randomFloats(k * n, r);
      poisonHeap(lb);
      expectClose(lb.kernels.sgemm(a, b, m, n, k), a, b, m, n, k);
    }
  });

  it('is exact on small integers', () => {
    const m = 9, n = 11, k = 300, r = rng(3);
    const a = new Float32Array(m * k).map(() => Math.floor(r() * 7) - 3);
    const b = new Float32Array(k * n).map(() => Math.floor(r() * 7) - 3);
    expect(Array.from(lb.kernels.sgemm(a, b, m, n, k))).toEqual(Array.from(sgemmRef(a, b, m, n, k)));
  });

  it('property: random shapes match the reference', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 300 }), fc.integer(),
      (m, n, k, seed) => {
        const r = rng(seed);
        const a = randomFloats(m * k, r), b = randomFloats(k * n, r);
        expectClose(lb.kernels.sgemm(a, b, m, n, k), a, b, m, n, k);
      }), { numRuns: 50, seed: 7 });
  });

  it('rejects wrong arguments', () => {
    expect(() => lb.kernels.sgemm(new Float32Array(6), new Float32Array(6), 2, 3, 3)).toThrow(/^b has 6 elements but k x n = 3 x 3 needs 9/);
    expect(() => lb.kernels.sgemm(new Float32Array(6), new Float32Array(6), 2, 2, -3)).toThrow(LowbitError);
    expect(() => lb.kernels.sgemm([1, 2] as unknown as Float32Array, new Float32Array(2), 1, 1, 2)).toThrow(/a must be a Float32Array, got Array/);
  });
});
