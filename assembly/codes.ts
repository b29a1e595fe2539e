// Sub-byte code storage: rows of `bits`-bit unsigned codes (bits 4 or 2) packed LSB first, each row
// starting on a byte: code t of a row sits at bits (t * bits) % 8 of byte (t * bits) / 8, and a
// row takes ceil(k * bits / 8) bytes. 4-bit: byte i = c[2i] | c[2i+1] << 4; 2-bit: byte i =
// c[4i] | c[4i+1] << 2 | c[4i+2] << 4 | c[4i+3] << 6.

/** Sum of the k bytes at row (u8), 16 at a time. */
// @ts-ignore: decorator
@inline export function sumBytes(row: usize, k: i32): i32 {
  const k16 = k & ~15;
  let acc = i32x4.splat(0);
  for (let t = 0; t < k16; t += 16) {
    acc = i32x4.add(acc, i32x4.extadd_pairwise_i16x8_u(i16x8.extadd_pairwise_i8x16_u(v128.load(row + <usize>t))));
  }
  let sum = i32x4.extract_lane(acc, 0) + i32x4.extract_lane(acc, 1) + i32x4.extract_lane(acc, 2) + i32x4.extract_lane(acc, 3);
  for (let t = k16; t < k; t++) sum += <i32>load<u8>(row + <usize>t);
  return sum;
}

/** u8 codes [rows][k] (each < 2^bits) -> packed rows. */
export function packCodes(src: usize, rows: i32, k: i32, bits: i32, dst: usize): void {
  const rowBytes = <usize>((k * bits + 7) >>> 3);
  const per = 8 / bits;
  const k16 = k & ~15;
  for (let r = 0; r < rows; r++) {
    const s = src + <usize>r * <usize>k;
    const d = dst + <usize>r * rowBytes;
    for (let t = 0; t < k16; t += 16) {
      const v = v128.load(s + <usize>t);
      if (bits == 4) {
        // even codes in the low nibble, odd codes in the high one (codes < 16: nothing crosses a byte)
        const ev = i8x16.shuffle(v, v, 0, 2, 4, 6, 8, 10, 12, 14, 0, 2, 4, 6, 8, 10, 12, 14);
        const od = i8x16.shuffle(v, v, 1, 3, 5, 7, 9, 11, 13, 15, 1, 3, 5, 7, 9, 11, 13, 15);
        store<u64>(d + (<usize>t >>> 1), i64x2.extract_lane(v128.or(ev, i16x8.shl(od, 4)), 0));
      } else {
        const c0 = i8x16.shuffle(v, v, 0, 4, 8, 12, 0, 4, 8, 12, 0, 4, 8, 12, 0, 4, 8, 12);
        const c1 = i8x16.shuffle(v, v, 1, 5, 9, 13, 1, 5, 9, 13, 1, 5, 9, 13, 1, 5, 9, 13);
        const c2 = i8x16.shuffle(v, v, 2, 6, 10, 14, 2, 6, 10, 14, 2, 6, 10, 14, 2, 6, 10, 14);
        const c3 = i8x16.shuffle(v, v, 3, 7, 11, 15, 3, 7, 11, 15, 3, 7, 11, 15, 3, 7, 11, 15);
        const p = v128.or(v128.or(c0, i16x8.shl(c1, 2)), v128.or(i16x8.shl(c2, 4), i16x8.shl(c3, 6)));
        store<u32>(d + (<usize>t >>> 2), i32x4.extract_lane(p, 0));
      }
    }
    // the tail: clear the remaining bytes, then OR codes in
    const from = <usize>(k16 / per);
    if (rowBytes > from) memory.fill(d + from, 0, rowBytes - from);
    for (let t = k16; t < k; t++) {
      const bit = t * bits;
      const pb = d + <usize>(bit >>> 3);
      store<u8>(pb, load<u8>(pb) | <u8>(<u32>load<u8>(s + <usize>t) << (bit & 7)));
    }
  }
}

/** Packed rows -> u8 codes [rows][k]. */
export function unpackCodes(src: usize, rows: i32, k: i32, bits: i32, dst: usize): void {
  const rowBytes = <usize>((k * bits + 7) >>> 3);
  const mask: u32 = (1 << bits) - 1;
  const k16 = k & ~15;
  const lowNib = i8x16.splat(0x0f), low2 = i8x16.splat(3);
  for (let r = 0; r < rows; r++) {
    const s = src + <usize>r * rowBytes;
    const d = dst + <usize>r * <usize>k;
    for (let t = 0; t < k16; t += 16) {
      if (bits == 4) {
        const v = v128.load64_zero(s + (<usize>t >>> 1));
        const lo = v128.and(v, lowNib), hi = v128.and(i16x8.shr_u(v, 4), lowNib);
        v128.store(d + <usize>t, i8x16.shuffle(lo, hi, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23));
      } else {
        const v = v128.load32_zero(s + (<usize>t >>> 2));
        const c0 = v128.and(v, low2), c1 = v128.and(i16x8.shr_u(v, 2), low2);
        const c2 = v128.and(i16x8.shr_u(v, 4), low2), c3 = v128.and(i16x8.shr_u(v, 6), low2);
        const c01 = i8x16.shuffle(c0, c1, 0, 16, 1, 17, 2, 18, 3, 19, 0, 0, 0, 0, 0, 0, 0, 0);
        const c23 = i8x16.shuffle(c2, c3, 0, 16, 1, 17, 2, 18, 3, 19, 0, 0, 0, 0, 0, 0, 0, 0);
        // code 4i + j comes from c_j byte i
        v128.store(d + <usize>t, i8x16.shuffle(c01, c23, 0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23));
      }
    }
    for (let t = k16; t < k; t++) {
      const bit = t * bits;
      store<u8>(d + <usize>t, <u8>((<u32>load<u8>(s + <usize>(bit >>> 3)) >>> (bit & 7)) & mask));
    }
  }
}
