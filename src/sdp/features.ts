// Input features for the SDP trainer: its cost grows with d^2 to d^3, so images (784 pixels) are
// first reduced to d features, by principal components or by a random projection, then
// standardised: each feature to unit variance over the training set, scaled by 1 / sqrt(d), so
// that a bipolar neuron's pre-activation x^T u has variance about 1 whatever d is.
//
//   x = diag(scale) B^T (p - mean),   p the input row (pixels / 255, or CSV features)
import { LowbitError } from '../errors.js';
import type { Heap } from '../memory.js';
import { sgemm } from '../kernels/sgemm.js';
import { symmetricEigen } from './linalg.js';
import { seeded } from './solve.js';

export interface Projection {
  method: 'pca' | 'random' | 'none';
  /** input size P */
  inputs: number;
  /** output size d */
  d: number;
  mean: Float64Array;
  /** P x d, column j = feature j's direction */
  basis: Float64Array;
  /** d per-feature multipliers */
  scale: Float64Array;
}

export interface ProjectionOptions {
  method?: 'pca' | 'random' | 'none';
  seed?: number;
  /** compute the covariance on lowbit's wasm f32 GEMM */
  heap?: Heap;
}

/** Fit a projection of n rows of P inputs (row-major) to d standardised features. */
export function fitProjection(rows: Float64Array, n: number, inputs: number, d: number, o: ProjectionOptions = {}): Projection {
  const method = o.method ?? 'pca';
  if (!Number.isInteger(d) || d < 1 || d > inputs) throw new LowbitError('BAD_ARGUMENT', `d must be an integer in 1..${inputs} (the input size), got ${d}`);
  if (method === 'none' && d !== inputs) throw new LowbitError('BAD_ARGUMENT', `projection 'none' keeps all ${inputs} inputs: d must be ${inputs}, got ${d}`);
  const mean = new Float64Array(inputs);
  for (let i = 0; i < n; i++) for (let k = 0; k < inputs; k++) mean[k] += rows[i * inputs + k] / n;
  let basis: Float64Array;
  if (method === 'none') {
    basis = new Float64Array(inputs * d);
    for (let k = 0; k < d; k++) basis[k * d + k] = 1;
  } else if (method === 'random') {
    const r = seeded(o.seed ?? 1);
    basis = Float64Array.from({ length: inputs * d }, () => r.normal());
  } else {
    basis = principalComponents(covariance(rows, n, inputs, mean, o.heap), inputs, d, o.seed ?? 1, o.heap);
  }
  const proj: Projection = { method, inputs, d, mean, basis, scale: new Float64Array(d).fill(1) };
  const x = applyProjection(proj, rows, n), variance = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) variance[j] += x[i * d + j] ** 2 / n;
  for (let j = 0; j < d; j++) proj.scale[j] = variance[j] > 1e-20 ? 1 / Math.sqrt(variance[j] * d) : 0;
  return proj;
}

/** n rows of P inputs -> n x d features. */
export function applyProjection(proj: Projection, rows: Float64Array, n: number): Float64Array {
  const { inputs: P, d } = proj, x = new Float64Array(n * d), centred = new Float64Array(P);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < P; k++) centred[k] = rows[i * P + k] - proj.mean[k];
    const o = i * d;
    for (let k = 0; k < P; k++) {
      const v = centred[k];
      if (v === 0) continue;
      for (let j = 0; j < d; j++) x[o + j] += v * proj.basis[k * d + j];
    }
    for (let j = 0; j < d; j++) x[o + j] *= proj.scale[j];
  }
  return x;
}

/** The P x P covariance of the rows (float64 in TypeScript, or f32 on the wasm GEMM). */
function covariance(rows: Float64Array, n: number, P: number, mean: Float64Array, heap?: Heap): Float64Array {
  const c = new Float64Array(P * P);
  if (heap) {
    const centred = new Float32Array(n * P), transposed = new Float32Array(n * P);
    for (let i = 0; i < n; i++) for (let k = 0; k < P; k++) { const v = rows[i * P + k] - mean[k]; centred[i * P + k] = v; transposed[k * n + i] = v; }
    const out = sgemm(heap, transposed, centred, P, P, n);
    for (let i = 0; i < P * P; i++) c[i] = out[i] / n;
    return c;
  }
  const row = new Float64Array(P);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < P; k++) row[k] = rows[i * P + k] - mean[k];
    for (let a = 0; a < P; a++) {
      const ra = row[a] / n;
      if (ra === 0) continue;
      for (let b = 0; b < P; b++) c[a * P + b] += ra * row[b];
    }
  }
  return c;
}

/**
 * The top-d eigenvectors of a P x P covariance by subspace iteration (Q <- orth(C Q), 40 rounds),
 * then Rayleigh-Ritz (the d x d eigenproblem of Q^T C Q) to order them by variance.
 */
function principalComponents(c: Float64Array, P: number, d: number, seed: number, heap?: Heap): Float64Array {
  const r = seeded(seed);
  const q = Float64Array.from({ length: P * d }, () => r.normal());
  orthonormalize(q, P, d);
  const next = new Float64Array(P * d);
  const c32 = heap ? Float32Array.from(c) : undefined; // converted once for all rounds
  const multiply = heap ? (src: Float64Array, dst: Float64Array) => dst.set(sgemm(heap, c32!, Float32Array.from(src), P, d, P)) : (src: Float64Array, dst: Float64Array) => {
    dst.fill(0);
    for (let a = 0; a < P; a++) for (let b = 0; b < P; b++) {
      const v = c[a * P + b];
      if (v === 0) continue;
      for (let j = 0; j < d; j++) dst[a * d + j] += v * src[b * d + j];
    }
  };
  for (let round = 0; round < 40; round++) { multiply(q, next); q.set(next); orthonormalize(q, P, d); }
  multiply(q, next);
  const small = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) { let s = 0; for (let k = 0; k < P; k++) s += q[k * d + i] * next[k * d + j]; small[i * d + j] = s; }
  for (let i = 0; i < d; i++) for (let j = 0; j < i; j++) small[i * d + j] = small[j * d + i] = 0.5 * (small[i * d + j] + small[j * d + i]);
  const { vectors } = symmetricEigen(small, d), basis = new Float64Array(P * d);
  for (let k = 0; k < P; k++) for (let j = 0; j < d; j++) {
    const col = d - 1 - j; // largest variance first
    let s = 0;
    for (let i = 0; i < d; i++) s += q[k * d + i] * vectors[i * d + col];
    basis[k * d + j] = s;
  }
  return basis;
}

/** Modified Gram-Schmidt on the d columns of a P x d matrix (a degenerate column becomes a unit vector). */
function orthonormalize(q: Float64Array, P: number, d: number): void {
  for (let j = 0; j < d; j++) {
    for (let pass = 0; pass < 2; pass++) for (let i = 0; i < j; i++) {
      let s = 0;
      for (let k = 0; k < P; k++) s += q[k * d + i] * q[k * d + j];
      for (let k = 0; k < P; k++) q[k * d + j] -= s * q[k * d + i];
    }
    let s = 0;
    for (let k = 0; k < P; k++) s += q[k * d + j] ** 2;
    s = Math.sqrt(s);
    if (s < 1e-12) { for (let k = 0; k < P; k++) q[k * d + j] = k === j % P ? 1 : 0; continue; }
    for (let k = 0; k < P; k++) q[k * d + j] /= s;
  }
}
