// Integer-only inference steps between layers: BatchNorm + quantized ReLU / sign folded
// into per-channel integer thresholds (the derivation is in src/infer/compile.ts), max pooling on
// signed sums and on packed sign bits, bit unpacking, logits and the model checksum.

/**
 * Max pooling of packed sign bits (bit 1 = +1): the max of +-1 values is their OR. Pixels of
 * `words` u32 words, NHWC, k x k windows, stride k.
 */
export function maxPoolBits(x: usize, n: i32, h: i32, w: i32, words: i32, k: i32, oh: i32, ow: i32, y: usize): void {
  let q = y;
  for (let img = 0; img < n; img++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        const first = x + (<usize>(((img * h + oy * k) * w + ox * k) * words) << 2);
        for (let j = 0; j < words; j++) {
          let m: u32 = 0;
          for (let ky = 0; ky < k; ky++) {
            for (let kx = 0; kx < k; kx++) m |= load<u32>(first + (<usize>((ky * w + kx) * words + j) << 2));
          }
          store<u32>(q + (<usize>j << 2), m);
        }
        q += <usize>words << 2;
      }
    }
  }
}

/**
 * Rows of packed bits (wordsPerRow u32 words, LSB first) -> k bytes per row: `one` for a set bit,
 * else 0. With one = 2 and a zero point of 1 the affine kernels see the +-1 values the bits stand for.
 */
export function unpackBitsU8(x: usize, rows: i32, wordsPerRow: i32, k: i32, one: u8, out: usize): void {
  for (let r = 0; r < rows; r++) {
    const p = x + (<usize>r * <usize>wordsPerRow << 2), q = out + <usize>r * <usize>k;
    for (let j = 0; j < k; j++) store<u8>(q + <usize>j, <u8>((load<u32>(p + (<usize>(j >>> 5) << 2)) >>> (<u32>j & 31)) & 1) * one);
  }
}

/** Logits from the last layer's int32 sums: out[r][c] = scale[c] acc[r][c] + bias[c]. */
export function affineLogits(acc: usize, rows: i32, cols: i32, scale: usize, bias: usize, out: usize): void {
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const o = (<usize>r * <usize>cols + <usize>c) << 2, co = <usize>c << 2;
      store<f32>(out + o, <f32>(<f64>load<f32>(scale + co) * <f64>load<i32>(acc + o) + <f64>load<f32>(bias + co)));
    }
  }
}

/**
 * acc [rows][c] i32 -> codes [rows][c] u8: code = #{k : s[c] acc >= thr[k][c]}, with thr
 * [levels][c] (level-major, so channels load together) and a per-channel sign s[c] = +-1. The
 * Engine turns a flipped channel's "acc < T" into "-acc >= 1 - T" at load time.
 *
 * Most groups of 8 channels compare in i16 lanes, 8 at once, 4 rows per threshold load. Exactly so:
 * - a first pass finds each channel's range [lo, hi] of s acc over these rows; a threshold t then
 *   counts as clamp(t, lo, hi + 1) (every such sum is on the same side of both), so thresholds that
 *   no row can reach (e.g. the +-2^31 of a dead channel) stop mattering;
 * - where those clamped thresholds span at most 65534, sums and thresholds are taken relative to
 *   the middle b of the span, with s acc clamped to [b - 32768, b + 32767], an interval that holds
 *   every clamped threshold: clamped sum - b and threshold - b both fit in i16 and compare as before.
 * Other groups compare in i32 lanes.
 */
