// Multi-class SDP training (vector output): one relaxation per class on one-vs-rest targets
// (y = 1 for the class, 0 otherwise), a share of the neurons sampled from each class's solution,
// then every class's output weights refit by the lasso over all sampled neurons (convex, and
// separable by class). The net is f_c(x) = sum_j alpha_cj sigma(x^T u_j); the class is the argmax.
//
// The per-class relaxations' values and bounds add up: every net with shared neurons splits into
// one net per class, each no better than its class's relaxation, so the sum of the per-class lower
// bounds bounds the summed objective of any such net from below.
import { LowbitError, checkOptions } from '../errors.js';
import type { Heap } from '../memory.js';
import { lasso, lassoGram } from './lasso.js';
import { plainProducts, wasmProducts, type LiftProducts } from './products.js';
import type { Polynomial } from './problem.js';
import { sampleNeurons } from './sample.js';
import { solveSdp } from './solve.js';

export interface SdpClassifier {
  d: number;
  classes: number;
  /** neurons (rows of m x d, +-1) */
  m: number;
  neurons: Int8Array;
  /** classes x m output weights */
  alpha: Float64Array;
  act: Polynomial;
}

export interface ClassSolve { value: number; lower: number; iterations: number; tPlus: number; tMinus: number; clipped: number; ms: number }

export interface SdpClassifierResult {
  net: SdpClassifier;
  /** per class: the relaxation's value, certified bound, iterations, time */
  perClass: ClassSolve[];
  /** sums over the classes: relaxation value, lower bound, the sampled-and-refit net's objective */
  sdpValue: number;
  lowerBound: number;
  netObjective: number;
}

export interface SdpClassifierOptions {
  /** neurons to sample in all (spread over the classes); distinct ones are kept */
  neurons: number;
  beta: number;
  act?: Polynomial;
  /** wasm f32 GEMM for the products (lb.heap) */
  heap?: Heap;
  maxIterations?: number;
  /** per class */
  timeLimitMs?: number;
  rank?: number;
  seed?: number;
  /** called after each class's relaxation */
  onClass?: (c: number, s: ClassSolve) => void;
}

export const DEFAULT_ACT: Polynomial = { a: 1, b: 1, c: 0 };

/** Train on n rows of d features (row-major) with integer labels 0..classes-1. */
export function trainSdpClassifier(x: Float64Array, labels: ArrayLike<number>, n: number, d: number, classes: number, o: SdpClassifierOptions): SdpClassifierResult {
  checkOptions('trainSdpClassifier', o, ['neurons', 'beta', 'act', 'heap', 'maxIterations', 'timeLimitMs', 'rank', 'seed', 'onClass']);
  if (!Number.isInteger(classes) || classes < 2) throw new LowbitError('BAD_ARGUMENT', `classes must be an integer >= 2, got ${classes}`);
  if (!Number.isInteger(o.neurons) || o.neurons < 1) throw new LowbitError('BAD_ARGUMENT', `neurons must be a positive integer, got ${o.neurons}`);
  for (let i = 0; i < n; i++) if (!(Number.isInteger(labels[i]) && labels[i] >= 0 && labels[i] < classes)) throw new LowbitError('BAD_DATA', `label ${i} is ${labels[i]}, outside 0..${classes - 1}`);
  const act = o.act ?? DEFAULT_ACT, seed = o.seed ?? 1;
  const perClass: ClassSolve[] = [], pool = new Map<string, Int8Array>();
  let clipped = 0;
  for (let c = 0; c < classes; c++) {
    const y = Float64Array.from({ length: n }, (_, i) => (labels[i] === c ? 1 : 0));
    const t0 = performance.now();
    const sol = solveSdp({ x, y, n, d, act, beta: o.beta }, { heap: o.heap, maxIterations: o.maxIterations, timeLimitMs: o.timeLimitMs, rank: o.rank, seed: seed + c, tol: 1e-4 });
    const share = Math.max(1, Math.round(((c + 1) * o.neurons) / classes) - Math.round((c * o.neurons) / classes));
    const drawn = sampleNeurons(d, sol, share, seed + 1000 * c);
    for (const u of drawn.neurons) pool.set(u.join(), u);
    clipped = Math.min(clipped, drawn.clipped);
    const s = { value: sol.value, lower: sol.lower, iterations: sol.iterations, tPlus: sol.tPlus, tMinus: sol.tMinus, clipped: drawn.clipped, ms: performance.now() - t0 };
    perClass.push(s);
    o.onClass?.(c, s);
  }
  const neurons = new Int8Array(pool.size * d);
  [...pool.values()].forEach((u, j) => neurons.set(u, j * d));
  const { alpha, objective } = refitOutputs(x, labels, n, d, classes, neurons, act, o.beta, o.heap);
  return {
    net: { d, classes, m: pool.size, neurons, alpha, act },
    perClass, sdpValue: perClass.reduce((a, s) => a + s.value, 0), lowerBound: perClass.reduce((a, s) => a + s.lower, 0), netObjective: objective,
  };
}

