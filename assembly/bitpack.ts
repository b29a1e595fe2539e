// Sign / bit packing. Bit j of a packed row is element j (least significant bit first); bit 1 means
// +1 (x >= 0, including -0), bit 0 means -1 (x < 0, and NaN). Words are little-endian, so a row of
// 32-bit words and a row of 64-bit or 128-bit words hold the same bits in the same bytes.

// Sign bits of 16 floats at p, as the low 16 bits of an i32 (bit t = x[t] >= 0).
// @ts-ignore: decorator
@inline function signBits16(p: usize, zero: v128): i32 {
  const m0 = f32x4.ge(v128.load(p, 0), zero);
  const m1 = f32x4.ge(v128.load(p, 16), zero);
  const m2 = f32x4.ge(v128.load(p, 32), zero);
  const m3 = f32x4.ge(v128.load(p, 48), zero);
  // lanes are 0 or -1: saturating narrows keep them, then one bitmask reads 16 sign bits
  const lo = i16x8.narrow_i32x4_s(m0, m1);
  const hi = i16x8.narrow_i32x4_s(m2, m3);
  return i8x16.bitmask(i8x16.narrow_i16x8_s(lo, hi));
}

/**
 * Pack the signs of `rows` rows of `k` f32 (row stride k) into rows of `dstWords` u32 words.
 * Words past ceil(k/32) and bits past k are zero. Requires dstWords >= ceil(k/32).
 */
export function packSignsRows(src: usize, rows: i32, k: i32, dst: usize, dstWords: i32): void {
  const zero = f32x4.splat(0);
  const full = k >>> 5;
  for (let r = 0; r < rows; r++) {
    let s = src + <usize>r * <usize>k * 4;
    let d = dst + <usize>r * <usize>dstWords * 4;
    for (let w = 0; w < full; w++) {
      const lo = signBits16(s, zero);
      const hi = signBits16(s + 64, zero);
      store<u32>(d, <u32>(lo | (hi << 16)));
      s += 128;
      d += 4;
    }
    const tail = k & 31;
    let words = full;
    if (tail) {
      let bits: u32 = 0;
      for (let t = 0; t < tail; t++) {
        bits |= <u32>(load<f32>(s + (<usize>t << 2)) >= 0) << t;
      }
      store<u32>(d, bits);
      d += 4;
      words++;
    }
    if (dstWords > words) memory.fill(d, 0, <usize>(dstWords - words) << 2);
  }
}

/**
 * Copy `rows` rows of `srcWords` u32 words, of which the first `kbits` bits are valid, into rows of
 * `dstWords` words: bits past kbits are cleared (in the last valid word and in every word after it),
 * so both operands of an xor kernel have zero tails. Requires dstWords >= ceil(kbits/32); src may
 * equal dst when srcWords == dstWords.
 */
export function copyBitRows(src: usize, rows: i32, srcWords: i32, kbits: i32, dst: usize, dstWords: i32): void {
  const valid = (kbits + 31) >>> 5;
  const tail = kbits & 31;
  const tailMask: u32 = tail ? (<u32>1 << tail) - 1 : 0xffffffff;
  const validBytes = <usize>valid << 2;
  if (src == dst && srcWords == dstWords) {
    // in place: only the bits past kbits change; nothing to do when a row is exactly kbits long
    if (tail == 0 && valid == srcWords) return;
    for (let r = 0; r < rows; r++) {
      const d = dst + (<usize>r * <usize>dstWords << 2);
      if (valid > 0) store<u32>(d + validBytes - 4, load<u32>(d + validBytes - 4) & tailMask);
      for (let w = valid; w < dstWords; w++) store<u32>(d + (<usize>w << 2), 0);
    }
    return;
  }
  for (let r = 0; r < rows; r++) {
    const s = src + (<usize>r * <usize>srcWords << 2);
    const d = dst + (<usize>r * <usize>dstWords << 2);
    memory.copy(d, s, validBytes);
    if (valid > 0) {
      const last = d + validBytes - 4;
      store<u32>(last, load<u32>(last) & tailMask);
    }
    if (dstWords > valid) memory.fill(d + validBytes, 0, <usize>(dstWords - valid) << 2);
  }
}

/**
 * Bit rows -> bit panels for the xnor kernels: `rows` rows of `srcWords` u32 words (first `kbits`
 * bits valid) become ceil(rows/r) panels of kv = ceil(kbits/128) steps, each step r rows x 16 bytes:
 * dst[((g * kv + s) * r + t) * 16 ..] = bytes 16s .. 16s+15 of row g*r + t.
 * Bits past kbits and rows past `rows` are written as zero.
 */
export function packBitPanels(src: usize, rows: i32, srcWords: i32, kbits: i32, r: i32, dst: usize): void {
  const kv = (kbits + 127) >>> 7;
  const full = kbits >>> 7; // steps with every bit valid
  const panels = (rows + r - 1) / r;
  const rowBytes = <usize>srcWords << 2;
  const stepBytes = <usize>r << 4;
  // the partial last step: a mask of its valid bits (tailBits in 1..127; unused when 0)
  const tailBits = kbits & 127;
  const lo: u64 = tailBits >= 64 ? <u64>-1 : (<u64>1 << <u64>tailBits) - 1;
  const hi: u64 = tailBits > 64 ? (<u64>1 << <u64>(tailBits - 64)) - 1 : 0;
  const tailMask = i64x2.replace_lane(i64x2.splat(<i64>lo), 1, <i64>hi);
  const validBytes = <usize>(kbits + 7) >>> 3; // bytes a source row really holds (<= rowBytes)
  for (let g = 0; g < panels; g++) {
    for (let t = 0; t < r; t++) {
      const row = g * r + t;
      let d = dst + <usize>g * <usize>kv * stepBytes + (<usize>t << 4);
      if (row >= rows) {
        for (let s = 0; s < kv; s++) {
          v128.store(d, i32x4.splat(0));
          d += stepBytes;
        }
        continue;
      }
      const sr = src + <usize>row * rowBytes;
      for (let s = 0; s < full; s++) {
        v128.store(d, v128.load(sr + (<usize>s << 4)));
        d += stepBytes;
      }
      if (full < kv) {
        // the source row may end inside this 16-byte step: copy what exists, then mask
        v128.store(d, i32x4.splat(0));
        const from = <usize>full << 4;
        memory.copy(d, sr + from, min<usize>(16, validBytes - from));
        v128.store(d, v128.and(v128.load(d), tailMask));
      }
    }
  }
}
