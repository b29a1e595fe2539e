// The convex (semidefinite) relaxation of training a two-layer quantized net, after Bartan & Pilanci
// (ICML 2021); the derivation is in docs/sdp.md. With v = [u; 1] and
// M_i = [[a x_i x_i^T, (b/2) x_i], [(b/2) x_i^T, c]], sigma(x_i^T u) = <M_i, v v^T>, and a net is
// Z+ - Z- with Z+- = sum alpha_j v_j v_j^T (diagonals constant, = the l1 mass). Relaxing the hull of
// the v v^T to PSD matrices with a constant diagonal t gives
//   min 1/2 sum_i (<M_i, Z+ - Z-> - y_i)^2 + beta (t+ + t-),  Z+- PSD, diag(Z+-) = t+- 1.
// Solved here in factored form (Burer-Monteiro): Z = t V V^T with unit-norm rows of V, gradient
// steps on the spheres with the optimal (t+, t-) for each V, and a certified lower bound from a
// dual-feasible point (eigenvalue bound of the elliptope's support function).
import { checkProblem, type QuadNetProblem } from './problem.js';
import { symmetricEigen } from './linalg.js';
import { plainProducts, wasmProducts, type LiftProducts } from './products.js';
import { LowbitError, checkOptions } from '../errors.js';
import type { Heap } from '../memory.js';

export interface SdpSolution {
  /** the relaxation's objective at the returned point (an upper bound of its optimum) */
  value: number;
  /** a certified lower bound of the relaxation's optimum (so of every quantized net's objective) */
  lower: number;
  tPlus: number;
  tMinus: number;
  /** unit-diagonal factors: Z+- = t+- V V^T, V row-major (d + 1) x r */
  vPlus: Float64Array;
  vMinus: Float64Array;
  rank: number;
  iterations: number;
}

export interface SdpOptions {
  /** factor rank r (default d + 1: the whole elliptope) */
  rank?: number;
  maxIterations?: number;
  /** stop when the relative gap (value - lower) / max(1, value) falls below this */
  tol?: number;
  seed?: number;
  /** run the two big products on lowbit's wasm f32 GEMM (lb.heap): for n and d in the thousands / hundreds */
  heap?: Heap;
  /** stop after this long (the returned value and bound are still valid) */
  timeLimitMs?: number;
  /** stop when the objective falls by less than this fraction over 500 iterations (default 1e-12) */
  stallTol?: number;
  /** iterations between dual bounds (default: 50, or more where a bound costs over a fifth of the time) */
  boundEvery?: number;
}

/** A seeded uniform generator (mulberry32) and standard normals (Box-Muller). */
export function seeded(seed: number): { uniform: () => number; normal: () => number } {
  let s = seed >>> 0;
  const uniform = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  return { uniform, normal };
}

/** q_i = <M_i, V V^T> for unit-row V ((d + 1) x r): a |V_x^T x_i|^2 + b (V_x^T x_i) . v_last + c; w = X V_x. */
function lifted(p: QuadNetProblem, prod: LiftProducts, v: Float64Array, r: number, w: Float64Array, q: Float64Array): void {
  const { a, b, c } = p.act, last = p.d * r;
  prod.project(v, r, w);
  for (let i = 0; i < p.n; i++) {
    let sq = 0, dot = 0;
    for (let j = 0; j < r; j++) { const s = w[i * r + j]; sq += s * s; dot += s * v[last + j]; }
    q[i] = a * sq + b * dot + c;
  }
}

/**
 * min over t+, t- >= 0 of 1/2 ||t+ q+ - t- q- - y||^2 + beta (t+ + t-): a convex quadratic in two
 * variables; the optimum is the best of the interior stationary point and the faces.
 */
