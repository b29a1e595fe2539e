// BatchNorm and max pooling for training, through the raw wasm ABI.
import { describe, expect, it, beforeAll } from 'vitest';
import { type Lowbit } from '../src/node/index.js';
import { rng, randomFloats } from './reference.js';
import { runtime } from './helpers.js';

let lb: Lowbit;
beforeAll(async () => { lb = await runtime(); });

const put = (a: Float32Array) => { const p = lb.heap.alloc(a.byteLength + 16); lb.heap.write(p, a); return p; };
const get = (p: number, n: number) => lb.heap.read(Float32Array, p, n);

/** float64 training-mode batch norm: y = gamma (x - mean) / sqrt(var + eps) + beta, biased variance. */
function bnRef(x: ArrayLike<number>, rows: number, ch: number, gamma: ArrayLike<number>, beta: ArrayLike<number>, eps: number): Float64Array {
  const y = new Float64Array(rows * ch);
  for (let c = 0; c < ch; c++) {
    let m = 0; for (let r = 0; r < rows; r++) m += x[r * ch + c]; m /= rows;
    let v = 0; for (let r = 0; r < rows; r++) v += (x[r * ch + c] - m) ** 2; v /= rows;
    for (let r = 0; r < rows; r++) y[r * ch + c] = gamma[c] * (x[r * ch + c] - m) / Math.sqrt(v + eps) + beta[c];
  }
  return y;
}

describe('batch norm', () => {
  it('forward matches float64, and backward matches finite differences in x, gamma and beta', () => {
    const r = rng(1), rows = 12, ch = 5, eps = 1e-3;
    const x = randomFloats(rows * ch, r).map((v, i) => v * (1 + (i % ch)) + (i % ch));
    const gamma = randomFloats(ch, r).map((v) => v + 1.5), beta = randomFloats(ch, r);
    const px = put(x), pg = put(gamma), pb = put(beta);
    const mean = lb.heap.alloc(ch * 4), inv = lb.heap.alloc(ch * 4), py = lb.heap.alloc(rows * ch * 4);
    lb.wasm.batchNormForward(px, rows, ch, pg, pb, eps, 0, mean, inv, py);
    const y = get(py, rows * ch), want = bnRef(x, rows, ch, gamma, beta, eps);
    for (let i = 0; i < y.length; i++) expect(y[i]).toBeCloseTo(want[i], 4);

    const dy = randomFloats(rows * ch, r);
    const pdx = lb.heap.alloc(rows * ch * 4), pdg = lb.heap.alloc(ch * 4), pdb = lb.heap.alloc(ch * 4);
    lb.wasm.batchNormBackward(px, put(dy), rows, ch, pg, mean, inv, pdx, pdg, pdb);
    const dx = get(pdx, rows * ch), dg = get(pdg, ch), db = get(pdb, ch);
    const L = (xx: ArrayLike<number>, gg: ArrayLike<number>, bb: ArrayLike<number>) => bnRef(xx, rows, ch, gg, bb, eps).reduce((s, v, i) => s + v * dy[i], 0);
    const h = 1e-4;
    const fd = (arr: Float32Array, j: number, which: 0 | 1 | 2) => {
      const p = Float64Array.from(arr), m = Float64Array.from(arr);
      p[j] += h; m[j] -= h;
      const args = (a: Float64Array): [ArrayLike<number>, ArrayLike<number>, ArrayLike<number>] => which === 0 ? [a, gamma, beta] : which === 1 ? [x, a, beta] : [x, gamma, a];
      return (L(...args(p)) - L(...args(m))) / (2 * h);
    };
    for (let j = 0; j < x.length; j += 3) expect(dx[j], `dx[${j}]`).toBeCloseTo(fd(x, j, 0), 2);
    for (let c = 0; c < ch; c++) {
      expect(dg[c], `dgamma[${c}]`).toBeCloseTo(fd(gamma, c, 1), 2);
      expect(db[c], `dbeta[${c}]`).toBeCloseTo(fd(beta, c, 2), 3);
    }
  });

  it('inference mode uses the given statistics', () => {
    const x = new Float32Array([1, 2, 3, 4]), ones = new Float32Array([1, 1]), zeros = new Float32Array([0, 0]);
    const mean = put(new Float32Array([1, 2])), inv = put(new Float32Array([0.5, 0.25])), py = lb.heap.alloc(16);
    lb.wasm.batchNormForward(put(x), 2, 2, put(ones), put(zeros), 1e-5, 1, mean, inv, py);
    expect(Array.from(get(py, 4))).toEqual([0, 0, 1, 0.5]);
  });
});

describe('max pooling', () => {
  it.each([3, 8, 6])('forward takes window maxima per channel; backward routes dy to each argmax (%i channels)', (c) => {
    const r = rng(2 + c), n = 2, h = 5, w = 4, k = 2, s = 2, oh = 2, ow = 2;
    const x = randomFloats(n * h * w * c, r);
    const py = lb.heap.alloc(n * oh * ow * c * 4), pa = lb.heap.alloc(n * oh * ow * c * 4);
    lb.wasm.maxPoolForward(put(x), n, h, w, c, k, s, oh, ow, py, pa);
    const y = get(py, n * oh * ow * c);
    let q = 0;
    for (let b = 0; b < n; b++) for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) for (let ch = 0; ch < c; ch++) {
      let m = -Infinity;
      for (let ky = 0; ky < k; ky++) for (let kx = 0; kx < k; kx++) m = Math.max(m, x[((b * h + oy * s + ky) * w + ox * s + kx) * c + ch]);
      expect(y[q++]).toBe(m);
    }
    const dy = randomFloats(y.length, r), pdx = lb.heap.alloc(x.byteLength);
    lb.wasm.maxPoolBackward(put(dy), pa, y.length, pdx, x.length);
    const dx = get(pdx, x.length);
    // each dy lands on the input holding its window's max; everything else (incl. row 4, outside every window) is 0
    let nonzero = 0;
    for (let i = 0; i < x.length; i++) if (dx[i] !== 0) { nonzero++; expect(y).toContain(x[i]); }
    expect(nonzero).toBe(y.length);
    expect(dx.reduce((a, v) => a + v, 0)).toBeCloseTo(dy.reduce((a, v) => a + v, 0), 4);
  });

  it.each([4, 5])('ties go to the first tap of the window (%i channels)', (c) => {
    const x = new Float32Array(2 * 2 * c).fill(7), py = lb.heap.alloc(c * 4), pa = lb.heap.alloc(c * 4);
    lb.wasm.maxPoolForward(put(x), 1, 2, 2, c, 2, 2, 1, 1, py, pa);
    expect(Array.from(lb.heap.read(Int32Array, pa, c))).toEqual(Array.from({ length: c }, (_, i) => i));
  });
});
