// The kernels of imported models' float nodes and the ternary bit-serial step (assembly/float-graph.ts,
// assembly/bitserial.ts pairSumHalf) against plain references on awkward shapes. Threshold
// counts and integer sums are exact; float outputs match the float32 evaluation of the same formula.
import { describe, expect, it, beforeAll } from 'vitest';
import { type Lowbit } from '../src/node/index.js';
import { rng } from './reference.js';
import { runtime, poisonHeap } from './helpers.js';

let lb: Lowbit;
beforeAll(async () => { lb = await runtime(); });
const put = (a: ArrayBufferView) => { const p = lb.heap.alloc(Math.max(16, a.byteLength)); lb.heap.write(p, a); return p; };
const floats = (n: number, r: () => number, s = 4) => Float32Array.from({ length: n }, () => (r() * 2 - 1) * s);
const f32 = Math.fround;

describe('float-node kernels', () => {
  it('multiThresholdF32: code = #{k : sign x >= thr[k][c]}, channel counts not multiples of 4, ties and infinities', () => {
    const r = rng(3);
    for (const [rows, c, L] of [[1, 1, 1], [3, 5, 3], [7, 4, 15], [2, 13, 255], [5, 3, 2]]) {
      const x = floats(rows * c, r), thr = floats(L * c, r), sign = Float32Array.from({ length: c }, () => (r() < 0.5 ? -1 : 1));
      thr[0] = -Infinity; if (L > 1) thr[L * c - 1] = Infinity;
      for (let i = 0; i < rows * c; i += 3) x[i] = thr[(i % c) + c * (i % L)]; // exact ties count as reached
      poisonHeap(lb);
      const out = lb.heap.alloc(rows * c);
      lb.wasm.multiThresholdF32(put(x), rows, c, put(thr), L, put(sign), out);
      const got = lb.heap.read(Uint8Array, out, rows * c);
      for (let i = 0; i < rows * c; i++) {
        const ch = i % c, a = f32(x[i] * sign[ch]);
        let n = 0;
        for (let k = 0; k < L; k++) n += a >= thr[k * c + ch] ? 1 : 0;
        expect(got[i], `${rows}x${c} L=${L} at ${i}`).toBe(n);
      }
    }
  });

  it('thresholdUniformF32: one threshold set for every value, lengths not multiples of 16', () => {
    const r = rng(4);
    for (const [n, L, s] of [[1, 1, 1], [15, 3, 1], [16, 2, -1], [50, 255, 1], [33, 7, -1]]) {
      const x = floats(n, r), thr = Float32Array.from(floats(L, r)).sort();
      for (let i = 0; i < n; i += 4) x[i] = s * thr[i % L]; // ties
      const out = lb.heap.alloc(n);
      lb.wasm.thresholdUniformF32(put(x), n, put(thr), L, s, out);
      const got = lb.heap.read(Uint8Array, out, n);
      for (let i = 0; i < n; i++) { let c = 0; for (let k = 0; k < L; k++) c += f32(s * x[i]) >= thr[k] ? 1 : 0; expect(got[i], `n=${n} at ${i}`).toBe(c); }
    }
  });

  it('scaleBiasF32: y = scale x + bias per channel, with and without ReLU, in place', () => {
    const r = rng(5);
    for (const [rows, c, relu] of [[1, 1, 0], [3, 7, 1], [4, 8, 0], [2, 13, 1]]) {
      const x = floats(rows * c, r), sc = floats(c, r), b = floats(c, r), px = put(x);
      lb.wasm.scaleBiasF32(px, rows, c, put(sc), put(b), relu, px);
      const got = lb.heap.read(Float32Array, px, rows * c);
      for (let i = 0; i < rows * c; i++) { const v = f32(f32(x[i] * sc[i % c]) + b[i % c]); expect(got[i]).toBe(relu && !(v > 0) ? 0 : v); }
    }
  });

  it('dequantU8: y = scale code + bias per channel', () => {
    const r = rng(6);
    for (const [rows, c] of [[1, 1], [5, 3], [2, 17]]) {
      const x = Uint8Array.from({ length: rows * c }, () => Math.floor(r() * 256)), sc = floats(c, r), b = floats(c, r), out = lb.heap.alloc(rows * c * 4);
      lb.wasm.dequantU8(put(x), rows, c, put(sc), put(b), out);
      const got = lb.heap.read(Float32Array, out, rows * c);
      for (let i = 0; i < rows * c; i++) expect(got[i]).toBe(f32(f32(x[i] * sc[i % c]) + b[i % c]));
    }
  });

  it('softmaxRowsF32: rows sum to 1 and match the float64 softmax to float32 precision, large logits stay finite', () => {
    const r = rng(7);
    for (const [rows, c] of [[1, 1], [3, 5], [2, 10]]) {
      const x = floats(rows * c, r, 50);
      x[0] = 1e30;
      const px = put(x);
      lb.wasm.softmaxRowsF32(px, rows, c);
      const got = lb.heap.read(Float32Array, px, rows * c);
      for (let i = 0; i < rows; i++) {
        const row = Array.from(x.subarray(i * c, (i + 1) * c)), m = Math.max(...row), e = row.map((v) => Math.exp(v - m)), s = e.reduce((a, b) => a + b, 0);
        for (let j = 0; j < c; j++) expect(Math.abs(got[i * c + j] - e[j] / s)).toBeLessThan(1e-6);
      }
    }
  });

  it('firstNaNF32: the index of the first NaN (any lane, the tail), or -1', () => {
    // NaNs in each of the 4 vectors of a 16-value step, in a later step, in the tail; none
    for (const [n, at] of [[1, 0], [4, 3], [7, 5], [16, -1], [33, 32], [9, 1], [20, 17], [16, 9], [48, 29], [64, 44], [70, 67], [64, -1], [35, 2], [31, 15]]) {
      const x = Float32Array.from({ length: n }, (_, i) => i - 3.5);
      if (at >= 0) { x[at] = NaN; if (at + 2 < n) x[at + 2] = NaN; }
      expect(lb.wasm.firstNaNF32(put(x), n), `n=${n}`).toBe(at);
    }
  });

  it('pairSumHalf: (x[i][j] + x[i][n + j]) / 2 for even sums, in place, odd widths', () => {
    const r = rng(8);
    for (const [m, n] of [[1, 1], [3, 5], [4, 8], [2, 13]]) {
      const x = new Int32Array(m * 2 * n);
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) { const a = Math.floor((r() * 2 - 1) * 2 ** 20); x[i * 2 * n + j] = a; x[i * 2 * n + n + j] = 2 * Math.floor(r() * 1000) - a; }
      const px = put(x);
      lb.wasm.pairSumHalf(px, m, n, px);
      const got = lb.heap.read(Int32Array, px, m * n);
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) expect(got[i * n + j]).toBe((x[i * 2 * n + j] + x[i * 2 * n + n + j]) / 2);
    }
  });
});

