// Requantizing instead of thresholding: a k-bit code output of an integer layer, given by per-channel
// integer thresholds (code = #{k : acc >= T_k}, or #{k : acc < T_k} for a decreasing chain), is
// replaced by the fixed-point map code = clamp(floor((m acc + a) / 2^s), 0, 2^bits - 1) when some
// integers m, a (one shift s for all channels) give exactly the same code for every reachable acc
// (|acc| <= accMax). Given m, each threshold bounds a from one or both sides (the code must reach k
// at T_k and not one step before), so a exists iff the largest lower bound is at most the smallest
// upper bound; m is tried around the thresholds' mean slope. 255 thresholds per channel become 12 bytes,
// and the Engine computes one multiply-add per value instead of a 255-way count.

export interface StreamFit { mult: Int32Array; addend: Float64Array; shift: number }

/**
 * @param thr [C][L] thresholds, ascending (flip 0) or descending (flip 1); values beyond
 *   +-accMax mean "never" / "always" (the search's int32 sentinels)
 * @param levels L, the highest code; codes above it must not occur
 * @param clampTop the clamp's top, 2^bits - 1 (>= L): above it the clamp saturates, so f needs no bound there
 */
export function fitStreamCodes(thr: Int32Array, flip: Uint8Array, levels: number, accMax: Float64Array, clampTop: number): StreamFit | undefined {
  const C = flip.length, L = levels;
  // the steepest mean slope (codes per unit of acc) fixes the shift shared by all channels
  let top = 1e-12;
  for (let c = 0; c < C; c++) {
    const M = accMax[c], t = thr.subarray(c * L, (c + 1) * L);
    let first = -1, last = -1;
    for (let k = 0; k < L; k++) if (t[k] > -M && t[k] <= M) { if (first < 0) first = k; last = k; }
    top = Math.max(top, first < 0 ? 0 : last > first && t[last] !== t[first] ? (last - first + 1) / Math.abs(t[last] - t[first]) : last - first + 1);
  }
  // m up to ~2^30 on the steepest channel; the shift stays at most 44 so that k 2^s and the addend
  // (stored as float64) are exact integers
  const shift = Math.min(44, Math.floor(30 - Math.log2(top)));
  if (shift < 0) return undefined;
  const one = 2 ** shift, mult = new Int32Array(C), addend = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    const cons = constraints(thr.subarray(c * L, (c + 1) * L), flip[c] === 1, L, accMax[c], clampTop, one);
    // a exists iff m (x_j - x_i) <= d_j - c_i for every lower bound (x_i, c_i) and upper bound (x_j, d_j)
    let mLo = flip[c] ? -(2 ** 31) + 1 : 0, mHi = flip[c] ? 0 : 2 ** 31 - 1;
    // only hull points can bind (lower bounds: the upper hull of (x, c); upper bounds: the lower hull of (x, d)),
    // which turns ~L^2 pairs into a few dozen; every candidate is still checked against all bounds below
    const lowerHull = hull(cons.lower, true), upperHull = hull(cons.upper, false);
    for (const [xi, ci] of lowerHull) for (const [xj, dj] of upperHull) {
      const dx = xj - xi, r = (dj - ci) / dx;
      if (dx > 0) mHi = Math.min(mHi, Math.floor(r));
      else if (dx < 0) mLo = Math.max(mLo, Math.ceil(r));
      else if (dj < ci) return undefined;
    }
    if (mLo > mHi) return undefined;
    // the quotients are rounded: check candidates exactly
    let fitted = false;
    for (const m of [Math.round((mLo + mHi) / 2), mLo, mHi, mLo + 1, mHi - 1]) {
      if (m < mLo - 1 || m > mHi + 1) continue;
      const a = solveAddend(cons, BigInt(m));
      if (a !== undefined && Math.abs(a) < 2 ** 53 && Math.abs(a) + Math.abs(m) * accMax[c] < 2 ** 61) { mult[c] = m; addend[c] = a; fitted = true; break; }
    }
    if (!fitted) return undefined;
  }
  return { mult, addend, shift };
}

interface Constraints { lower: [number, number][]; upper: [number, number][] }

/**
 * f(x) = floor((m x + a) / one) must be >= k exactly on the reachable accs where the thresholds give
 * a code >= k, for k = 1..L, and below L + 1 everywhere when the clamp's top is above L. Each
 * condition is a bound on a: a >= c - m x (lower, "f(x) >= k", c = k one) or a <= d - m x (upper,
 * "f(x) < k", d = k one - 1).
 */
function constraints(t: Int32Array, flipped: boolean, L: number, M: number, clampTop: number, one: number): Constraints {
  const lower: [number, number][] = [], upper: [number, number][] = [];
  const atLeast = (x: number, k: number) => lower.push([x, k * one]);
  const below = (x: number, k: number) => upper.push([x, k * one - 1]);
  // f is monotone (increasing unless flipped): its extremes on [-M, M] are at the ends
  const low = flipped ? M : -M, high = flipped ? -M : M;
  for (let k = 1; k <= L; k++) {
    const T = t[k - 1];
    if (!flipped) { // code >= k iff acc >= T
      if (T <= -M) atLeast(low, k);
      else if (T > M) below(high, k);
      else { atLeast(T, k); below(T - 1, k); }
    } else { // code >= k iff acc <= T - 1
      if (T - 1 >= M) atLeast(low, k);
      else if (T - 1 < -M) below(high, k);
      else { atLeast(T - 1, k); below(T, k); }
    }
  }
  if (L < clampTop) below(high, L + 1); // the clamp stops at clampTop, not at L
  return { lower, upper };
}

/**
 * The points of a bound set that can bind for some slope m: max_i (c_i - m x_i) is reached on the upper
 * convex hull of the points (x_i, c_i), min_j (d_j - m x_j) on the lower hull of (x_j, d_j). Monotone
 * chain, left to right; turns are decided exactly (BigInt cross products: x < 2^32, c < 2^53).
 */
function hull(points: [number, number][], upper: boolean): [number, number][] {
  const ps = points.slice().sort((p, q) => p[0] - q[0] || (upper ? q[1] - p[1] : p[1] - q[1]));
  const out: [number, number][] = [];
  for (const p of ps) {
    if (out.length && out[out.length - 1][0] === p[0]) continue; // same x: the first is the extreme one
    while (out.length >= 2) {
      const [a, b] = [out[out.length - 2], out[out.length - 1]];
      const cross = BigInt(b[0] - a[0]) * BigInt(p[1] - a[1]) - BigInt(b[1] - a[1]) * BigInt(p[0] - a[0]);
      if (upper ? cross >= 0n : cross <= 0n) out.pop(); else break; // b is not a vertex
    }
    out.push(p);
  }
  return out;
}

/** The smallest addend meeting every bound for slope m (exact integers), or undefined. */
function solveAddend(cons: Constraints, m: bigint): number | undefined {
  let lo: bigint | undefined, hi: bigint | undefined;
  for (const [x, c] of cons.lower) { const v = BigInt(c) - m * BigInt(x); if (lo === undefined || v > lo) lo = v; }
  for (const [x, d] of cons.upper) { const v = BigInt(d) - m * BigInt(x); if (hi === undefined || v < hi) hi = v; }
  if (lo === undefined && hi === undefined) return 0;
  const a = lo ?? hi!;
  return hi === undefined || a <= hi ? Number(a) : undefined;
}
