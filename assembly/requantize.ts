// Integer-only requantization: int32 accumulators -> the next layer's 8-bit codes, no float.
//   y = clamp( ((acc + bias[c]) * mult[c] + 2^(T-1)) >> T  +  zy,  lo, hi )
// computed exactly in i64 (|acc + bias| < 2^31, mult < 2^31, so the product and the rounding term
// stay below 2^62). The real multiplier M[c] = mult[c] / 2^T[c] (chosen by the TypeScript side so
// that every channel keeps 31 significant bits): one shift for all channels runs on i64x2 lanes;
// per-channel shifts (t = 0, `shifts` given) run lane by lane, as Wasm SIMD shifts by one count. Rounding: half toward +infinity (the add of
// 2^(T-1) before an arithmetic shift). A fused ReLU is lo = zy; a plain clamp is lo..hi = code range.

// i64x2 products (acc * mult) -> rounded, shifted, clamped to [lo64, hi64] (before the zero point)
// @ts-ignore: decorator
@inline function requant2(prod: v128, round: v128, t: i32, lo64: v128, hi64: v128): v128 {
  let p = i64x2.shr_s(i64x2.add(prod, round), t);
  p = v128.bitselect(lo64, p, i64x2.lt_s(p, lo64));
  p = v128.bitselect(hi64, p, i64x2.gt_s(p, hi64));
  return p;
}

/**
 * acc: [rows][channels] i32; bias: [channels] i32 or 0; mult: [channels] i32 (> 0); t in 1..62;
 * zy, lo, hi: output zero point and clamp (codes); out: [rows][channels] bytes (u8 or i8 by lo/hi).
 */
export function requantize(acc: usize, rows: i32, channels: i32, bias: usize, mult: usize, t: i32,
                           zy: i32, lo: i32, hi: i32, out: usize, shifts: usize): void {
  if (t == 0) {
    requantizePerChannelShift(acc, rows, channels, bias, mult, shifts, zy, lo, hi, out);
    return;
  }
  const round = i64x2.splat(<i64>1 << <i64>(t - 1));
  // clamp before adding the zero point: [lo - zy, hi - zy] in i64
  const lo64 = i64x2.splat(<i64>(lo - zy)), hi64 = i64x2.splat(<i64>(hi - zy));
  const zv = i32x4.splat(zy);
  const c4 = channels & ~3;
  for (let r = 0; r < rows; r++) {
    const pa = acc + (<usize>r * <usize>channels << 2);
    const po = out + <usize>r * <usize>channels;
    for (let c = 0; c < c4; c += 4) {
      const o = <usize>c << 2;
      let x = v128.load(pa + o);
      if (bias) x = i32x4.add(x, v128.load(bias + o));
      const m = v128.load(mult + o);
      // mult < 2^31 is a positive i32, so the signed 32 x 32 -> 64 multiply (pmuldq) is exact
      const lo2 = requant2(i64x2.extmul_low_i32x4_s(x, m), round, t, lo64, hi64);
      const hi2 = requant2(i64x2.extmul_high_i32x4_s(x, m), round, t, lo64, hi64);
      // the low 32 bits of each i64 lane (values now within [lo - zy, hi - zy]), plus the zero point
      const y = i32x4.add(i32x4.shuffle(lo2, hi2, 0, 2, 4, 6), zv);
      // y is within [lo, hi] (a sub-range of -128..255): keep the low byte of each lane
      const b = i8x16.shuffle(y, y, 0, 4, 8, 12, 0, 4, 8, 12, 0, 4, 8, 12, 0, 4, 8, 12);
      store<u32>(po + <usize>c, i32x4.extract_lane(b, 0));
    }
    for (let c = c4; c < channels; c++) {
      const o = <usize>c << 2;
      let x = <i64>load<i32>(pa + o);
      if (bias) x += <i64>load<i32>(bias + o);
      let p = (x * <i64>load<u32>(mult + o) + (<i64>1 << <i64>(t - 1))) >> <i64>t;
      p = p < <i64>(lo - zy) ? <i64>(lo - zy) : p > <i64>(hi - zy) ? <i64>(hi - zy) : p;
      store<u8>(po + <usize>c, <u8>(<i32>p + zy));
    }
  }
}

/** requantize with a shift per channel (shifts: [channels] i32 in 1..62). */
function requantizePerChannelShift(acc: usize, rows: i32, channels: i32, bias: usize, mult: usize, shifts: usize,
                                   zy: i32, lo: i32, hi: i32, out: usize): void {
  const lo64 = <i64>(lo - zy), hi64 = <i64>(hi - zy);
  for (let r = 0; r < rows; r++) {
    const pa = acc + (<usize>r * <usize>channels << 2);
    const po = out + <usize>r * <usize>channels;
    for (let c = 0; c < channels; c++) {
      const o = <usize>c << 2;
      let x = <i64>load<i32>(pa + o);
      if (bias) x += <i64>load<i32>(bias + o);
      const t = <i64>load<i32>(shifts + o);
      let p = (x * <i64>load<u32>(mult + o) + (<i64>1 << (t - 1))) >> t;
      p = p < lo64 ? lo64 : p > hi64 ? hi64 : p;
      store<u8>(po + <usize>c, <u8>(<i32>p + zy));
    }
  }
}
