// Helpers of the XNOR GEMM's generated tiles (assembly/xnor-tiles.ts, made by scripts/gen-xnor-tiles.mjs).
//
// v128 columns accumulate bytes (at most 8 per step), widened to i32 every BLOCK = 31 steps
// (31 * 8 = 248 <= 255). Sums are at most kbits < 2^30, checked by the caller: no i32 overflow.

// @ts-ignore: decorator
@inline export const BLOCK: i32 = 31;

// popcount of a xor b added to acc, in both builds. A nibble-table popcount through
// i8x16.relaxed_swizzle was 10-18% faster in V8 11 (Node 20), but half the speed of i8x16.popcnt in
// V8 13.6 (Node 24) and 15 (Deno 2.9), the hosts that load the relaxed build by default
// (bench/build-compare.mjs; bench/NOTES.md).
// @ts-ignore: decorator
@inline export function xpop(acc: v128, a: v128, b: v128): v128 {
  return i8x16.add(acc, i8x16.popcnt(v128.xor(a, b)));
}

// Byte accumulator -> four i32 partial sums. Bytes are <= 248, so pairwise u16 sums are <= 496 and
// the signed i16 dot with ones (one pmaddwd) is exact; V8 lowers the unsigned i32x4 extadd to ~4 ops.
// @ts-ignore: decorator
@inline export function widen(acc8: v128): v128 {
  return i32x4.dot_i16x8_s(i16x8.extadd_pairwise_i8x16_u(acc8), i16x8.splat(1));
}

// [sum(v0), sum(v1), sum(v2), sum(v3)] of four i32x4 vectors.
// @ts-ignore: decorator
@inline export function hsum4(v0: v128, v1: v128, v2: v128, v3: v128): v128 {
  const a = i32x4.add(i32x4.shuffle(v0, v1, 0, 1, 4, 5), i32x4.shuffle(v0, v1, 2, 3, 6, 7));
  const b = i32x4.add(i32x4.shuffle(v2, v3, 0, 1, 4, 5), i32x4.shuffle(v2, v3, 2, 3, 6, 7));
  return i32x4.add(i32x4.shuffle(a, b, 0, 2, 4, 6), i32x4.shuffle(a, b, 1, 3, 5, 7));
}