function optimalScales(qp: Float64Array, qm: Float64Array, y: Float64Array, beta: number): [number, number] {
  let pp = 0, mm = 0, pm = 0, py = 0, my = 0;
  for (let i = 0; i < y.length; i++) { pp += qp[i] * qp[i]; mm += qm[i] * qm[i]; pm += qp[i] * qm[i]; py += qp[i] * y[i]; my += qm[i] * y[i]; }
  const f = (tp: number, tm: number) => 0.5 * (tp * tp * pp + tm * tm * mm - 2 * tp * tm * pm) - tp * py + tm * my + beta * (tp + tm);
  const cands: [number, number][] = [[0, 0]];
  if (pp > 0) cands.push([Math.max(0, (py - beta) / pp), 0]);
  if (mm > 0) cands.push([0, Math.max(0, (-my - beta) / mm)]);
  const det = pp * mm - pm * pm;
  if (det > 1e-14 * pp * mm) {
    // gradient zero: pp tp - pm tm = py - beta; -pm tp + mm tm = -my - beta
    const tp = ((py - beta) * mm + pm * (-my - beta)) / det, tm = (pp * (-my - beta) + pm * (py - beta)) / det;
    if (tp >= 0 && tm >= 0) cands.push([tp, tm]);
  }
  let best = cands[0];
  for (const cnd of cands) if (f(cnd[0], cnd[1]) < f(best[0], best[1])) best = cnd;
  return best;
}

/**
 * An upper bound of max <S, Z> over unit-diagonal PSD Z (the elliptope): for any u,
 * sum(u) + D lambda_max(S - Diag(u)) (weak duality). u is improved by projected subgradient steps
 * steered by a warm-started power iteration (cheap, approximate); the u kept is then certified
 * with one exact eigen-decomposition, so the value returned is a true upper bound.
 */
export function elliptopeSupportBound(s: Float64Array, dim: number, steps = 60): number {
  const u = new Float64Array(dim);
  for (let k = 0; k < dim; k++) u[k] = s[k * dim + k];
  const m = new Float64Array(dim * dim), vec = new Float64Array(dim).fill(1 / Math.sqrt(dim)), next = new Float64Array(dim);
  const scale = Math.sqrt(s.reduce((a, v) => a + v * v, 0)) || 1;
  let bestU = Float64Array.from(u), bestEstimate = Infinity;
  for (let it = 0; it <= steps; it++) {
    m.set(s);
    let shift = 0;
    for (let k = 0; k < dim; k++) {
      m[k * dim + k] -= u[k];
      let off = 0;
      for (let j = 0; j < dim; j++) if (j !== k) off += Math.abs(m[k * dim + j]);
      shift = Math.max(shift, off - m[k * dim + k]); // Gershgorin: m + shift I is PSD
    }
    let lmax = 0;
    for (let rep = 0; rep < 60; rep++) {
      let norm = 0;
      for (let i = 0; i < dim; i++) { let t = shift * vec[i]; for (let j = 0; j < dim; j++) t += m[i * dim + j] * vec[j]; next[i] = t; norm += t * t; }
      norm = Math.sqrt(norm) || 1;
      lmax = norm - shift;
      for (let i = 0; i < dim; i++) vec[i] = next[i] / norm;
    }
    const estimate = u.reduce((a, v) => a + v, 0) + dim * lmax;
    if (estimate < bestEstimate) { bestEstimate = estimate; bestU = Float64Array.from(u); }
    // subgradient in u: 1 - D (e_k . top eigenvector)^2
    const step = (0.5 * scale) / dim / Math.sqrt(it + 1);
    for (let k = 0; k < dim; k++) u[k] -= step * (1 - dim * vec[k] ** 2);
  }
  m.set(s);
  for (let k = 0; k < dim; k++) m[k * dim + k] -= bestU[k];
  const lmax = symmetricEigen(m, dim).values[dim - 1];
  // a margin for the eigenvalue's rounding error keeps the bound an upper bound
  return bestU.reduce((a, v) => a + v, 0) + dim * lmax + 1e-12 * dim * scale;
}

/** S = sum_i l_i M_i, (d + 1) x (d + 1). */
function liftedSum(p: QuadNetProblem, l: Float64Array): Float64Array {
  const dim = p.d + 1, s = new Float64Array(dim * dim), { a, b, c } = p.act;
  for (let i = 0; i < p.n; i++) {
    const li = l[i];
    for (let k = 0; k < p.d; k++) {
      const xk = p.x[i * p.d + k];
      for (let j = 0; j < p.d; j++) s[k * dim + j] += li * a * xk * p.x[i * p.d + j];
      s[k * dim + p.d] += li * 0.5 * b * xk;
      s[p.d * dim + k] += li * 0.5 * b * xk;
    }
    s[p.d * dim + p.d] += li * c;
  }
  return s;
}

