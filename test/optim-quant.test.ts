// Training building blocks: optimizer steps and weight projections in wasm, against
// plain TypeScript renderings of docs/algorithms.md, through the raw wasm ABI.
import { describe, expect, it, beforeAll } from 'vitest';
import { type Lowbit } from '../src/node/index.js';
import { rng } from './reference.js';
import { runtime } from './helpers.js';

let lb: Lowbit;
beforeAll(async () => { lb = await runtime(); });

const f32 = Math.fround;
function put(a: Float32Array): number { const p = lb.heap.alloc(a.byteLength + 16); lb.heap.write(p, a); return p; }
function get(p: number, n: number): Float32Array { return lb.heap.read(Float32Array, p, n); }
const gauss = (n: number, r: () => number) => Float32Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r()));

describe('optimizer steps', () => {
  it('sgdStep: v = mu v + g + wd w; w -= lr v (f32 arithmetic)', () => {
    const r = rng(1), n = 37;
    const w = gauss(n, r), g = gauss(n, r), v = gauss(n, r);
    const pw = put(w), pg = put(g), pv = put(v);
    lb.wasm.sgdStep(pw, pg, pv, n, 0.1, 0.9, 1e-4);
    const vi = v.map((x, i) => f32(f32(f32(0.9) * x) + f32(g[i] + f32(f32(1e-4) * w[i]))));
    expect(get(pv, n)).toEqual(vi);
    expect(get(pw, n)).toEqual(w.map((x, i) => f32(x - f32(f32(0.1) * vi[i]))));
  });

  it('adamStep matches the textbook update with bias correction', () => {
    const r = rng(2), n = 19;
    const w = gauss(n, r), g = gauss(n, r), m = new Float32Array(n), v = new Float32Array(n);
    const pw = put(w), pg = put(g), pm = put(m), pv = put(v);
    const [lr, b1, b2, eps] = [1e-3, 0.9, 0.999, 1e-8];
    lb.wasm.adamStep(pw, pg, pm, pv, n, lr, b1, b2, eps, 0, 1 - b1, 1 - b2);
    // first step from zero state: m/bc1 = g, v/bc2 = g^2, so w moves by about lr * sign(g)
    const got = get(pw, n);
    for (let i = 0; i < n; i++) expect(got[i]).toBeCloseTo(w[i] - lr * g[i] / (Math.abs(g[i]) + eps), 6);
  });

  it('blend (BCGD) and relax (BinaryRelax) are the stated convex combinations', () => {
    const r = rng(3), n = 23;
    const wf = gauss(n, r), wq = gauss(n, r);
    const pf = put(wf), pq = put(wq), po = lb.heap.alloc(n * 4 + 16);
    lb.wasm.relax(pf, pq, po, n, 3);
    const relaxed = get(po, n);
    for (let i = 0; i < n; i++) expect(relaxed[i]).toBeCloseTo((3 * wq[i] + wf[i]) / 4, 5);
    lb.wasm.blend(pf, pq, n, 1e-2);
    const blended = get(pf, n);
    for (let i = 0; i < n; i++) expect(blended[i]).toBeCloseTo(0.99 * wf[i] + 0.01 * wq[i], 5);
  });
});

describe('weight projections', () => {
  it.each([[5, 13], [1, 1], [3, 2051]])('binary: mean |w| times sign, per layer and per output channel (%i x %i)', (groups, size) => {
    const r = rng(4);
    const w = gauss(groups * size, r); w[3] = 0; // sign(0) = +1
    const po = lb.heap.alloc(w.byteLength), ps = lb.heap.alloc(groups * 4);
    lb.wasm.projectBinary(put(w), po, groups, size, ps);
    const out = get(po, w.length), scales = get(ps, groups);
    for (let gi = 0; gi < groups; gi++) {
      let s = 0; for (let i = 0; i < size; i++) s += Math.abs(w[gi * size + i]);
      expect(Math.abs(scales[gi] - s / size)).toBeLessThan(1e-6 * (s / size));
      for (let i = 0; i < size; i++) expect(out[gi * size + i]).toBe(w[gi * size + i] >= 0 ? scales[gi] : -scales[gi]);
    }
  });

  it('ternary: exact, no other support or scale has a smaller squared error', () => {
    const r = rng(5);
    for (const size of [1, 2, 7, 64, 257]) {
      const w = gauss(size, r);
      const po = lb.heap.alloc(size * 4 + 16), ps = lb.heap.alloc(16), scratch = lb.heap.alloc((2 * size + 256) * 4);
      lb.wasm.projectTernary(put(w), po, 1, size, ps, scratch);
      const out = get(po, size), alpha = get(ps, 1)[0];
      const err = (q: ArrayLike<number>) => { let e = 0; for (let i = 0; i < size; i++) e += (w[i] - q[i]) ** 2; return e; };
      const got = err(out);
      // brute force over every support "the t largest" with its best scale, the exact optimum
      const mags = Array.from(w, Math.abs).sort((a, b) => b - a);
      let best = Infinity, sum = 0;
      for (let t = 1; t <= size; t++) { sum += mags[t - 1]; best = Math.min(best, w.reduce((e, x) => e + x * x, 0) - (sum * sum) / t); }
      expect(got).toBeLessThanOrEqual(best + 1e-4 * (1 + best));
      for (const v of out) expect([0, alpha, -alpha]).toContain(v);
    }
  });

  it('k-bit uniform: integer levels within range, scale the least-squares refit', () => {
    const r = rng(6);
    for (const bits of [2, 3, 4, 8]) {
      const size = 300, L = 2 ** (bits - 1) - 1;
      const w = gauss(size, r);
      const po = lb.heap.alloc(size * 4), ps = lb.heap.alloc(4);
      lb.wasm.projectUniform(put(w), po, 1, size, bits, 4, 0, ps);
      const out = get(po, size), s = get(ps, 1)[0];
      expect(s).toBeGreaterThan(0);
      for (const v of out) {
        const lv = v / s;
        expect(Math.abs(lv - Math.round(lv))).toBeLessThan(1e-3);
        expect(Math.abs(lv)).toBeLessThanOrEqual(L + 1e-3);
      }
      // more levels fit better
      const mse = out.reduce((e, v, i) => e + (v - w[i]) ** 2, 0) / size;
      expect(mse).toBeLessThan(bits >= 4 ? 0.02 : 0.4);
    }
  });
});
