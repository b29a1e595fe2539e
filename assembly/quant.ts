// Weight projections onto the quantized sets of docs/algorithms.md, per group of `size`
// consecutive weights (a whole layer, or one output channel when weights are [cout][...]).
// Each writes the projected weights to out and the group's scale to scales[group].

/** b_w = 1: s = mean |w|, out = s sign(w) with sign(0) = +1. The exact least-squares projection. */
export function projectBinary(w: usize, out: usize, groups: i32, size: i32, scales: usize): void {
  const n4 = size & ~3, zero = f32x4.splat(0);
  for (let gi = 0; gi < groups; gi++) {
    const p = w + (<usize>gi * <usize>size << 2), q = out + (<usize>gi * <usize>size << 2);
    // |w| summed in f32 lanes, flushed to f64 every 1024 elements (keeps the mean accurate for big layers)
    let sum: f64 = 0;
    for (let i0 = 0; i0 < n4; i0 += 1024) {
      const i1 = min(n4, i0 + 1024);
      let acc = f32x4.splat(0);
      for (let i = i0; i < i1; i += 4) acc = f32x4.add(acc, f32x4.abs(v128.load(p + (<usize>i << 2))));
      sum += <f64>f32x4.extract_lane(acc, 0) + <f64>f32x4.extract_lane(acc, 1) + <f64>f32x4.extract_lane(acc, 2) + <f64>f32x4.extract_lane(acc, 3);
    }
    for (let i = n4; i < size; i++) sum += <f64>Mathf.abs(load<f32>(p + (<usize>i << 2)));
    const s = <f32>(sum / <f64>size);
    const vs = f32x4.splat(s), vn = f32x4.splat(-s);
    for (let i = 0; i < n4; i += 4) {
      const o = <usize>i << 2;
      v128.store(q + o, v128.bitselect(vs, vn, f32x4.ge(v128.load(p + o), zero)));
    }
    for (let i = n4; i < size; i++) {
      const o = <usize>i << 2;
      store<f32>(q + o, load<f32>(p + o) >= 0 ? s : -s);
    }
    store<f32>(scales + (<usize>gi << 2), s);
  }
}

// Radix sort of `n` u32 keys (non-negative floats sort like their bit patterns), descending.
function sortKeysDescending(keys: usize, tmp: usize, n: i32, counts: usize): void {
  let src = keys, dst = tmp;
  for (let shift = 0; shift < 32; shift += 8) {
    memory.fill(counts, 0, 256 * 4);
    for (let i = 0; i < n; i++) {
      const b = (load<u32>(src + (<usize>i << 2)) >>> shift) & 255;
      const c = counts + (<usize>(255 - b) << 2); // descending: bucket of 255 - byte
      store<u32>(c, load<u32>(c) + 1);
    }
    let acc: u32 = 0;
    for (let b = 0; b < 256; b++) {
      const c = counts + (<usize>b << 2);
      const k = load<u32>(c);
      store<u32>(c, acc);
      acc += k;
    }
    for (let i = 0; i < n; i++) {
      const key = load<u32>(src + (<usize>i << 2));
      const c = counts + (<usize>(255 - ((key >>> shift) & 255)) << 2);
      const at = load<u32>(c);
      store<u32>(dst + (<usize>at << 2), key);
      store<u32>(c, at + 1);
    }
    const t = src; src = dst; dst = t;
  }
  // four passes: the sorted keys are back in `keys`
}

/**
 * b_w = 2, exact ternary projection (LBW-Net): sort |w| descending; for t kept weights the best
 * scale is S_t / t (S_t the sum of the t largest); keep the t maximising S_t^2 / t. Weights with
 * |w| >= a_(t*) become +-alpha, the rest 0 (ties at the threshold are kept). scratch: 2 * size + 256 u32.
 */
export function projectTernary(w: usize, out: usize, groups: i32, size: i32, scales: usize, scratch: usize): void {
  const keys = scratch, tmp = scratch + (<usize>size << 2), counts = scratch + (<usize>size << 3);
  for (let gi = 0; gi < groups; gi++) {
    const p = w + (<usize>gi * <usize>size << 2), q = out + (<usize>gi * <usize>size << 2);
    for (let i = 0; i < size; i++) store<f32>(keys + (<usize>i << 2), Mathf.abs(load<f32>(p + (<usize>i << 2))));
    sortKeysDescending(keys, tmp, size, counts);
    let sum: f64 = 0, best: f64 = -1, bestT = 1, bestSum: f64 = 0;
    for (let t = 1; t <= size; t++) {
      sum += <f64>load<f32>(keys + (<usize>(t - 1) << 2));
      const obj = sum * sum / <f64>t;
      if (obj > best) { best = obj; bestT = t; bestSum = sum; }
    }
    const alpha = <f32>(bestSum / <f64>bestT);
    const thr = load<f32>(keys + (<usize>(bestT - 1) << 2));
    for (let i = 0; i < size; i++) {
      const o = <usize>i << 2;
      const v = load<f32>(p + o);
      store<f32>(q + o, alpha > 0 && Mathf.abs(v) >= thr ? (v >= 0 ? alpha : -alpha) : 0);
    }
    store<f32>(scales + (<usize>gi << 2), alpha);
  }
}

