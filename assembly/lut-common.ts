// Helpers shared by the lookup-table GEMM's generated tiles (assembly/lut-tiles.ts).

/**
 * 16 table lookups: lane j = table[idx[j]], idx < 16 always. The relaxed build uses
 * i8x16.relaxed_swizzle (one pshufb on x86); the baseline swizzle adds a saturating add that
 * maps out-of-range indices to zero, which our indices never need.
 */
// @ts-ignore: decorator
@inline export function look(table: v128, idx: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return i8x16.relaxed_swizzle(table, idx);
  return i8x16.swizzle(table, idx);
}

/**
 * Writes (or adds, when `add`) 16 int32 results 2 u - sub to out, where u is the unsigned sum of
 * table entries per column, as u16 in l (columns 0..7) and h (8..15).
 */
// @ts-ignore: decorator
@inline export function finish(l: v128, h: v128, sub: i32, out: usize, add: bool): void {
  const s = i32x4.splat(sub);
  let v0 = i32x4.sub(i32x4.shl(i32x4.extend_low_i16x8_u(l), 1), s);
  let v1 = i32x4.sub(i32x4.shl(i32x4.extend_high_i16x8_u(l), 1), s);
  let v2 = i32x4.sub(i32x4.shl(i32x4.extend_low_i16x8_u(h), 1), s);
  let v3 = i32x4.sub(i32x4.shl(i32x4.extend_high_i16x8_u(h), 1), s);
  if (add) {
    v0 = i32x4.add(v0, v128.load(out)); v1 = i32x4.add(v1, v128.load(out, 16));
    v2 = i32x4.add(v2, v128.load(out, 32)); v3 = i32x4.add(v3, v128.load(out, 48));
  }
  v128.store(out, v0); v128.store(out, v1, 16); v128.store(out, v2, 32); v128.store(out, v3, 48);
}
