// The SDP trainer's verification facts on random small problems (n <= 40, d <= 10), against the
// global optimum found by enumerating all 2^d bipolar neurons (a lasso with a certified gap).
import { describe, expect, it } from 'vitest';
import { enumerateOptimum } from '../src/sdp/enumerate.js';
import { solveSdp, seeded } from '../src/sdp/solve.js';
import { grothendieckSampler, sampleNet, unitGram } from '../src/sdp/sample.js';
import { netObjective, type QuadNetProblem } from '../src/sdp/problem.js';
import { psdFactor, symmetricEigen } from '../src/sdp/linalg.js';
import { lasso } from '../src/sdp/lasso.js';
import { trainSte } from '../src/sdp/ste.js';

/** A random problem: Gaussian inputs, targets from a planted quantized net plus noise. */
function problem(n: number, d: number, beta: number, seed: number, act = { a: 1, b: 0.5, c: 0.1 }): QuadNetProblem {
  const r = seeded(seed), x = Float64Array.from({ length: n * d }, () => r.normal() / Math.sqrt(d));
  const y = new Float64Array(n);
  for (let j = 0; j < 3; j++) {
    const u = Array.from({ length: d }, () => (r.uniform() < 0.5 ? -1 : 1)), w = r.normal();
    for (let i = 0; i < n; i++) { let t = 0; for (let k = 0; k < d; k++) t += x[i * d + k] * u[k]; y[i] += w * (act.a * t * t + act.b * t + act.c); }
  }
  for (let i = 0; i < n; i++) y[i] += 0.1 * r.normal();
  return { x, y, n, d, act, beta };
}

describe('linear algebra and the lasso', () => {
  it('Jacobi eigen-decomposition reconstructs the matrix; the lasso gap certifies its value', () => {
    const r = seeded(3), n = 7, a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) a[i * n + j] = a[j * n + i] = r.normal();
    const { values, vectors } = symmetricEigen(a, n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += vectors[i * n + k] * values[k] * vectors[j * n + k];
      expect(s).toBeCloseTo(a[i * n + j], 10);
    }
    const { factor, clipped } = psdFactor(a, n);
    expect(clipped).toBeCloseTo(Math.min(0, values[0]), 10);
    expect(factor.every(Number.isFinite)).toBe(true);
    const cols = Array.from({ length: 5 }, () => Float64Array.from({ length: 9 }, r.normal)), y = Float64Array.from({ length: 9 }, r.normal);
    const fit = lasso(cols, y, 0.3);
    expect(fit.value - fit.lower).toBeLessThanOrEqual(1e-9 * Math.max(1, fit.value));
    expect(fit.lower).toBeLessThanOrEqual(fit.value);
  });
});