// Least-squares scale <|w|, lv> / <lv, lv> of the levels lv(|w| / s) that scale s assigns (0 when
// every level is 0).
// @ts-ignore: decorator
@inline function refitUniform(p: usize, size: i32, s: f32, L: f32): f32 {
  let wq: f64 = 0, qq: f64 = 0;
  for (let i = 0; i < size; i++) {
    const a = Mathf.abs(load<f32>(p + (<usize>i << 2)));
    const lv = min(L, Mathf.floor(a / s + <f32>0.5));
    wq += <f64>a * <f64>lv;
    qq += <f64>lv * <f64>lv;
  }
  return qq > 0 ? <f32>(wq / qq) : 0;
}

/**
 * The scale Lloyd's iteration starts from: the one the previous projection of this group converged
 * to (scales[g], when warm and a positive number), else `cold`. During training the weights move
 * little per step, so a warm start converges in a round or two instead of tens.
 */
// @ts-ignore: decorator
@inline function warmStart(warm: i32, scales: usize, gi: i32, cold: f32): f32 {
  const prev = load<f32>(scales + (<usize>gi << 2));
  return warm != 0 && prev > 0 && prev < Infinity ? prev : cold;
}

/**
 * b_w >= 3, projection onto s {0, +-1, .., +-L}, L = 2^(bits-1) - 1, by Lloyd's iteration: start
 * from the step 2 max|w| / (2^bits - 1), then alternate between assigning integer levels
 * q = clip(floor(|w| / s + 0.5), 0, L) and refitting s = <|w|, q> / <q, q> (least squares) until
 * the scale stops changing (at most `rounds` times). Each half-step lowers the squared error, so it
 * converges; the output is the last assignment times its least-squares scale.
 */
export function projectUniform(w: usize, out: usize, groups: i32, size: i32, bits: i32, rounds: i32, warm: i32, scales: usize): void {
  const L = <f32>((1 << (bits - 1)) - 1);
  for (let gi = 0; gi < groups; gi++) {
    const p = w + (<usize>gi * <usize>size << 2), q = out + (<usize>gi * <usize>size << 2);
    let mx: f32 = 0;
    for (let i = 0; i < size; i++) mx = max(mx, Mathf.abs(load<f32>(p + (<usize>i << 2))));
    let s: f32 = warmStart(warm, scales, gi, 2 * mx / <f32>((1 << bits) - 1)), assign = s;
    for (let r = 0; r < rounds && s > 0; r++) {
      assign = s;
      s = refitUniform(p, size, s, L);
      if (s == assign) break;
    }
    // levels from the last assignment, scaled by their least-squares scale s
    for (let i = 0; i < size; i++) {
      const o = <usize>i << 2;
      const v = load<f32>(p + o);
      const lv = s > 0 ? min(L, Mathf.floor(Mathf.abs(v) / assign + <f32>0.5)) : 0;
      store<f32>(q + o, v >= 0 ? s * lv : -s * lv);
    }
    store<f32>(scales + (<usize>gi << 2), s);
  }
}

/**
 * b_w = 2, the TWN heuristic (BCGD's code): delta = 0.7 mean |w|; keep |w| >= delta as +-s with
 * s = mean of the kept |w| (the least-squares scale for that support), the rest 0.
 */
