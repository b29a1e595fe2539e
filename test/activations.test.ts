// Training activations and loss, through the raw wasm ABI.
import { describe, expect, it, beforeAll } from 'vitest';
import { type Lowbit } from '../src/node/index.js';
import { rng } from './reference.js';
import { runtime } from './helpers.js';

let lb: Lowbit;
beforeAll(async () => { lb = await runtime(); });

const put = (a: Float32Array | Uint8Array) => { const p = lb.heap.alloc(a.byteLength + 16); lb.heap.write(p, a); return p; };
const get = (p: number, n: number) => lb.heap.read(Float32Array, p, n);
const uniform = (n: number, lo: number, hi: number, r: () => number) => Float32Array.from({ length: n }, () => lo + (hi - lo) * r());

describe('quantized ReLU', () => {
  it('forward: 0 below 0, ceil(x / alpha) alpha up to L alpha (values on the boundaries included)', () => {
    const alpha = 0.25, L = 3;
    const x = new Float32Array([-1, 0, 0.1, 0.25, 0.26, 0.5, 0.74, 0.75, 0.76, 10]);
    const py = lb.heap.alloc(x.byteLength);
    lb.wasm.qreluForward(put(x), py, x.length, alpha, L);
    expect(Array.from(get(py, x.length))).toEqual([0, 0, 0.25, 0.25, 0.5, 0.5, 0.75, 0.75, 0.75, 0.75]);
  });

  it('backward: clipped-ReLU STE in x, 3-valued and 2-valued alpha gradients', () => {
    const r = rng(1), n = 200, alpha = 0.2, bits = 2, L = 3;
    const x = uniform(n, -0.5, 1.2, r), dy = uniform(n, -1, 1, r);
    const px = put(x), pdy = put(dy), pdx = lb.heap.alloc(n * 4);
    for (const [inside, name] of [[2 ** (bits - 1), '3-valued'], [0, '2-valued']] as const) {
      const da = lb.wasm.qreluBackward(px, pdy, pdx, n, alpha, L, inside);
      const dx = get(pdx, n);
      let want = 0;
      for (let i = 0; i < n; i++) {
        const within = x[i] > 0 && x[i] <= Math.fround(L * alpha);
        expect(dx[i], name).toBe(within ? dy[i] : 0);
        if (within) want += dy[i] * inside; else if (x[i] > 0) want += dy[i] * L;
      }
      expect(da, name).toBeCloseTo(want, 3);
    }
  });
});

describe('sign activation', () => {
  it('+-1 forward (sign(0) = +1) and the clipped straight-through backward', () => {
    const x = new Float32Array([-2, -1, -0.5, 0, 0.5, 1, 1.5]);
    const dy = new Float32Array([1, 2, 3, 4, 5, 6, 7]);
    const py = lb.heap.alloc(28), pdx = lb.heap.alloc(28);
    lb.wasm.signForward(put(x), py, 7);
    expect(Array.from(get(py, 7))).toEqual([-1, -1, -1, 1, 1, 1, 1]);
    lb.wasm.signBackward(put(x), put(dy), pdx, 7);
    expect(Array.from(get(pdx, 7))).toEqual([0, 2, 3, 4, 5, 6, 0]);
  });
});

describe('softmax cross-entropy', () => {
  it('loss matches a float64 reference and the gradient matches finite differences', () => {
    const r = rng(3), rows = 5, classes = 10;
    const z = uniform(rows * classes, -4, 4, r);
    const labels = Uint8Array.from({ length: rows }, () => Math.floor(r() * classes));
    const pz = put(z), pl = put(labels), pg = lb.heap.alloc(z.byteLength);
    const loss = lb.wasm.softmaxCrossEntropy(pz, pl, rows, classes, pg);
    let ref = 0;
    for (let i = 0; i < rows; i++) {
      const row = Array.from(z.subarray(i * classes, (i + 1) * classes));
      const mx = Math.max(...row), lse = Math.log(row.reduce((s, v) => s + Math.exp(v - mx), 0)) + mx;
      ref += lse - row[labels[i]];
    }
    expect(loss).toBeCloseTo(ref / rows, 5);
    const grad = get(pg, z.length);
    const h = 1e-2, scratch = lb.heap.alloc(z.byteLength);
    for (let j = 0; j < z.length; j += 7) {
      const plus = z.slice(), minus = z.slice();
      plus[j] += h; minus[j] -= h;
      lb.heap.write(pz, plus);
      const lp = lb.wasm.softmaxCrossEntropy(pz, pl, rows, classes, scratch);
      lb.heap.write(pz, minus);
      const lm = lb.wasm.softmaxCrossEntropy(pz, pl, rows, classes, scratch);
      expect(grad[j], `logit ${j}`).toBeCloseTo((lp - lm) / (2 * h), 3);
    }
  });
});
