// The baseline the SDP trainer is compared with: the same two-layer quantized net trained by a
// straight-through estimator, as quantized nets usually are. Float shadow weights W (m x d) give
// the neurons u = sign(W) in the forward pass; the backward pass treats sign as the identity inside
// [-1, 1] (the clipped STE); Adam updates W and alpha, and alpha's l1 term is applied by a
// proximal (soft-threshold) step. Full batch (the problems are small). The output weights of the
// final neurons are then refit by the lasso, so the comparison gives the baseline its best alpha.
import { lasso } from './lasso.js';
import { checkProblem, neuronFeature, type QuadNet, type QuadNetProblem } from './problem.js';
import { seeded } from './solve.js';

export interface SteOptions { m: number; iterations?: number; lr?: number; seed?: number }

export function trainSte(p: QuadNetProblem, o: SteOptions): { net: QuadNet; value: number } {
  checkProblem(p);
  const { n, d } = p, m = o.m, iters = o.iterations ?? 2000, lr = o.lr ?? 0.01, rand = seeded(o.seed ?? 1);
  const { a, b, c } = p.act;
  const w = Float64Array.from({ length: m * d }, () => rand.normal() * 0.5), alpha = Float64Array.from({ length: m }, () => rand.normal() * 0.1);
  const mw = new Float64Array(m * d), vw = new Float64Array(m * d), ma = new Float64Array(m), va = new Float64Array(m);
  const t = new Float64Array(n * m), h = new Float64Array(n * m), g = new Float64Array(n), gw = new Float64Array(m * d), ga = new Float64Array(m);
  const b1 = 0.9, b2 = 0.999;
  for (let it = 1; it <= iters; it++) {
    for (let i = 0; i < n; i++) {
      let pred = 0;
      for (let j = 0; j < m; j++) {
        let s = 0;
        for (let k = 0; k < d; k++) s += p.x[i * d + k] * (w[j * d + k] >= 0 ? 1 : -1);
        t[i * m + j] = s;
        h[i * m + j] = a * s * s + b * s + c;
        pred += alpha[j] * h[i * m + j];
      }
      g[i] = pred - p.y[i];
    }
    ga.fill(0); gw.fill(0);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < m; j++) {
        ga[j] += g[i] * h[i * m + j];
        const dt = g[i] * alpha[j] * (2 * a * t[i * m + j] + b);
        for (let k = 0; k < d; k++) if (Math.abs(w[j * d + k]) <= 1) gw[j * d + k] += dt * p.x[i * d + k];
      }
    }
    const c1 = 1 - b1 ** it, c2 = 1 - b2 ** it;
    for (let q = 0; q < m * d; q++) {
      mw[q] = b1 * mw[q] + (1 - b1) * gw[q]; vw[q] = b2 * vw[q] + (1 - b2) * gw[q] ** 2;
      w[q] -= (lr * mw[q] / c1) / (Math.sqrt(vw[q] / c2) + 1e-8);
    }
    for (let j = 0; j < m; j++) {
      ma[j] = b1 * ma[j] + (1 - b1) * ga[j]; va[j] = b2 * va[j] + (1 - b2) * ga[j] ** 2;
      const step = lr / (Math.sqrt(va[j] / c2) + 1e-8);
      const z = alpha[j] - step * ma[j] / c1;
      alpha[j] = Math.sign(z) * Math.max(0, Math.abs(z) - step * p.beta); // proximal l1
    }
  }
  const neurons = Int8Array.from(w, (v) => (v >= 0 ? 1 : -1));
  const fit = lasso(Array.from({ length: m }, (_, j) => neuronFeature(p, neurons.subarray(j * d, (j + 1) * d))), p.y, p.beta);
  return { net: { neurons, alpha: fit.alpha, m, d, act: p.act }, value: fit.value };
}
