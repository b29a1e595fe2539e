// The l1-regularised least squares that every SDP-trainer quantity reduces to once the neurons are
// fixed: min_alpha 1/2 ||F alpha - y||^2 + beta ||alpha||_1 over a feature matrix F (n x p,
// column-major here: one column per neuron). Coordinate descent, stopped by a duality gap, so the
// value returned is certified: value - gap <= optimum <= value.

export interface LassoResult {
  alpha: Float64Array;
  /** the objective at alpha */
  value: number;
  /** a dual value (<= the optimum); value - lower is the duality gap */
  lower: number;
  iterations: number;
}

/**
 * Solve the lasso over `cols` (p columns of length n) to a relative duality gap `tol`.
 * beta = 0 is plain least squares: solved exactly by an orthogonal basis of the columns' span.
 */
export function lasso(cols: Float64Array[], y: Float64Array, beta: number, tol = 1e-10, maxSweeps = 100_000): LassoResult {
  const n = y.length, p = cols.length;
  if (beta === 0) return leastSquares(cols, y);
  const alpha = new Float64Array(p), r = Float64Array.from(y); // r = y - F alpha
  const sq = cols.map((c) => c.reduce((s, v) => s + v * v, 0));
  let value = objective(r, alpha, beta), lower = -Infinity, it = 0;
  for (; it < maxSweeps; it++) {
    for (let j = 0; j < p; j++) {
      if (sq[j] === 0) continue;
      const c = cols[j];
      let rho = 0;
      for (let i = 0; i < n; i++) rho += c[i] * r[i];
      rho += sq[j] * alpha[j];
      const next = Math.sign(rho) * Math.max(Math.abs(rho) - beta, 0) / sq[j];
      const delta = next - alpha[j];
      if (delta !== 0) { for (let i = 0; i < n; i++) r[i] -= delta * c[i]; alpha[j] = next; }
    }
    value = objective(r, alpha, beta);
    lower = dualValue(cols, r, y, beta);
    if (value - lower <= tol * Math.max(1, Math.abs(value))) break;
  }
  return { alpha, value, lower, iterations: it + 1 };
}

function objective(r: Float64Array, alpha: Float64Array, beta: number): number {
  let s = 0, l1 = 0;
  for (const v of r) s += v * v;
  for (const a of alpha) l1 += Math.abs(a);
  return 0.5 * s + beta * l1;
}

/**
 * The dual of the lasso is max_lambda lambda^T y - 1/2 ||lambda||^2 s.t. ||F^T lambda||_inf <= beta;
 * the residual scaled into that box is feasible, so its value bounds the optimum from below.
 */
function dualValue(cols: Float64Array[], r: Float64Array, y: Float64Array, beta: number): number {
  let top = 0;
  for (const c of cols) { let s = 0; for (let i = 0; i < r.length; i++) s += c[i] * r[i]; top = Math.max(top, Math.abs(s)); }
  const k = top > beta ? beta / top : 1;
  let ly = 0, ll = 0;
  for (let i = 0; i < r.length; i++) { const l = k * r[i]; ly += l * y[i]; ll += l * l; }
  return ly - 0.5 * ll;
}

/**
 * beta = 0: least squares. Modified Gram-Schmidt picks a basis of the columns' span (rank
 * tolerance 1e-10); the weights of those columns solve the normal equations (Cholesky).
 */
function leastSquares(cols: Float64Array[], y: Float64Array): LassoResult {
  const n = y.length, basis: Float64Array[] = [], picked: number[] = [];
  const scale = Math.max(1e-300, ...cols.map((c) => Math.sqrt(c.reduce((s, v) => s + v * v, 0))));
  for (let j = 0; j < cols.length && basis.length < n; j++) {
    const q = Float64Array.from(cols[j]);
    for (let pass = 0; pass < 2; pass++) for (const b of basis) { let d = 0; for (let i = 0; i < n; i++) d += b[i] * q[i]; for (let i = 0; i < n; i++) q[i] -= d * b[i]; }
    const norm = Math.sqrt(q.reduce((s, v) => s + v * v, 0));
    if (norm > 1e-10 * scale) { for (let i = 0; i < n; i++) q[i] /= norm; basis.push(q); picked.push(j); }
  }
  const k = picked.length, g = new Float64Array(k * k), rhs = new Float64Array(k);
  for (let a = 0; a < k; a++) {
    const ca = cols[picked[a]];
    for (let i = 0; i < n; i++) rhs[a] += ca[i] * y[i];
    for (let b = 0; b <= a; b++) { let s = 0; const cb = cols[picked[b]]; for (let i = 0; i < n; i++) s += ca[i] * cb[i]; g[a * k + b] = g[b * k + a] = s; }
  }
  const w = choleskySolve(g, rhs, k), alpha = new Float64Array(cols.length);
  picked.forEach((j, a) => { alpha[j] = w[a]; });
  // the value from the orthogonal projection (exact), the weights from the normal equations
  const r = Float64Array.from(y);
  for (const b of basis) { let d = 0; for (let i = 0; i < n; i++) d += b[i] * r[i]; for (let i = 0; i < n; i++) r[i] -= d * b[i]; }
  const value = 0.5 * r.reduce((s, v) => s + v * v, 0);
  return { alpha, value, lower: value, iterations: 1 };
}