/** A certified lower bound from the residual: the dual value of lambda = y - prediction, scaled to feasibility. */
function dualBound(p: QuadNetProblem, residual: Float64Array): number {
  const dim = p.d + 1, s = liftedSum(p, residual);
  const neg = s.map((v) => -v);
  const nu = Math.max(elliptopeSupportBound(s, dim), elliptopeSupportBound(neg, dim));
  let ly = 0, ll = 0;
  for (let i = 0; i < p.n; i++) { ly += residual[i] * p.y[i]; ll += residual[i] * residual[i]; }
  // D(k lambda) = k lambda.y - k^2 |lambda|^2 / 2, feasible for k nu <= beta
  const kMax = nu > 0 ? p.beta / nu : Infinity;
  const k = Math.min(kMax, ll > 0 ? Math.max(0, ly / ll) : 0);
  return Number.isFinite(k) ? k * ly - 0.5 * k * k * ll : 0;
}

/** Solve the relaxation for a problem. */
export function solveSdp(p: QuadNetProblem, options: SdpOptions = {}): SdpSolution {
  checkOptions('solveSdp', options, ['rank', 'maxIterations', 'tol', 'seed', 'heap', 'timeLimitMs', 'boundEvery', 'stallTol']);
  checkProblem(p);
  const dim = p.d + 1, r = options.rank ?? dim, maxIt = options.maxIterations ?? 20_000, tol = options.tol ?? 1e-6;
  if (!Number.isInteger(r) || r < 1 || r > dim) throw new LowbitError('BAD_ARGUMENT', `solveSdp: rank must be an integer in 1..d + 1 = ${dim}, got ${r}`);
  const prod = options.heap ? wasmProducts(options.heap, p.x, p.n, p.d) : plainProducts(p.x, p.n, p.d);
  try {
    return solveWith(p, prod, dim, r, maxIt, tol, options);
  } finally {
    prod.dispose();
  }
}

interface Point { vp: Float64Array; vm: Float64Array; wp: Float64Array; wm: Float64Array; f: number; tp: number; tm: number; g: Float64Array }

function solveWith(p: QuadNetProblem, prod: LiftProducts, dim: number, r: number, maxIt: number, tol: number, options: SdpOptions): SdpSolution {
  const rand = seeded(options.seed ?? 1), started = performance.now(), timeLimit = options.timeLimitMs ?? Infinity;
  // Start near the cuts that grow t+ and t- fastest from the zero net: <S, Zhat> is most negative
  // (Z+) or most positive (Z-) at the sign pattern of S's extreme eigenvector, S = sum_i -y_i M_i.
  // (From random factors the optimal t+- can both be 0, where the gradient in V vanishes.)
  const s0 = liftedSum(p, p.y.map((v) => -v)), { vectors } = symmetricEigen(s0, dim);
  const init = (vecs: Float64Array, col: number) => {
    const v = Float64Array.from({ length: dim * r }, () => 0.3 * rand.normal());
    for (let k = 0; k < dim; k++) v[k * r] += vecs[k * dim + col] >= 0 ? 1 : -1;
    normalizeRows(v, dim, r);
    return v;
  };
  const qp = new Float64Array(p.n), qm = new Float64Array(p.n);
  // evaluates a point; its W buffers are reused from `spare` (a point no longer needed) when given
  const evaluate = (vp: Float64Array, vm: Float64Array, spare?: Point): Point => {
    const wp = spare?.wp ?? new Float64Array(p.n * r), wm = spare?.wm ?? new Float64Array(p.n * r);
    lifted(p, prod, vp, r, wp, qp); lifted(p, prod, vm, r, wm, qm);
    const [tp, tm] = optimalScales(qp, qm, p.y, p.beta);
    let loss = 0;
    const g = new Float64Array(p.n);
    for (let i = 0; i < p.n; i++) { g[i] = tp * qp[i] - tm * qm[i] - p.y[i]; loss += g[i] * g[i]; }
    return { vp, vm, wp, wm, f: 0.5 * loss + p.beta * (tp + tm), tp, tm, g };
  };
  let cur = evaluate(init(vectors, 0), init(vectors, dim - 1)), spare: Point | undefined;
  let eta = 1, lower = -Infinity, it = 0, checkpoint = cur.f;
  // a bound costs ~2 x 60 power steps of D^2 + 2 eigen-decompositions (~60 D^3) + n d^2; an iteration
  // ~8 n d r: by default bounds take at most about a fifth of the time (deterministic, unlike a timer)
  const boundCost = 2 * (3600 * dim * dim + 60 * dim ** 3) + p.n * p.d * p.d, stepCost = 8 * p.n * p.d * r;
  const boundEvery = options.boundEvery ?? Math.max(50, Math.ceil((5 * boundCost) / stepCost));
  const gp = new Float64Array(dim * r), gm = new Float64Array(dim * r), h = new Float64Array(p.n * r);
  for (; it < maxIt; it++) {
    sphereGradient(p, prod, cur.vp, r, cur.wp, cur.g, cur.tp, gp, h);
    sphereGradient(p, prod, cur.vm, r, cur.wm, cur.g, -cur.tm, gm, h);
    const g2 = gp.reduce((s, v) => s + v * v, 0) + gm.reduce((s, v) => s + v * v, 0);
    if (it % boundEvery === 0 || g2 < 1e-30) {
      lower = Math.max(lower, dualBound(p, cur.g.map((v) => -v)));
      if (cur.f - lower <= tol * Math.max(1, Math.abs(cur.f))) break;
      // a side whose optimal scale is 0 gets no gradient: restart it at the cut that would open it
      // fastest (the extreme eigenvector of S = sum_i g_i M_i), and keep it if that lowers f
      if (cur.tp === 0 || cur.tm === 0) {
        const e = symmetricEigen(liftedSum(p, cur.g), dim).vectors;
        const trial = evaluate(cur.tp === 0 ? init(e, 0) : cur.vp, cur.tm === 0 ? init(e, dim - 1) : cur.vm);
        if (trial.f < cur.f - 1e-15) { cur = trial; continue; }
      }
      if (g2 < 1e-30) break;
    }
    if (performance.now() - started > timeLimit) break;
    if (it % 500 === 499) { // stalled (at beta = 0 the bound certifies nothing, so this is the stop)
      if (checkpoint - cur.f <= (options.stallTol ?? 1e-12) * Math.max(1, Math.abs(cur.f))) break;
      checkpoint = cur.f;
    }
    // backtracking on the product of spheres, (t+, t-) optimal at every trial point
    let accepted = false;
    for (let tries = 0; tries < 40; tries++) {
      const next = evaluate(retract(cur.vp, gp, eta, dim, r), retract(cur.vm, gm, eta, dim, r), spare);
      if (next.f <= cur.f - 1e-4 * eta * g2) { spare = cur; cur = next; eta *= 1.5; accepted = true; break; }
      spare = next;
      eta *= 0.5;
    }
    if (!accepted) { eta = 1; }
  }
  lower = Math.max(lower, dualBound(p, cur.g.map((v) => -v)));
  return { value: cur.f, lower: Math.min(lower, cur.f), tPlus: cur.tp, tMinus: cur.tm, vPlus: cur.vp, vMinus: cur.vm, rank: r, iterations: it };
}

