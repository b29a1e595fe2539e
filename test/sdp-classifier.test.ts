// The multi-class SDP trainer and its model file: projections, the wasm products against float64,
// the Gram-form lasso against the plain one, bounds that hold for any net (SDP-sampled or
// STE-trained), and the exported .lbm against a plain evaluation of the same quantized pipeline.
import { describe, expect, it, beforeAll } from 'vitest';
import { type Lowbit, Engine } from '../src/node/index.js';
import { seeded } from '../src/sdp/solve.js';
import { plainProducts, wasmProducts } from '../src/sdp/products.js';
import { lasso, lassoGram } from '../src/sdp/lasso.js';
import { fitProjection, applyProjection } from '../src/sdp/features.js';
import { trainSdpClassifier, classifierScores, accuracy, refitOutputs } from '../src/sdp/classifier.js';
import { trainSteClassifier } from '../src/sdp/ste.js';
import { exportSdpClassifier, featureStep } from '../src/sdp/export.js';
import { runtime } from './helpers.js';

let lb: Lowbit;
beforeAll(async () => { lb = await runtime(); });

/** Gaussian blobs: `classes` fixed centres in P dims, n points drawn around them (seed). */
function blobs(n: number, P: number, classes: number, seed: number) {
  const c0 = seeded(1), centres = Float64Array.from({ length: classes * P }, () => 2 * c0.normal()), r = seeded(seed);
  const rows = new Float64Array(n * P), labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % classes;
    labels[i] = c;
    for (let k = 0; k < P; k++) rows[i * P + k] = centres[c * P + k] + r.normal();
  }
  return { rows, labels };
}

describe('SDP classifier: building blocks', () => {
  it('wasm f32 products equal the float64 ones to f32 precision on awkward shapes', () => {
    const r = seeded(5);
    for (const [n, d, rk] of [[37, 13, 7], [5, 1, 3], [130, 65, 66]]) {
      const x = Float64Array.from({ length: n * d }, r.normal), v = Float64Array.from({ length: (d + 1) * rk }, r.normal), h = Float64Array.from({ length: n * rk }, r.normal);
      const a = plainProducts(x, n, d), b = wasmProducts(lb.heap, x, n, d);
      const w1 = new Float64Array(n * rk), w2 = new Float64Array(n * rk), g1 = new Float64Array(d * rk + rk).fill(7), g2 = new Float64Array(d * rk + rk).fill(7);
      a.project(v, rk, w1); b.project(v, rk, w2);
      a.backproject(h, rk, g1); b.backproject(h, rk, g2);
      b.dispose();
      for (let i = 0; i < w1.length; i++) expect(Math.abs(w1[i] - w2[i])).toBeLessThan(1e-5 * Math.sqrt(d) * 4);
      for (let i = 0; i < d * rk; i++) expect(Math.abs(g1[i] - g2[i])).toBeLessThan(1e-5 * Math.sqrt(n) * 4);
      expect(g2.subarray(d * rk).every((v) => v === 7), 'the last row is left alone').toBe(true);
    }
  });

  it('the Gram-form lasso reaches the plain lasso optimum', () => {
    const r = seeded(9), n = 60, p = 12;
    const cols = Array.from({ length: p }, () => Float64Array.from({ length: n }, r.normal)), y = Float64Array.from({ length: n }, r.normal);
    const g = new Float64Array(p * p), fty = new Float64Array(p);
    for (let a = 0; a < p; a++) { for (let i = 0; i < n; i++) fty[a] += cols[a][i] * y[i]; for (let b = 0; b < p; b++) for (let i = 0; i < n; i++) g[a * p + b] += cols[a][i] * cols[b][i]; }
    for (const beta of [0.05, 1, 20]) {
      const want = lasso(cols, y, beta), got = lassoGram(g, fty, y.reduce((s, v) => s + v * v, 0), beta, 1e-10);
      expect(got.value).toBeCloseTo(want.value, 6);
      expect(got.lower).toBeLessThanOrEqual(got.value + 1e-9);
    }
  });

  it('PCA finds the high-variance subspace, ordered, and standardises the features', () => {
    // 3 planted directions with variances 9, 4, 1 in 20 dims, plus noise 0.01
    const r = seeded(3), n = 800, P = 20, dirs = [0, 1, 2].map(() => Float64Array.from({ length: P }, r.normal));
    dirs.forEach((u, j) => { // orthonormal (Gram-Schmidt)
      for (let i = 0; i < j; i++) { const p = u.reduce((s, v, k) => s + v * dirs[i][k], 0); u.forEach((_, k) => { u[k] -= p * dirs[i][k]; }); }
      const s = Math.hypot(...u); u.forEach((_, k) => { u[k] /= s; });
    });
    const rows = new Float64Array(n * P);
    for (let i = 0; i < n; i++) [3, 2, 1].forEach((sd, j) => { const z = sd * r.normal(); for (let k = 0; k < P; k++) rows[i * P + k] += z * dirs[j][k] + 0.01 * r.normal() / 3; });
    for (const heap of [undefined, lb.heap]) {
      const proj = fitProjection(rows, n, P, 2, { heap });
      const col = (j: number) => Float64Array.from({ length: P }, (_, k) => proj.basis[k * 2 + j]);
      // the first component is the variance-9 direction (up to sign), the second the variance-4 one
      const dot = (a: Float64Array, b: Float64Array) => a.reduce((s, v, k) => s + v * b[k], 0);
      expect(Math.abs(dot(col(0), dirs[0])) / Math.hypot(...col(0))).toBeGreaterThan(0.99);
      expect(Math.abs(dot(col(1), dirs[1])) / Math.hypot(...col(1))).toBeGreaterThan(0.98);
      const x = applyProjection(proj, rows, n);
      for (let j = 0; j < 2; j++) {
        let m = 0, v = 0;
        for (let i = 0; i < n; i++) { m += x[i * 2 + j] / n; v += x[i * 2 + j] ** 2 / n; }
        expect(Math.abs(m)).toBeLessThan(1e-6);
        expect(v).toBeCloseTo(1 / 2, 4); // unit variance / d
      }
    }
  });
});

