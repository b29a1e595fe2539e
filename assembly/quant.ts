// Weight projections onto the quantized sets of ../shared/algorithms.md, per group of `size`
// consecutive weights (a whole layer, or one output channel when weights are [cout][...]).
// Each writes the projected weights to out and the group's scale to scales[group].

/** b_w = 1: s = mean |w|, out = s sign(w) with sign(0) = +1. The exact least-squares projection. */
export function projectBinary(w: usize, out: usize, groups: i32, size: i32, scales: usize): void {
  for (let gi = 0; gi < groups; gi++) {
    const p = w + (<usize>gi * <usize>size << 2), q = out + (<usize>gi * <usize>size << 2);
    let sum: f64 = 0;
    for (let i = 0; i < size; i++) sum += <f64>Mathf.abs(load<f32>(p + (<usize>i << 2)));
    const s = <f32>(sum / <f64>size);
    for (let i = 0; i < size; i++) {
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

/**
 * b_w >= 3, approximate projection onto s {0, +-1, .., +-L}, L = 2^(bits-1) - 1: start from the
 * step 2 max|w| / (2^bits - 1), then alternate `rounds` times between assigning integer levels
 * q = clip(floor(|w| / s + 0.5), 0, L) (in f32) and refitting s = <|w|, q> / <q, q> (least squares).
 */
export function projectUniform(w: usize, out: usize, groups: i32, size: i32, bits: i32, rounds: i32, scales: usize): void {
  const L = <f32>((1 << (bits - 1)) - 1);
  for (let gi = 0; gi < groups; gi++) {
    const p = w + (<usize>gi * <usize>size << 2), q = out + (<usize>gi * <usize>size << 2);
    let mx: f32 = 0;
    for (let i = 0; i < size; i++) mx = max(mx, Mathf.abs(load<f32>(p + (<usize>i << 2))));
    let s: f32 = 2 * mx / <f32>((1 << bits) - 1);
    for (let r = 0; r < rounds && s > 0; r++) {
      let wq: f64 = 0, qq: f64 = 0;
      for (let i = 0; i < size; i++) {
        const a = Mathf.abs(load<f32>(p + (<usize>i << 2)));
        const lv = min(L, Mathf.floor(a / s + <f32>0.5));
        wq += <f64>a * <f64>lv;
        qq += <f64>lv * <f64>lv;
      }
      if (qq > 0) s = <f32>(wq / qq);
    }
    for (let i = 0; i < size; i++) {
      const o = <usize>i << 2;
      const v = load<f32>(p + o);
      const lv = s > 0 ? min(L, Mathf.floor(Mathf.abs(v) / s + <f32>0.5)) : 0;
      store<f32>(q + o, v >= 0 ? s * lv : -s * lv);
    }
    store<f32>(scales + (<usize>gi << 2), s);
  }
}
