// The global optimum over quantized nets of any width, by enumeration (small d): every one of the
// 2^d bipolar neurons is a candidate feature (u and -u differ when b != 0), and the best net is the
// lasso over all of them; its duality gap certifies the value.
import { LowbitError } from '../errors.js';
import { lasso } from './lasso.js';
import { checkProblem, neuronFeature, type QuadNet, type QuadNetProblem } from './problem.js';

/** Largest d enumerated (2^d neurons). */
export const MAX_ENUMERATE_D = 16;

export interface Enumerated { value: number; lower: number; net: QuadNet }

export function enumerateOptimum(p: QuadNetProblem, tol = 1e-10): Enumerated {
  checkProblem(p);
  if (p.d > MAX_ENUMERATE_D) throw new LowbitError('BAD_ARGUMENT', `enumeration takes d <= ${MAX_ENUMERATE_D} (2^d neurons), got ${p.d}`);
  const count = 2 ** p.d, cols: Float64Array[] = [], neurons = new Int8Array(count * p.d);
  for (let j = 0; j < count; j++) {
    for (let k = 0; k < p.d; k++) neurons[j * p.d + k] = (j >> k) & 1 ? 1 : -1;
    cols.push(neuronFeature(p, neurons.subarray(j * p.d, (j + 1) * p.d)));
  }
  const r = lasso(cols, p.y, p.beta, tol);
  return { value: r.value, lower: r.lower, net: { neurons, alpha: r.alpha, m: count, d: p.d, act: p.act } };
}