/** Solve G w = b for symmetric positive definite G (k x k), with a tiny ridge if it is near singular. */
function choleskySolve(g: Float64Array, b: Float64Array, k: number): Float64Array {
  const l = new Float64Array(k * k), ridge = 1e-14 * Math.max(1, ...Array.from({ length: k }, (_, i) => g[i * k + i]));
  for (let i = 0; i < k; i++) {
    for (let j = 0; j <= i; j++) {
      let s = g[i * k + j] + (i === j ? ridge : 0);
      for (let t = 0; t < j; t++) s -= l[i * k + t] * l[j * k + t];
      l[i * k + j] = i === j ? Math.sqrt(Math.max(s, 1e-300)) : s / l[j * k + j];
    }
  }
  const z = new Float64Array(k), w = new Float64Array(k);
  for (let i = 0; i < k; i++) { let s = b[i]; for (let t = 0; t < i; t++) s -= l[i * k + t] * z[t]; z[i] = s / l[i * k + i]; }
  for (let i = k - 1; i >= 0; i--) { let s = z[i]; for (let t = i + 1; t < k; t++) s -= l[t * k + i] * w[t]; w[i] = s / l[i * k + i]; }
  return w;
}

/**
 * The same lasso from the Gram matrix G = F^T F (p x p, row-major) and F^T y: each coordinate step
 * costs O(p) instead of O(n), for n >> p (many samples, a few hundred neurons). The value and the
 * gap come from ||r||^2 = y^T y - 2 alpha^T F^T y + alpha^T G alpha, which loses relative precision
 * when the residual is tiny against y: for fits on data, not for certificates.
 */
export function lassoGram(g: Float64Array, fty: Float64Array, yty: number, beta: number, tol = 1e-6, maxSweeps = 10_000): LassoResult {
  const p = fty.length, alpha = new Float64Array(p), gAlpha = new Float64Array(p); // gAlpha = G alpha
  const state = () => {
    let rr = yty, l1 = 0, top = 0;
    for (let j = 0; j < p; j++) { rr += alpha[j] * (gAlpha[j] - 2 * fty[j]); l1 += Math.abs(alpha[j]); top = Math.max(top, Math.abs(fty[j] - gAlpha[j])); }
    rr = Math.max(rr, 0);
    const value = 0.5 * rr + beta * l1;
    // dual point k r, k = min(1, beta / ||F^T r||_inf): value k r.y - k^2 |r|^2 / 2, r.y = y^T y - alpha^T F^T y
    let ry = yty;
    for (let j = 0; j < p; j++) ry -= alpha[j] * fty[j];
    const k = top > beta ? beta / top : 1;
    return { value, lower: k * ry - 0.5 * k * k * rr };
  };
  let it = 0, cur = state();
  for (; it < maxSweeps; it++) {
    for (let j = 0; j < p; j++) {
      const gjj = g[j * p + j];
      if (!(gjj > 0)) continue;
      const rho = fty[j] - gAlpha[j] + gjj * alpha[j];
      const next = Math.sign(rho) * Math.max(Math.abs(rho) - beta, 0) / gjj, delta = next - alpha[j];
      if (delta === 0) continue;
      alpha[j] = next;
      for (let i = 0; i < p; i++) gAlpha[i] += delta * g[i * p + j];
    }
    cur = state();
    if (cur.value - cur.lower <= tol * Math.max(1, Math.abs(cur.value))) break;
  }
  return { alpha, value: cur.value, lower: cur.lower, iterations: it + 1 };
}