// pure TypeScript, no wasm: one project runs it
describe.skipIf(process.env.LOWBIT_EXPECT_RELAXED === '1')('SDP relaxation of two-layer quantized nets', () => {
  it('lower bound <= SDP value <= P_enum (+ tol), and every sampled net >= P_enum, on random problems', () => {
    for (let trial = 0; trial < 8; trial++) {
      const n = 10 + trial * 4, d = 2 + (trial % 7), beta = [0.01, 0.1, 0.5][trial % 3];
      const p = problem(n, d, beta, 100 + trial);
      const opt = enumerateOptimum(p);
      expect(opt.value - opt.lower, 'enumeration gap').toBeLessThanOrEqual(1e-8 * Math.max(1, opt.value));
      const sdp = solveSdp(p, { seed: trial, tol: 1e-7 });
      const tol = 1e-4 * Math.max(1, opt.value);
      expect(sdp.lower, `n ${n} d ${d} beta ${beta}: bound`).toBeLessThanOrEqual(sdp.value + 1e-12);
      expect(sdp.lower, 'the bound is below the global optimum').toBeLessThanOrEqual(opt.value + 1e-9);
      expect(sdp.value, `n ${n} d ${d} beta ${beta}: SDP <= P_enum`).toBeLessThanOrEqual(opt.value + tol);
      for (const m of [5, 20, 80]) {
        const s = sampleNet(p, sdp, m, trial);
        expect(s.value, `sampled m = ${m}`).toBeGreaterThanOrEqual(opt.value - tol);
        expect(netObjective(p, s.net)).toBeCloseTo(s.value, 6);
      }
      if (trial < 2) { // the STE baseline is a quantized net too
        const ste = trainSte(p, { m: 6, iterations: 300, seed: trial });
        expect(ste.value).toBeGreaterThanOrEqual(opt.value - tol);
        expect(netObjective(p, ste.net)).toBeCloseTo(ste.value, 6);
      }
    }
  });

  it('at beta = 0 the relaxation is tight: the SDP value equals P_enum', () => {
    for (const [n, d] of [[8, 3], [12, 4], [20, 6]]) {
      const p = problem(n, d, 0, n * 10 + d), opt = enumerateOptimum(p), sdp = solveSdp(p, { seed: 2 });
      expect(Math.abs(sdp.value - opt.value), `n ${n} d ${d}`).toBeLessThanOrEqual(1e-4 * Math.max(1, opt.value));
    }
  });

  it('at d = 1 the relaxation is exact: the certified bound and the SDP value meet P_enum', () => {
    for (const beta of [0.05, 0.3]) {
      const p = problem(15, 1, beta, 77), opt = enumerateOptimum(p), sdp = solveSdp(p, { seed: 1, tol: 1e-9 });
      expect(Math.abs(sdp.value - opt.value)).toBeLessThanOrEqual(1e-5 * Math.max(1, opt.value));
      expect(opt.value - sdp.lower).toBeLessThanOrEqual(1e-4 * Math.max(1, opt.value));
    }
  });

  it("Grothendieck's identity: sign samples reproduce Zhat within the CLT tolerance", () => {
    // Zhat = D ((1 - rho) I + rho 1 1^T) D with signs D: sin(pi/2 Zhat) is then PSD too
    const dim = 5, signs = [1, -1, 1, 1, -1], rho = 0.55;
    const zhat = Float64Array.from({ length: dim * dim }, (_, i) => { const a = Math.floor(i / dim), b = i % dim; return a === b ? 1 : signs[a] * signs[b] * rho; });
    const sampler = grothendieckSampler(zhat, dim, 4);
    const sigma = zhat.map((z) => Math.sin((Math.PI / 2) * z));
    expect(symmetricEigen(sigma, dim).values[0]).toBeGreaterThan(0); // the identity's premise
    expect(sampler.clipped).toBe(0);
    const N = 40_000, mean = new Float64Array(dim * dim), s = new Int8Array(dim);
    for (let t = 0; t < N; t++) { sampler.sample(s); for (let i = 0; i < dim; i++) for (let j = 0; j < dim; j++) mean[i * dim + j] += s[i] * s[j] / N; }
    // each entry averages +-1 values: standard error <= 1 / sqrt(N); 5 of them is far outside chance
    for (let i = 0; i < dim * dim; i++) expect(Math.abs(mean[i] - zhat[i]), `entry ${i}`).toBeLessThanOrEqual(5 / Math.sqrt(N));
  });

  it('where sin(pi/2 Zhat+-) is PSD (up to 1e-4) the SDP value equals P_enum', () => {
    let checked = 0;
    for (let seed = 1; seed <= 30 && checked < 3; seed++) {
      const p = problem(12, 3, [0.2, 0.6, 1.2][seed % 3], 300 + seed), sdp = solveSdp(p, { seed, tol: 1e-8 });
      const used = [[sdp.vPlus, sdp.tPlus], [sdp.vMinus, sdp.tMinus]].filter(([, t]) => (t as number) > 1e-9).map(([f]) => f as Float64Array);
      const psd = used.length > 0 && used.every((f) => symmetricEigen(unitGram(f, 4, sdp.rank).map((z) => Math.sin((Math.PI / 2) * z)), 4).values[0] >= -1e-4);
      if (!psd) continue;
      const opt = enumerateOptimum(p);
      expect(Math.abs(sdp.value - opt.value), `seed ${seed}`).toBeLessThanOrEqual(1e-4 * Math.max(1, opt.value));
      checked++;
    }
    expect(checked).toBeGreaterThan(0);
  });
});
