// The baseline the SDP trainer is compared with: the same two-layer quantized net trained by a
// straight-through estimator, as quantized nets usually are. Float shadow weights W (m x d) give
// the neurons u = sign(W) in the forward pass; the backward pass treats sign as the identity inside
// [-1, 1] (the clipped STE); Adam updates W and alpha, and alpha's l1 term is applied by a
// proximal (soft-threshold) step. Full batch (the problems are small). The output weights of the
// final neurons are then refit by the lasso, so the comparison gives the baseline its best alpha.
import { lasso } from './lasso.js';
import { checkProblem, neuronFeature, type QuadNet, type QuadNetProblem } from './problem.js';
import { seeded } from './solve.js';
import { DEFAULT_ACT, refitOutputs, type SdpClassifier } from './classifier.js';
import type { Polynomial } from './problem.js';
import type { Heap } from '../memory.js';

export interface SteOptions { m: number; iterations?: number; lr?: number; seed?: number }

/** Adam's moment estimates of one parameter tensor. */
interface Moments { m: Float64Array; v: Float64Array }
const moments = (size: number): Moments => ({ m: new Float64Array(size), v: new Float64Array(size) });

/**
 * One Adam step (0.9, 0.999, eps 1e-8; bias correction at step t) of x on gradient g. With `l1`,
 * the l1 term's proximal step follows: soft-thresholding by l1 times each coordinate's step size.
 */
function adamStep(x: Float64Array, g: Float64Array, mo: Moments, lr: number, t: number, l1?: number): void {
  const b1 = 0.9, b2 = 0.999, c1 = 1 - b1 ** t, c2 = 1 - b2 ** t;
  for (let q = 0; q < x.length; q++) {
    mo.m[q] = b1 * mo.m[q] + (1 - b1) * g[q]; mo.v[q] = b2 * mo.v[q] + (1 - b2) * g[q] ** 2;
    if (l1 === undefined) { x[q] -= (lr * mo.m[q] / c1) / (Math.sqrt(mo.v[q] / c2) + 1e-8); continue; }
    const step = lr / (Math.sqrt(mo.v[q] / c2) + 1e-8), z = x[q] - step * mo.m[q] / c1;
    x[q] = Math.sign(z) * Math.max(0, Math.abs(z) - step * l1);
  }
}

export function trainSte(p: QuadNetProblem, o: SteOptions): { net: QuadNet; value: number } {
  checkProblem(p);
  const { n, d } = p, m = o.m, iters = o.iterations ?? 2000, lr = o.lr ?? 0.01, rand = seeded(o.seed ?? 1);
  const { a, b, c } = p.act;
  const w = Float64Array.from({ length: m * d }, () => rand.normal() * 0.5), alpha = Float64Array.from({ length: m }, () => rand.normal() * 0.1);
  const mw = moments(m * d), ma = moments(m);
  const t = new Float64Array(n * m), h = new Float64Array(n * m), g = new Float64Array(n), gw = new Float64Array(m * d), ga = new Float64Array(m);
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
    adamStep(w, gw, mw, lr, it);
    adamStep(alpha, ga, ma, lr, it, p.beta);
  }
  const neurons = Int8Array.from(w, (v) => (v >= 0 ? 1 : -1));
  const fit = lasso(Array.from({ length: m }, (_, j) => neuronFeature(p, neurons.subarray(j * d, (j + 1) * d))), p.y, p.beta);
  return { net: { neurons, alpha: fit.alpha, m, d, act: p.act }, value: fit.value };
}

export interface SteClassifierOptions { m: number; beta: number; act?: Polynomial; epochs?: number; batch?: number; lr?: number; seed?: number; heap?: Heap }

/**
 * The multi-class baseline: the classifier of ./classifier.ts (m shared bipolar neurons, a row of
 * output weights per class, one-hot squared loss + beta l1) trained by the clipped STE with Adam on
 * minibatches (the full-batch gradient's estimate, n / batch x the batch sum), output weights then
 * refit by the lasso exactly as the SDP trainer's are.
 */
export function trainSteClassifier(x: Float64Array, labels: ArrayLike<number>, n: number, d: number, classes: number, o: SteClassifierOptions): { net: SdpClassifier; objective: number } {
  const act = o.act ?? DEFAULT_ACT, m = o.m, epochs = o.epochs ?? 20, B = Math.min(o.batch ?? 100, n), lr = o.lr ?? 0.01, rand = seeded(o.seed ?? 1);
  const w = Float64Array.from({ length: m * d }, () => rand.normal() * 0.5), alpha = Float64Array.from({ length: classes * m }, () => rand.normal() * 0.01);
  const aw = moments(m * d), aa = moments(classes * m);
  const sgn = new Float64Array(m * d), t = new Float64Array(B * m), h = new Float64Array(B * m), df = new Float64Array(B * classes), dt = new Float64Array(B * m);
  const gw = new Float64Array(m * d), ga = new Float64Array(classes * m), order = Uint32Array.from({ length: n }, (_, i) => i);
  let step = 0;
  for (let e = 0; e < epochs; e++) {
    for (let i = n - 1; i > 0; i--) { const j = Math.floor(rand.uniform() * (i + 1)); [order[i], order[j]] = [order[j], order[i]]; }
    for (let start = 0; start + B <= n; start += B) {
      for (let q = 0; q < m * d; q++) sgn[q] = w[q] >= 0 ? 1 : -1;
      df.fill(0);
      for (let bi = 0; bi < B; bi++) {
        const xi = order[start + bi] * d;
        for (let j = 0; j < m; j++) {
          let s = 0;
          for (let k = 0; k < d; k++) s += x[xi + k] * sgn[j * d + k];
          t[bi * m + j] = s;
          h[bi * m + j] = act.a * s * s + act.b * s + act.c;
        }
        const label = labels[order[start + bi]];
        for (let c = 0; c < classes; c++) {
          let f = 0;
          for (let j = 0; j < m; j++) f += alpha[c * m + j] * h[bi * m + j];
          df[bi * classes + c] = f - (c === label ? 1 : 0);
        }
      }
      const scale = n / B;
      ga.fill(0); gw.fill(0);
      for (let bi = 0; bi < B; bi++) {
        for (let j = 0; j < m; j++) {
          let dh = 0;
          for (let c = 0; c < classes; c++) { const g = df[bi * classes + c] * scale; ga[c * m + j] += g * h[bi * m + j]; dh += g * alpha[c * m + j]; }
          dt[bi * m + j] = dh * (2 * act.a * t[bi * m + j] + act.b);
        }
        const xi = order[start + bi] * d;
        for (let j = 0; j < m; j++) { const g = dt[bi * m + j]; if (g === 0) continue; for (let k = 0; k < d; k++) gw[j * d + k] += g * x[xi + k]; }
      }
      step++;
      for (let q = 0; q < m * d; q++) if (Math.abs(w[q]) > 1) gw[q] = 0; // clipped STE
      adamStep(w, gw, aw, lr, step);
      adamStep(alpha, ga, aa, lr, step, o.beta);
    }
  }
  const neurons = Int8Array.from(w, (v) => (v >= 0 ? 1 : -1));
  const fit = refitOutputs(x, labels, n, d, classes, neurons, act, o.beta, o.heap);
  return { net: { d, classes, m, neurons, alpha: fit.alpha, act }, objective: fit.objective };
}