export function projectTernaryThreshold(w: usize, out: usize, groups: i32, size: i32, scales: usize): void {
  for (let gi = 0; gi < groups; gi++) {
    const p = w + (<usize>gi * <usize>size << 2), q = out + (<usize>gi * <usize>size << 2);
    let sum: f64 = 0;
    for (let i = 0; i < size; i++) sum += <f64>Mathf.abs(load<f32>(p + (<usize>i << 2)));
    const delta = <f32>(0.7 * sum / <f64>size);
    let kept: f64 = 0, count = 0;
    for (let i = 0; i < size; i++) {
      const a = Mathf.abs(load<f32>(p + (<usize>i << 2)));
      if (a >= delta) { kept += <f64>a; count++; }
    }
    const s = count > 0 ? <f32>(kept / <f64>count) : <f32>0;
    for (let i = 0; i < size; i++) {
      const o = <usize>i << 2;
      const v = load<f32>(p + o);
      store<f32>(q + o, s > 0 && Mathf.abs(v) >= delta ? (v >= 0 ? s : -s) : 0);
    }
    store<f32>(scales + (<usize>gi << 2), s);
  }
}

// Nearest power-of-two level of a = |w| / s in {0, 2^(1-n), .., 2^-1, 1}: thresholds at 3/4 of
// each level (the midpoint of 2^-k and 2^-(k+1)); below the midpoint of 0 and the smallest level -> 0.
// With a = m 2^e (1 <= m < 2), the nearest level is 2^(e+1) for m >= 3/2, else 2^e: read from the bits.
@inline function pow2Level(a: f32, n: i32): f32 {
  if (a >= <f32>0.75) return 1;
  const smallest = reinterpret<f32>(<u32>(128 - n) << 23); // 2^(1-n)
  if (!(a >= smallest * <f32>0.5)) return 0; // below 2^-n, the midpoint of 0 and 2^(1-n) (or NaN)
  if (a < smallest * <f32>0.75) return smallest;
  const bits = reinterpret<u32>(a), e = (bits >>> 23) + ((bits & 0x7fffff) >= 0x400000 ? 1 : 0);
  return reinterpret<f32>(e << 23);
}

/**
 * b_w >= 3, power-of-two set (LBW-Net): s {0, +-2^(1-n), .., +-2^-1, +-1}, n = 2^(bits-1) - 1
 * nonzero magnitudes. Starts from s = max |w| (so the top level is the largest weight), then
 * alternates between nearest-level assignment and the least-squares scale s = <|w|, p> / <p, p>
 * over the assigned pattern p until s stops changing (at most `rounds` times); the output is the
 * last pattern times its least-squares scale.
 */
export function projectPow2(w: usize, out: usize, groups: i32, size: i32, bits: i32, rounds: i32, scales: usize): void {
  projectPow2Ratio(w, out, groups, size, bits, rounds, 1, 0, scales);
}

/**
 * projectPow2 from s = ratio max |w|; with rounds = 0 that scale is kept (LBW-Net's semi-analytical
 * thresholding: one free parameter, the ratio, and the nearest levels in one pass).
 */
export function projectPow2Ratio(w: usize, out: usize, groups: i32, size: i32, bits: i32, rounds: i32, ratio: f32, warm: i32, scales: usize): void {
  const n = (1 << (bits - 1)) - 1;
  for (let gi = 0; gi < groups; gi++) {
    const p = w + (<usize>gi * <usize>size << 2), q = out + (<usize>gi * <usize>size << 2);
    let s: f32 = 0;
    for (let i = 0; i < size; i++) s = max(s, Mathf.abs(load<f32>(p + (<usize>i << 2))));
    s = rounds > 0 ? warmStart(warm, scales, gi, s * ratio) : s * ratio;
    let assign = s;
    for (let r = 0; r < rounds && s > 0; r++) { // until the scale stops changing, as projectUniform
      assign = s;
      let wp: f64 = 0, pp: f64 = 0;
      for (let i = 0; i < size; i++) {
        const a = Mathf.abs(load<f32>(p + (<usize>i << 2)));
        const lv = pow2Level(a / s, n);
        wp += <f64>a * <f64>lv;
        pp += <f64>lv * <f64>lv;
      }
      s = pp > 0 ? <f32>(wp / pp) : 0;
      if (s == assign) break;
    }
    for (let i = 0; i < size; i++) {
      const o = <usize>i << 2;
      const v = load<f32>(p + o);
      const lv = s > 0 ? pow2Level(Mathf.abs(v) / assign, n) : 0;
      store<f32>(q + o, v >= 0 ? s * lv : -s * lv);
    }
    store<f32>(scales + (<usize>gi << 2), s);
  }
}

/**
 * Trained affine mapping, k bits, per group g (scale s[g] > 0, offset b[g] in [-L s, 0]):
 * zero point z = clip(round(-b / s), 0, L), code q = clip(round(w / s) + z, 0, L),
 * L = 2^bits - 1; out = s (q - z). z is an integer, so real 0 is exactly code z and an integer
 * kernel computes with (q - z). Serves weights (groups = channels) and activations (one group).
 */