/**
 * Gradient of the objective in V (scaled by t, signed for Z-), projected on each row's tangent space:
 * rows 1..d are X^T H with H_ij = g_i t (2a w_ij + b v_last,j), the last row sum_i g_i t b w_ij.
 */
function sphereGradient(p: QuadNetProblem, prod: LiftProducts, v: Float64Array, r: number, w: Float64Array, g: Float64Array, t: number, out: Float64Array, h: Float64Array): void {
  const { a, b } = p.act, dim = p.d + 1, last = p.d * r;
  for (let j = 0; j < r; j++) out[last + j] = 0;
  for (let i = 0; i < p.n; i++) {
    const gi = g[i] * t, o = i * r;
    for (let j = 0; j < r; j++) {
      const wij = w[o + j];
      h[o + j] = gi * (2 * a * wij + b * v[last + j]);
      out[last + j] += gi * b * wij;
    }
  }
  prod.backproject(h, r, out);
  for (let k = 0; k < dim; k++) {
    let d = 0;
    for (let j = 0; j < r; j++) d += out[k * r + j] * v[k * r + j];
    for (let j = 0; j < r; j++) out[k * r + j] -= d * v[k * r + j];
  }
}

function retract(v: Float64Array, g: Float64Array, eta: number, dim: number, r: number): Float64Array {
  const out = new Float64Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = v[i] - eta * g[i];
  normalizeRows(out, dim, r);
  return out;
}

function normalizeRows(v: Float64Array, dim: number, r: number): void {
  for (let k = 0; k < dim; k++) {
    let s = 0;
    for (let j = 0; j < r; j++) s += v[k * r + j] ** 2;
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let j = 0; j < r; j++) v[k * r + j] = inv ? v[k * r + j] * inv : j === 0 ? 1 : 0;
  }
}
