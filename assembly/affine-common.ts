// Helpers of the affine GEMMs' generated tiles (assembly/affine-tiles.ts, made by scripts/gen-affine-tiles.mjs).

/** acc + the relaxed 8-bit dot of w (signed bytes) and x (bytes in 0..127), 4 products per lane. */
// @ts-ignore: decorator
@inline export function dot(w: v128, x: v128, acc: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return i32x4.relaxed_dot_i8x16_i7x16_add_s(w, x, acc);
  unreachable(); // the baseline build never calls these kernels (src/kernels/affine-dot.ts)
  return acc;
}