export function affineQuantForward(w: usize, out: usize, groups: i32, size: i32, bits: i32, s: usize, b: usize): void {
  const L = <f32>((1 << bits) - 1);
  for (let gi = 0; gi < groups; gi++) {
    const p = w + (<usize>gi * <usize>size << 2), q = out + (<usize>gi * <usize>size << 2);
    const sc = load<f32>(s + (<usize>gi << 2)), z = affineZero(sc, load<f32>(b + (<usize>gi << 2)), L);
    const vs = f32x4.splat(sc), vz = f32x4.splat(z), v0 = f32x4.splat(0), vL = f32x4.splat(L);
    const n4 = size & ~3;
    for (let i = 0; i < n4; i += 4) {
      const o = <usize>i << 2;
      // divide, as the scalar tail: x * (1 / s) can round across a level
      const code = f32x4.min(f32x4.max(f32x4.add(f32x4.nearest(f32x4.div(v128.load(p + o), vs)), vz), v0), vL);
      v128.store(q + o, f32x4.mul(vs, f32x4.sub(code, vz)));
    }
    for (let i = n4; i < size; i++) {
      const o = <usize>i << 2;
      const code = min(L, max(<f32>0, nearest<f32>(load<f32>(p + o) / sc) + z));
      store<f32>(q + o, sc * (code - z));
    }
  }
}

// @ts-ignore: decorator
@inline function affineZero(sc: f32, off: f32, L: f32): f32 {
  return min(L, max(<f32>0, nearest<f32>(-off / sc)));
}

/**
 * Backward of affineQuantForward for the gradient gq of the loss in its output. In w, straight
 * through inside the range (0 <= w / s + z <= L), 0 outside. In the map, the codes and the zero
 * point are held fixed: d out / d s = q - z, and the offset passes straight through the rounding
 * of z (out = s q + b with b ~ -s z), d out / d b = 1. Writes gw and the group sums gs[g], gb[g]
 * (overwritten), before any gradient scaling (the caller's).
 */
export function affineQuantBackward(w: usize, gq: usize, gw: usize, groups: i32, size: i32, bits: i32, s: usize, b: usize,
                                    gs: usize, gb: usize): void {
  const L = <f32>((1 << bits) - 1);
  for (let gi = 0; gi < groups; gi++) {
    const base = <usize>gi * <usize>size << 2;
    const sc = load<f32>(s + (<usize>gi << 2)), z = affineZero(sc, load<f32>(b + (<usize>gi << 2)), L);
    const vs = f32x4.splat(sc), vz = f32x4.splat(z), v0 = f32x4.splat(0), vL = f32x4.splat(L);
    let ds: f64 = 0, db: f64 = 0;
    let acs = f32x4.splat(0), acb = f32x4.splat(0);
    const n4 = size & ~3;
    for (let i = 0; i < n4; i += 4) {
      const o = base + (<usize>i << 2);
      const t = f32x4.div(v128.load(w + o), vs), u = f32x4.add(t, vz), g = v128.load(gq + o);
      const code = f32x4.min(f32x4.max(f32x4.add(f32x4.nearest(t), vz), v0), vL);
      v128.store(gw + o, v128.and(g, v128.and(f32x4.ge(u, v0), f32x4.le(u, vL))));
      acs = f32x4.add(acs, f32x4.mul(g, f32x4.sub(code, vz)));
      acb = f32x4.add(acb, g);
      if ((i & 1023) == 1020) { ds += lanes(acs); db += lanes(acb); acs = f32x4.splat(0); acb = f32x4.splat(0); } // f32 partial sums stay short
    }
    ds += lanes(acs); db += lanes(acb);
    for (let i = n4; i < size; i++) {
      const o = base + (<usize>i << 2);
      const t = load<f32>(w + o) / sc, u = t + z, g = load<f32>(gq + o);
      store<f32>(gw + o, u >= 0 && u <= L ? g : 0);
      ds += <f64>g * <f64>(min(L, max(<f32>0, nearest<f32>(t) + z)) - z);
      db += <f64>g;
    }
    store<f32>(gs + (<usize>gi << 2), <f32>ds);
    store<f32>(gb + (<usize>gi << 2), <f32>db);
  }
}

// @ts-ignore: decorator
@inline function lanes(v: v128): f64 {
  return <f64>f32x4.extract_lane(v, 0) + <f64>f32x4.extract_lane(v, 1) + <f64>f32x4.extract_lane(v, 2) + <f64>f32x4.extract_lane(v, 3);
}