describe('quadratic activation kernel', () => {
  it('polyF32: (a x + b) x + c elementwise, lengths not multiples of 4, in place', () => {
    const r = rng(17);
    for (const n of [1, 3, 4, 7, 33]) {
      const x = floats(n, r), [a, b, c] = [f32(0.7), f32(-1.3), f32(0.25)], px = put(x), py = lb.heap.alloc(Math.max(16, n * 4));
      lb.heap.wasm.polyF32(px, n, a, b, c, py);
      const want = Float32Array.from(x, (v) => f32(f32(f32(f32(a * v) + b) * v) + c));
      expect(Array.from(lb.heap.read(Float32Array, py, n))).toEqual(Array.from(want));
      lb.heap.wasm.polyF32(px, n, a, b, c, px);
      expect(Array.from(lb.heap.read(Float32Array, px, n))).toEqual(Array.from(want));
      lb.heap.free(px); lb.heap.free(py);
    }
  });
});

describe('requantized stream to codes', () => {
  it('clampI32ToU8: clamp(x, 0, hi) for int32 extremes, hi below 255, lengths not multiples of 16', () => {
    const r = rng(23);
    for (const [n, hi] of [[1, 255], [15, 255], [16, 31], [47, 200], [64, 1]] as const) {
      const x = Int32Array.from({ length: n }, (_, i) => (i % 7 === 0 ? [2 ** 31 - 1, -(2 ** 31), 256, -1][i % 4] : Math.round((r() * 2 - 1) * 400)));
      const px = put(x), py = lb.heap.alloc(64);
      lb.heap.wasm.clampI32ToU8(px, n, hi, py);
      const got = new Uint8Array(lb.heap.wasm.memory.buffer, py, n);
      expect(Array.from(got)).toEqual(Array.from(x, (v) => Math.max(0, Math.min(hi, v))));
      lb.heap.free(px); lb.heap.free(py);
    }
  });
});