describe('SDP classifier: training and the model file', () => {
  const P = 12, d = 6, classes = 3, n = 240;
  const train = blobs(n, P, classes, 21), test = blobs(300, P, classes, 22);
  const proj = fitProjection(train.rows, n, P, d, { method: 'pca' });
  const x = applyProjection(proj, train.rows, n), xt = applyProjection(proj, test.rows, 300);
  const beta = 0.05;
  const res = trainSdpClassifier(x, train.labels, n, d, classes, { neurons: 30, beta, maxIterations: 400, seed: 2 });

  it('classifies held-out blobs; the bounds hold for the SDP-sampled net and for an STE-trained one', () => {
    expect(accuracy(classifierScores(res.net, xt, 300), test.labels, 300, classes)).toBeGreaterThan(0.9);
    expect(res.lowerBound).toBeLessThanOrEqual(res.sdpValue + 1e-9);
    expect(res.lowerBound, 'no net with shared neurons beats the summed per-class bounds').toBeLessThanOrEqual(res.netObjective + 1e-9);
    const ste = trainSteClassifier(x, train.labels, n, d, classes, { m: 30, beta, epochs: 10, seed: 4 });
    expect(res.lowerBound).toBeLessThanOrEqual(ste.objective + 1e-9);
    // the reported objective is the refit's, recomputed from scratch
    expect(refitOutputs(x, train.labels, n, d, classes, res.net.neurons, res.net.act, beta).objective).toBeCloseTo(res.netObjective, 6);
  });

  it('the exported .lbm gives the plain evaluation of its quantized pipeline (f32 rounding) and the float net\'s classes', async () => {
    const range = 3 / Math.sqrt(d), bits = 8;
    const engine = await Engine.load(exportSdpClassifier(res.net, proj, { range, bits, input: [P] }), { runtime: lb });
    expect(engine.outputShape).toEqual([classes]);
    const input = Float32Array.from(test.rows), out = engine.run(input, 300);
    // plain reference: f32 projection, codes on the grid, exact integer sums, f32 activation and output
    const s = featureStep(range, bits), z = 2 ** (bits - 1);
    let worst = 0, same = 0;
    const floatScores = classifierScores(res.net, xt, 300);
    for (let i = 0; i < 300; i++) {
      const codes = Array.from({ length: d }, (_, j) => {
        let v = 0;
        for (let k = 0; k < P; k++) v += proj.scale[j] * proj.basis[k * d + j] * (test.rows[i * P + k] - proj.mean[k]);
        return Math.max(0, Math.min(2 * z - 1, Math.floor(v / s + 0.5) + z));
      });
      const ref = new Float64Array(classes);
      for (let j = 0; j < res.net.m; j++) {
        let acc = 0;
        for (let k = 0; k < d; k++) acc += res.net.neurons[j * d + k] * (codes[k] - z);
        const t = s * acc, h = res.net.act.a * t * t + res.net.act.b * t + res.net.act.c;
        for (let c = 0; c < classes; c++) ref[c] += res.net.alpha[c * res.net.m + j] * h;
      }
      const scale = Math.max(1, ...ref.map(Math.abs));
      for (let c = 0; c < classes; c++) worst = Math.max(worst, Math.abs(out[i * classes + c] - ref[c]) / scale);
      const arg = (v: ArrayLike<number>, o = 0) => { let b = 0; for (let c = 1; c < classes; c++) if (v[o + c] > v[o + b]) b = c; return b; };
      if (arg(out, i * classes) === arg(floatScores, i * classes)) same++;
    }
    // codes can differ from the reference only where v / s lands within f32 rounding of a half step
    expect(worst).toBeLessThan(1e-3);
    expect(same / 300).toBeGreaterThanOrEqual(0.98);
  });
});
