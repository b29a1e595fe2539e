// From the relaxation's solution to a quantized net: Grothendieck-identity sampling of bipolar
// neurons, then a convex refit of the output weights over them.
//
// For a unit-diagonal Zhat, draw g ~ N(0, sin(pi/2 Zhat)) and take v = sign(g): by Grothendieck's
// identity E[sign(g_k) sign(g_l)] = (2/pi) asin(Sigma_kl), so E[v v^T] = Zhat whenever
// sin(pi/2 Zhat) is a covariance (PSD). Where it is not, it is projected onto the PSD cone first
// and the identity holds only approximately (the most negative eigenvalue removed is reported).
import { lasso } from './lasso.js';
import { psdFactor } from './linalg.js';
import { neuronFeature, type QuadNet, type QuadNetProblem } from './problem.js';
import { seeded, type SdpSolution } from './solve.js';

/** The unit-diagonal Zhat = V V^T of a factor ((d + 1) x r, unit rows). */
export function unitGram(v: Float64Array, dim: number, r: number): Float64Array {
  const z = new Float64Array(dim * dim);
  for (let i = 0; i < dim; i++) for (let j = 0; j < dim; j++) { let s = 0; for (let k = 0; k < r; k++) s += v[i * r + k] * v[j * r + k]; z[i * dim + j] = s; }
  return z;
}

/** A sampler of v in {-1, +1}^dim with E[v v^T] = zhat (when sin(pi/2 zhat) is PSD). */
export function grothendieckSampler(zhat: Float64Array, dim: number, seed: number): { sample: (out: Int8Array) => void; clipped: number } {
  const sigma = zhat.map((z) => Math.sin((Math.PI / 2) * Math.max(-1, Math.min(1, z))));
  const { factor, clipped } = psdFactor(sigma, dim);
  const rand = seeded(seed), xi = new Float64Array(dim);
  return {
    clipped,
    sample(out: Int8Array) {
      for (let k = 0; k < dim; k++) xi[k] = rand.normal();
      for (let i = 0; i < dim; i++) { let g = 0; for (let k = 0; k < dim; k++) g += factor[i * dim + k] * xi[k]; out[i] = g >= 0 ? 1 : -1; }
    },
  };
}

export interface SampledNet {
  net: QuadNet;
  /** the refit net's training objective */
  value: number;
  /** distinct neurons kept (samples repeat) */
  distinct: number;
  /** the most negative eigenvalue removed from sin(pi/2 Zhat+-) before sampling (0: none, the identity is exact) */
  clipped: number;
}

/**
 * m bipolar neurons drawn from a solution (from Z+ and Z- in proportion to t+ and t-), distinct
 * (samples repeat), with the most negative eigenvalue the PSD projection removed.
 */
export function sampleNeurons(d: number, sol: SdpSolution, m: number, seed = 1): { neurons: Int8Array[]; clipped: number } {
  const dim = d + 1, total = sol.tPlus + sol.tMinus;
  const mPlus = total > 0 ? Math.round((m * sol.tPlus) / total) : m;
  const seen = new Map<string, Int8Array>(), v = new Int8Array(dim);
  let clipped = 0;
  for (const [count, factor, s] of [[mPlus, sol.vPlus, seed], [m - mPlus, sol.vMinus, seed + 7919]] as const) {
    if (count <= 0) continue;
    const sampler = grothendieckSampler(unitGram(factor, dim, sol.rank), dim, s);
    clipped = Math.min(clipped, sampler.clipped);
    for (let j = 0; j < count; j++) {
      sampler.sample(v);
      const u = Int8Array.from({ length: d }, (_, k) => v[k] * v[d]); // v and -v give the same neuron
      seen.set(u.join(), u);
    }
  }
  return { neurons: [...seen.values()], clipped };
}

/**
 * Sample m neurons, then refit the output weights by the lasso over them (beta as in the
 * problem), which is convex.
 */
export function sampleNet(p: QuadNetProblem, sol: SdpSolution, m: number, seed = 1): SampledNet {
  const { neurons, clipped } = sampleNeurons(p.d, sol, m, seed);
  const cols = neurons.map((u) => neuronFeature(p, u));
  const fit = lasso(cols, p.y, p.beta);
  const flat = new Int8Array(neurons.length * p.d);
  neurons.forEach((u, j) => flat.set(u, j * p.d));
  return { net: { neurons: flat, alpha: fit.alpha, m: neurons.length, d: p.d, act: p.act }, value: fit.value, distinct: neurons.length, clipped };
}