export function multiThresholdSigned(acc: usize, rows: i32, c: i32, thr: usize, levels: i32, sign: usize, out: usize): void {
  const c8 = c & ~7, lvStride = <usize>c << 2, rowStride = <usize>c << 2;
  const MAX = i32x4.splat(i32.MAX_VALUE), MIN = i32x4.splat(i32.MIN_VALUE), edge = i32x4.splat(65536), span = i32x4.splat(65534);
  for (let ch = 0; ch < c8; ch += 8) {
    const o = <usize>ch << 2, s0 = v128.load(sign + o), s1 = v128.load(sign + o, 16);
    if (thresholdsInI16(thr + o, levels, lvStride)) { // the common case: no offsets, no clamps
      thresholdRowsI16(acc, rows, c, thr, levels, out, ch, s0, s1, MIN, MIN, MAX, MAX, MIN, MIN, false);
      continue;
    }
    // the range of s acc per channel over these rows; hi + 1 (unless hi is the int32 maximum)
    let lo0 = MAX, lo1 = MAX, hi0 = MIN, hi1 = MIN;
    for (let r = 0, p = acc + o; r < rows; r++, p += rowStride) {
      const a0 = i32x4.mul(v128.load(p), s0), a1 = i32x4.mul(v128.load(p, 16), s1);
      lo0 = i32x4.min_s(lo0, a0); hi0 = i32x4.max_s(hi0, a0);
      lo1 = i32x4.min_s(lo1, a1); hi1 = i32x4.max_s(hi1, a1);
    }
    hi0 = i32x4.sub(hi0, v128.not(i32x4.eq(hi0, MAX)));
    hi1 = i32x4.sub(hi1, v128.not(i32x4.eq(hi1, MAX)));
    // the span of the clamped thresholds
    let mx0 = MIN, mx1 = MIN, mn0 = MAX, mn1 = MAX;
    let t = thr + o;
    for (let k = 0; k < levels; k++) {
      const v0 = i32x4.min_s(i32x4.max_s(v128.load(t), lo0), hi0), v1 = i32x4.min_s(i32x4.max_s(v128.load(t, 16), lo1), hi1);
      mx0 = i32x4.max_s(mx0, v0); mn0 = i32x4.min_s(mn0, v0);
      mx1 = i32x4.max_s(mx1, v1); mn1 = i32x4.min_s(mn1, v1);
      t += lvStride;
    }
    // i16 where each span is at most 65534 (unsigned: no wrap) and b +- 32768 cannot overflow
    const w0 = i32x4.sub(mx0, mn0), w1 = i32x4.sub(mx1, mn1);
    const fits = v128.and(
      v128.and(i32x4.le_u(w0, span), i32x4.le_u(w1, span)),
      v128.and(v128.and(i32x4.ge_s(mn0, i32x4.add(MIN, edge)), i32x4.ge_s(mn1, i32x4.add(MIN, edge))),
        v128.and(i32x4.le_s(mx0, i32x4.sub(MAX, edge)), i32x4.le_s(mx1, i32x4.sub(MAX, edge)))));
    if (levels > 0 && i32x4.all_true(fits)) {
      thresholdRowsI16(acc, rows, c, thr, levels, out, ch, s0, s1, lo0, lo1, hi0, hi1,
        i32x4.add(mn0, i32x4.shr_u(w0, 1)), i32x4.add(mn1, i32x4.shr_u(w1, 1)), true);
    } else thresholdRowsI32(acc, rows, c, thr, levels, sign, out, ch, ch + 8);
  }
  thresholdRowsI32(acc, rows, c, thr, levels, sign, out, c8, c);
}

// every threshold of 8 channels (level-major, lvStride bytes apart) within [-32767, 32767]: s acc
// saturated to i16 then lies on the same side of each as s acc itself
function thresholdsInI16(t: usize, levels: i32, lvStride: usize): bool {
  let mx = i32x4.splat(-32767), mn = i32x4.splat(32767);
  for (let k = 0; k < levels; k++) {
    const lo = v128.load(t), hi = v128.load(t, 16);
    mx = i32x4.max_s(mx, i32x4.max_s(lo, hi));
    mn = i32x4.min_s(mn, i32x4.min_s(lo, hi));
    t += lvStride;
  }
  return levels > 0 && i32x4.all_true(i32x4.le_s(mx, i32x4.splat(32767))) && i32x4.all_true(i32x4.ge_s(mn, i32x4.splat(-32767)));
}

// s acc of 8 channels of one row in i16: general, clamped to [b - 32768, b + 32767] minus b; else saturated
// @ts-ignore: decorator
@inline function signedRowI16(p: usize, s0: v128, s1: v128, b0: v128, b1: v128, lo0: v128, lo1: v128, hi0: v128, hi1: v128, general: bool): v128 {
  if (!general) return i16x8.narrow_i32x4_s(i32x4.mul(v128.load(p), s0), i32x4.mul(v128.load(p, 16), s1));
  const a0 = i32x4.min_s(i32x4.max_s(i32x4.mul(v128.load(p), s0), lo0), hi0);
  const a1 = i32x4.min_s(i32x4.max_s(i32x4.mul(v128.load(p, 16), s1), lo1), hi1);
  return i16x8.narrow_i32x4_s(i32x4.sub(a0, b0), i32x4.sub(a1, b1));
}

// a level's thresholds of 8 channels in i16: general, clamped to the rows' range [lo, hi + 1] minus b
// @ts-ignore: decorator
@inline function thresholdI16(t: usize, r0: v128, r1: v128, q0: v128, q1: v128, b0: v128, b1: v128, general: bool): v128 {
  if (!general) return i16x8.narrow_i32x4_s(v128.load(t), v128.load(t, 16));
  return i16x8.narrow_i32x4_s(i32x4.sub(i32x4.min_s(i32x4.max_s(v128.load(t), r0), q0), b0),
    i32x4.sub(i32x4.min_s(i32x4.max_s(v128.load(t, 16), r1), q1), b1));
}