/** sigma(X U^T) as m columns of n values. */
export function neuronFeatures(x: Float64Array, n: number, d: number, neurons: Int8Array, act: Polynomial, heap?: Heap): Float64Array[] {
  const m = neurons.length / d, v = new Float64Array((d + 1) * m), t = new Float64Array(n * m);
  for (let j = 0; j < m; j++) for (let k = 0; k < d; k++) v[k * m + j] = neurons[j * d + k];
  const prod: LiftProducts = heap ? wasmProducts(heap, x, n, d) : plainProducts(x, n, d);
  try { prod.project(v, m, t); } finally { prod.dispose(); }
  return Array.from({ length: m }, (_, j) => Float64Array.from({ length: n }, (_, i) => { const s = t[i * m + j]; return act.a * s * s + act.b * s + act.c; }));
}

/** Every class's output weights by the lasso over the neurons' features; the summed objective. */
export function refitOutputs(x: Float64Array, labels: ArrayLike<number>, n: number, d: number, classes: number, neurons: Int8Array, act: Polynomial, beta: number, heap?: Heap): { alpha: Float64Array; objective: number } {
  const m = neurons.length / d, cols = neuronFeatures(x, n, d, neurons, act, heap), alpha = new Float64Array(classes * m);
  // one Gram matrix serves every class (beta > 0: Gram-form coordinate descent; beta = 0: exact least squares)
  const g = new Float64Array(m * m);
  if (beta > 0) for (let a = 0; a < m; a++) for (let b = 0; b <= a; b++) { let s = 0; const ca = cols[a], cb = cols[b]; for (let i = 0; i < n; i++) s += ca[i] * cb[i]; g[a * m + b] = g[b * m + a] = s; }
  let objective = 0;
  for (let c = 0; c < classes; c++) {
    const y = Float64Array.from({ length: n }, (_, i) => (labels[i] === c ? 1 : 0));
    let fit: Float64Array;
    if (beta > 0) {
      const fty = Float64Array.from(cols, (col) => { let s = 0; for (let i = 0; i < n; i++) s += col[i] * y[i]; return s; });
      fit = lassoGram(g, fty, y.reduce((s, v) => s + v * v, 0), beta).alpha;
    } else fit = lasso(cols, y, 0).alpha;
    alpha.set(fit, c * m);
    // the objective from the residual itself (exact in float64)
    const r = Float64Array.from(y);
    for (let j = 0; j < m; j++) if (fit[j] !== 0) { const col = cols[j], a = fit[j]; for (let i = 0; i < n; i++) r[i] -= a * col[i]; }
    objective += 0.5 * r.reduce((s, v) => s + v * v, 0) + beta * fit.reduce((s, v) => s + Math.abs(v), 0);
  }
  return { alpha, objective };
}

/** Class scores (n x classes) of a net on n rows of features. */
export function classifierScores(net: SdpClassifier, x: Float64Array, n: number, heap?: Heap): Float64Array {
  const cols = neuronFeatures(x, n, net.d, net.neurons, net.act, heap), out = new Float64Array(n * net.classes);
  for (let c = 0; c < net.classes; c++) for (let j = 0; j < net.m; j++) {
    const a = net.alpha[c * net.m + j];
    if (a === 0) continue;
    const col = cols[j];
    for (let i = 0; i < n; i++) out[i * net.classes + c] += a * col[i];
  }
  return out;
}

/** Fraction of rows whose argmax score is the label. */
export function accuracy(scores: Float64Array, labels: ArrayLike<number>, n: number, classes: number): number {
  let hit = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (scores[i * classes + c] > scores[i * classes + best]) best = c;
    if (best === labels[i]) hit++;
  }
  return hit / n;
}
