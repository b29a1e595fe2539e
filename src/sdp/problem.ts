// Two-layer quantized nets with a polynomial activation, the class the SDP trainer solves:
//   f(x) = sum_j alpha_j sigma(x^T u_j),  sigma(t) = a t^2 + b t + c,  u_j in {-1, +1}^d,
// trained on the l1-regularised squared loss 1/2 sum_i (f(x_i) - y_i)^2 + beta sum_j |alpha_j|.
import { LowbitError } from '../errors.js';

export interface Polynomial { a: number; b: number; c: number }

export interface QuadNetProblem {
  /** n x d inputs, row-major */
  x: Float64Array;
  /** n targets */
  y: Float64Array;
  n: number;
  d: number;
  act: Polynomial;
  /** the l1 weight on the second layer, >= 0 */
  beta: number;
}

/** A trained net: m bipolar neurons (rows of m x d, +-1) and their output weights. */
export interface QuadNet { neurons: Int8Array; alpha: Float64Array; m: number; d: number; act: Polynomial }

export function checkProblem(p: QuadNetProblem): void {
  const bad = (msg: string) => new LowbitError('BAD_ARGUMENT', `SDP problem: ${msg}`);
  if (!Number.isInteger(p.n) || p.n < 1 || !Number.isInteger(p.d) || p.d < 1) throw bad(`n and d must be positive integers, got ${p.n} and ${p.d}`);
  if (!(p.x instanceof Float64Array) || p.x.length !== p.n * p.d) throw bad(`x must be a Float64Array of n x d = ${p.n * p.d} values`);
  if (!(p.y instanceof Float64Array) || p.y.length !== p.n) throw bad(`y must be a Float64Array of n = ${p.n} values`);
  if (![...p.x, ...p.y].every(Number.isFinite)) throw bad('x and y must be finite');
  if (!(p.beta >= 0 && Number.isFinite(p.beta))) throw bad(`beta must be a finite number >= 0, got ${p.beta}`);
  const { a, b, c } = p.act;
  if (![a, b, c].every(Number.isFinite)) throw bad('the activation coefficients a, b, c must be finite');
}

/** sigma(X u) for one neuron u (+-1 entries): the feature column it contributes. */
export function neuronFeature(p: QuadNetProblem, u: ArrayLike<number>): Float64Array {
  const out = new Float64Array(p.n), { a, b, c } = p.act;
  for (let i = 0; i < p.n; i++) {
    let t = 0;
    for (let k = 0; k < p.d; k++) t += p.x[i * p.d + k] * u[k];
    out[i] = a * t * t + b * t + c;
  }
  return out;
}

/** The training objective of a net on the problem. */
export function netObjective(p: QuadNetProblem, net: QuadNet): number {
  const pred = new Float64Array(p.n);
  for (let j = 0; j < net.m; j++) {
    const f = neuronFeature(p, net.neurons.subarray(j * p.d, (j + 1) * p.d));
    for (let i = 0; i < p.n; i++) pred[i] += net.alpha[j] * f[i];
  }
  let loss = 0, l1 = 0;
  for (let i = 0; i < p.n; i++) loss += (pred[i] - p.y[i]) ** 2;
  for (const a of net.alpha) l1 += Math.abs(a);
  return 0.5 * loss + p.beta * l1;
}