// channels [ch, ch + 8) of every row in i16 lanes (general: relative to the bases b0, b1, with r, q
// the rows' range [lo, hi + 1] per channel): four rows share each threshold load
// @ts-ignore: decorator
@inline function thresholdRowsI16(acc: usize, rows: i32, c: i32, thr: usize, levels: i32, out: usize, ch: i32,
                          s0: v128, s1: v128, r0: v128, r1: v128, q0: v128, q1: v128, b0: v128, b1: v128, general: bool): void {
  const rowStride = <usize>c << 2, lvStride = <usize>c << 2, o = <usize>ch << 2;
  const lo0 = i32x4.sub(b0, i32x4.splat(32768)), lo1 = i32x4.sub(b1, i32x4.splat(32768));
  const hi0 = i32x4.add(b0, i32x4.splat(32767)), hi1 = i32x4.add(b1, i32x4.splat(32767));
  let r = 0;
  for (; r + 4 <= rows; r += 4) {
    const pa = acc + <usize>r * rowStride + o;
    const a0 = signedRowI16(pa, s0, s1, b0, b1, lo0, lo1, hi0, hi1, general), a1 = signedRowI16(pa + rowStride, s0, s1, b0, b1, lo0, lo1, hi0, hi1, general);
    const a2 = signedRowI16(pa + 2 * rowStride, s0, s1, b0, b1, lo0, lo1, hi0, hi1, general), a3 = signedRowI16(pa + 3 * rowStride, s0, s1, b0, b1, lo0, lo1, hi0, hi1, general);
    let n0 = i16x8.splat(0), n1 = n0, n2 = n0, n3 = n0;
    let t = thr + o;
    for (let k = 0; k < levels; k++) {
      const tk = thresholdI16(t, r0, r1, q0, q1, b0, b1, general);
      n0 = i16x8.sub(n0, i16x8.ge_s(a0, tk)); // a mask of -1 where the level is reached
      n1 = i16x8.sub(n1, i16x8.ge_s(a1, tk));
      n2 = i16x8.sub(n2, i16x8.ge_s(a2, tk));
      n3 = i16x8.sub(n3, i16x8.ge_s(a3, tk));
      t += lvStride;
    }
    const po = out + <usize>r * <usize>c + <usize>ch;
    v128.store64_lane(po, i8x16.narrow_i16x8_u(n0, n0), 0);
    v128.store64_lane(po + <usize>c, i8x16.narrow_i16x8_u(n1, n1), 0);
    v128.store64_lane(po + 2 * <usize>c, i8x16.narrow_i16x8_u(n2, n2), 0);
    v128.store64_lane(po + 3 * <usize>c, i8x16.narrow_i16x8_u(n3, n3), 0);
  }
  for (; r < rows; r++) {
    const a = signedRowI16(acc + <usize>r * rowStride + o, s0, s1, b0, b1, lo0, lo1, hi0, hi1, general);
    let n = i16x8.splat(0);
    let t = thr + o;
    for (let k = 0; k < levels; k++) {
      n = i16x8.sub(n, i16x8.ge_s(a, thresholdI16(t, r0, r1, q0, q1, b0, b1, general)));
      t += lvStride;
    }
    v128.store64_lane(out + <usize>r * <usize>c + <usize>ch, i8x16.narrow_i16x8_u(n, n), 0);
  }
}

// channels [from, to) of every row in i32 lanes (4 at a time, then one by one)
function thresholdRowsI32(acc: usize, rows: i32, c: i32, thr: usize, levels: i32, sign: usize, out: usize, from: i32, to: i32): void {
  const rowStride = <usize>c << 2, lvStride = <usize>c << 2, to4 = from + ((to - from) & ~3);
  for (let r = 0; r < rows; r++) {
    const pa = acc + <usize>r * rowStride, po = out + <usize>r * <usize>c;
    for (let ch = from; ch < to4; ch += 4) {
      const o = <usize>ch << 2;
      const a = i32x4.mul(v128.load(pa + o), v128.load(sign + o));
      let n = i32x4.splat(0);
      let t = thr + o;
      for (let k = 0; k < levels; k++) {
        n = i32x4.sub(n, i32x4.ge_s(a, v128.load(t)));
        t += lvStride;
      }
      const b = i8x16.narrow_i16x8_u(i16x8.narrow_i32x4_u(n, n), i16x8.narrow_i32x4_u(n, n));
      store<i32>(po + <usize>ch, i32x4.extract_lane(b, 0));
    }
    for (let ch = to4; ch < to; ch++) {
      const a = load<i32>(pa + (<usize>ch << 2)) * load<i32>(sign + (<usize>ch << 2));
      let n = 0;
      for (let k = 0; k < levels; k++) n += <i32>(a >= load<i32>(thr + <usize>k * lvStride + (<usize>ch << 2)));
      store<u8>(po + <usize>ch, <u8>n);
    }
  }
}

/**
 * Max pooling of int32 sums times a per-channel sign (NHWC, k x k, stride k): out = max over the
 * window of sign[c] acc. A threshold step is monotone in sign[c] acc, so pooling these sums and
 * then thresholding once equals thresholding every pixel and pooling the codes (4x fewer
 * thresholds for 2x2 pooling).
 */
export function maxPoolSignedI32(acc: usize, n: i32, h: i32, w: i32, c: i32, k: i32, sign: usize, oh: i32, ow: i32, out: usize): void {
  const c4 = c & ~3;
  if (k == 2 && c4 == c) { maxPoolSigned2x2(acc, n, h, w, c, sign, oh, ow, out); return; }
  let q = out;
  for (let img = 0; img < n; img++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        const first = acc + (<usize>(((img * h + oy * k) * w + ox * k) * c) << 2);
        for (let ch = 0; ch < c4; ch += 4) {
          const s = v128.load(sign + (<usize>ch << 2));
          let m = i32x4.splat(i32.MIN_VALUE);
          for (let ky = 0; ky < k; ky++) {
            for (let kx = 0; kx < k; kx++) m = i32x4.max_s(m, i32x4.mul(s, v128.load(first + (<usize>((ky * w + kx) * c + ch) << 2))));
          }
          v128.store(q + (<usize>ch << 2), m);
        }
        for (let ch = c4; ch < c; ch++) {
          const s = load<i32>(sign + (<usize>ch << 2));
          let m = i32.MIN_VALUE;
          for (let ky = 0; ky < k; ky++) {
            for (let kx = 0; kx < k; kx++) m = max(m, s * load<i32>(first + (<usize>((ky * w + kx) * c + ch) << 2)));
          }
          store<i32>(q + (<usize>ch << 2), m);
        }
        q += <usize>c << 2;
      }
    }
  }
}

// the common case unrolled: 2 x 2 windows, channels a multiple of 4 (the generic loop spent more on
// its window indexing than on the maxima)
function maxPoolSigned2x2(acc: usize, n: i32, h: i32, w: i32, c: i32, sign: usize, oh: i32, ow: i32, out: usize): void {
  const px = <usize>c << 2, line = <usize>w * px;
  let q = out;
  for (let img = 0; img < n; img++) {
    for (let oy = 0; oy < oh; oy++) {
      let p = acc + (<usize>(img * h + 2 * oy) * <usize>w) * px;
      for (let ox = 0; ox < ow; ox++) {
        for (let o: usize = 0; o < px; o += 16) {
          const s = v128.load(sign + o), a = p + o;
          const top = i32x4.max_s(i32x4.mul(s, v128.load(a)), i32x4.mul(s, v128.load(a + px)));
          const bottom = i32x4.max_s(i32x4.mul(s, v128.load(a + line)), i32x4.mul(s, v128.load(a + line + px)));
          v128.store(q + o, i32x4.max_s(top, bottom));
        }
        p += 2 * px;
        q += px;
      }
    }
  }
}

/** Rows of packed sign bits (pixels of wpp u32 words, c channels each) -> +-1 int8, [pixels][c] (load time). */
export function unpackSignsI8(x: usize, pixels: i32, wpp: i32, c: i32, out: usize): void {
  for (let p = 0; p < pixels; p++) {
    const s = x + (<usize>p * <usize>wpp << 2), d = out + <usize>p * <usize>c;
    for (let ch = 0; ch < c; ch++) store<i8>(d + <usize>ch, ((load<u32>(s + (<usize>(ch >>> 5) << 2)) >>> (<u32>ch & 31)) & 1) ? 1 : -1);
  }
}

let crcTable: usize = 0;
/** CRC-32 (IEEE, as zip and PNG) of n bytes: the model file's checksum, checked at load. */
export function crc32(p: usize, n: i32): u32 {
  if (!crcTable) {
    crcTable = heap.alloc(1024);
    for (let i: u32 = 0; i < 256; i++) {
      let c = i;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      store<u32>(crcTable + (<usize>i << 2), c);
    }
  }
  let c: u32 = 0xffffffff;
  for (let i = 0; i < n; i++) c = load<u32>(crcTable + (<usize>((c ^ <u32>load<u8>(p + <usize>i)) & 255) << 2)) ^ (c >>> 8);
  return c ^ 0xffffffff;
}
