// Affine (zero-point) 8-bit GEMM on relaxed SIMD's 8-bit dot product, the relaxed build's
// replacement for assembly/affine.ts (same semantics, ONNX MatMulInteger):
//   out[i][j] = sum_k (a[i][k] - za) * (b[k][j] - zb[j]),   a u8, b i8 or u8, int32 accumulation.
//
// i32x4.relaxed_dot_i8x16_i7x16_add_s(w, x, acc) adds 4 products of 4 bytes to each lane: one
// vpdpbusd on AVX-VNNI hosts (V8 12.6+), pmaddubsw + pmaddwd + paddd elsewhere. Its second operand
// must lie in 0..127 for the result to be the same on every host, so activations go there:
// - codes below 128 (every k-bit code with k <= 7): one pass over a itself;
// - any code of 128 or more: two passes, 2 * dot(w, a >> 1) + dot(w, a & 1), unless a probe at
//   start-up found the host's dot exact for u8 (src/kernels/affine-dot.ts): then one pass.
// Weights go in the first (signed) operand as w = b - off, off = 128 for u8 weights (b xor 0x80),
// 0 for i8 ones. With c[j] = off - zb[j], R[i] = sum_k a[i][k], S[j] = sum_k w[k][j]:
//   out[i][j] = sum_k a w + c[j] R[i] - za S[j] - K za c[j]
// (wrapping int32 arithmetic, as int32 accumulation does in onnxruntime).
//
// Layouts (made here), K4 = ceil(k / 4) steps of 4 k, padding zero (adds nothing to any sum):
//   A: [i32 passes, pad x 3][R: m4 int32][plane 0][plane 1 when 2 passes], a plane
//      [m4 / 4 panels][K4][4 rows][4 bytes], m4 = m rounded up to 4
//   B: [n8 / 8 panels][K4][8 columns][4 bytes], then S and c (n8 int32 each), n8 = n rounded up to 8
// Tile 4 x 8: per step 4 broadcast rows (load32_splat), 2 weight vectors, 8 dots; 1 x 8 for a
// last single row (batch 1). Both generated: scripts/gen-affine-tiles.mjs.

import { dotTile4x8, dotTile1x8 } from './affine-tiles';

// @ts-ignore: decorator
@inline function steps(k: i32): i32 {
  return (k + 3) >>> 2;
}

/** Bytes of an A buffer for m rows of k codes. */
export function affineDotBytesA(m: i32, k: i32): i32 {
  const m4 = (m + 3) & ~3;
  return 16 + m4 * 4 + 2 * m4 * steps(k) * 4;
}

/** Bytes of a B buffer for n columns of k weights. */
export function affineDotBytesB(n: i32, k: i32): i32 {
  const n8 = (n + 7) & ~7;
  return n8 * steps(k) * 4 + n8 * 8;
}

/**
 * A: m rows of k u8 codes, row i at a + i * lda. fullRange != 0: the host's dot was measured to
 * multiply its second operand as u8 exactly (vpdpbusd), so codes of 128 and more need no split.
 */
export function affineDotPackA(a: usize, m: i32, k: i32, lda: i32, fullRange: i32, dst: usize): void {
  if (fullRange) { packAOnePass(a, m, k, lda, dst); return; }
  const m4 = (m + 3) & ~3, k4 = steps(k);
  const sums = dst + 16, plane = <usize>m4 * <usize>k4 * 4;
  const p0 = sums + (<usize>m4 << 2);
  let top: u32 = 0;
  const k16 = k & ~15;
  for (let i = 0; i < m; i++) {
    const row = a + <usize>i * <usize>lda;
    let sv = i32x4.splat(0), tv = sv;
    for (let t = 0; t < k16; t += 16) {
      const v = v128.load(row + <usize>t);
      sv = i32x4.add(sv, i32x4.extadd_pairwise_i16x8_u(i16x8.extadd_pairwise_i8x16_u(v)));
      tv = v128.or(tv, v);
    }
    let s = i32x4.extract_lane(sv, 0) + i32x4.extract_lane(sv, 1) + i32x4.extract_lane(sv, 2) + i32x4.extract_lane(sv, 3);
    if (i8x16.bitmask(tv)) top = 128;
    for (let t = k16; t < k; t++) { const v = <u32>load<u8>(row + <usize>t); s += v; top |= v; }
    store<i32>(sums + (<usize>i << 2), s);
  }
  for (let i = m; i < m4; i++) store<i32>(sums + (<usize>i << 2), 0);
  const two = top >= 128 && !fullRange;
  store<i32>(dst, two ? 2 : 1);
  memory.fill(p0, 0, two ? plane << 1 : plane);
  for (let i = 0; i < m; i++) {
    const row = a + <usize>i * <usize>lda;
    // row i of panel i >> 2 at byte (i & 3) * 4 of each 16-byte step
    const d = p0 + <usize>(i >>> 2) * <usize>k4 * 16 + (<usize>(i & 3) << 2);
    let t = 0;
    for (; t < k16; t += 16) {
      const v = v128.load(row + <usize>t);
      const hi = two ? i8x16.shr_u(v, 1) : v;
      const q = d + (<usize>(t >>> 2) << 4);
      v128.store_lane<i32>(q, hi, 0); v128.store_lane<i32>(q, hi, 1, 16);
      v128.store_lane<i32>(q, hi, 2, 32); v128.store_lane<i32>(q, hi, 3, 48);
      if (two) {
        const lo = v128.and(v, i8x16.splat(1));
        v128.store_lane<i32>(q + plane, lo, 0); v128.store_lane<i32>(q + plane, lo, 1, 16);
        v128.store_lane<i32>(q + plane, lo, 2, 32); v128.store_lane<i32>(q + plane, lo, 3, 48);
      }
    }
    for (; t < k; t++) {
      const v = load<u8>(row + <usize>t), q = d + (<usize>(t >>> 2) << 4) + <usize>(t & 3);
      store<u8>(q, two ? v >> 1 : v);
      if (two) store<u8>(q + plane, v & 1);
    }
  }
}

// affineDotPackA where one pass always suffices (the host's dot is exact for u8): row sums taken
// while the rows are scattered into the plane. The padding is left as it was: bytes past k meet B's
// zero padding, and rows past m are computed and dropped.
function packAOnePass(a: usize, m: i32, k: i32, lda: i32, dst: usize): void {
  const m4 = (m + 3) & ~3, k4 = steps(k), k16 = k & ~15;
  const sums = dst + 16, p0 = sums + (<usize>m4 << 2);
  store<i32>(dst, 1);
  for (let i = 0; i < m; i++) {
    const row = a + <usize>i * <usize>lda;
    const d = p0 + <usize>(i >>> 2) * <usize>k4 * 16 + (<usize>(i & 3) << 2);
    let sv = i32x4.splat(0), t = 0;
    for (; t < k16; t += 16) {
      const v = v128.load(row + <usize>t), q = d + (<usize>(t >>> 2) << 4);
      sv = i32x4.add(sv, i32x4.extadd_pairwise_i16x8_u(i16x8.extadd_pairwise_i8x16_u(v)));
      v128.store_lane<i32>(q, v, 0); v128.store_lane<i32>(q, v, 1, 16);
      v128.store_lane<i32>(q, v, 2, 32); v128.store_lane<i32>(q, v, 3, 48);
    }
    let s = i32x4.extract_lane(sv, 0) + i32x4.extract_lane(sv, 1) + i32x4.extract_lane(sv, 2) + i32x4.extract_lane(sv, 3);
    for (; t < k; t++) { const v = load<u8>(row + <usize>t); s += v; store<u8>(d + (<usize>(t >>> 2) << 4) + <usize>(t & 3), v); }
    store<i32>(sums + (<usize>i << 2), s);
  }
}

/**
 * B: w[t][j] = byte at b + t * sk + j * sn (sk = n, sn = 1 for a k x n matrix; sk = 1, sn = k for
 * rows of weights per output, e.g. conv filters), i8 when signed != 0 else u8; zero points per
 * column from zrows (i16) when non-zero, else zb.
 */
export function affineDotPackB(b: usize, k: i32, n: i32, sk: i32, sn: i32, zb: i32, zrows: usize, signed: i32, dst: usize): void {
  const n8 = (n + 7) & ~7, k4 = steps(k);
  const panel = <usize>k4 * 32;
  const sums = dst + <usize>(n8 >>> 3) * panel, cs = sums + (<usize>n8 << 2);
  const flip: u8 = signed ? 0 : 0x80, off = signed ? 0 : 128;
  memory.fill(dst, 0, <usize>(n8 >>> 3) * panel);
  // a k x n matrix: 8 columns x 4 rows of k at a time, two shuffles (full panels, full steps)
  let jv = 0, tv = 0;
  if (sn == 1) {
    jv = n & ~7; tv = k & ~3;
    const fv = i8x16.splat(<i8>flip);
    for (let j = 0; j < jv; j += 8) {
      const d = dst + <usize>(j >>> 3) * panel;
      for (let t = 0; t < tv; t += 4) {
        const src = b + <usize>t * <usize>sk + <usize>j;
        const r01 = v128.load64_lane(src + <usize>sk, v128.load64_zero(src), 1);
        const r23 = v128.load64_lane(src + <usize>sk * 3, v128.load64_zero(src + <usize>sk * 2), 1);
        const o = d + (<usize>(t >>> 2) << 5);
        v128.store(o, v128.xor(i8x16.shuffle(r01, r23, 0, 8, 16, 24, 1, 9, 17, 25, 2, 10, 18, 26, 3, 11, 19, 27), fv));
        v128.store(o, v128.xor(i8x16.shuffle(r01, r23, 4, 12, 20, 28, 5, 13, 21, 29, 6, 14, 22, 30, 7, 15, 23, 31), fv), 16);
      }
    }
  }
  // the rest one byte at a time: columns past jv, and rows past tv of the others
  for (let j = 0; j < n; j++) {
    const col = b + <usize>j * <usize>sn;
    const d = dst + <usize>(j >>> 3) * panel + (<usize>(j & 7) << 2);
    for (let t = j < jv ? tv : 0; t < k; t++) store<u8>(d + (<usize>(t >>> 2) << 5) + <usize>(t & 3), load<u8>(col + <usize>t * <usize>sk) ^ flip);
  }
  // S[j] from the panels (padding is zero): per step, the 4 bytes of a column summed into its lane
  for (let q = 0; q < n8; q += 8) {
    const d = dst + <usize>(q >>> 3) * panel;
    let s0 = i32x4.splat(0), s1 = s0;
    for (let t = 0; t < k4; t++) {
      s0 = i32x4.add(s0, i32x4.extadd_pairwise_i16x8_s(i16x8.extadd_pairwise_i8x16_s(v128.load(d + (<usize>t << 5)))));
      s1 = i32x4.add(s1, i32x4.extadd_pairwise_i16x8_s(i16x8.extadd_pairwise_i8x16_s(v128.load(d + (<usize>t << 5), 16))));
    }
    v128.store(sums + (<usize>q << 2), s0);
    v128.store(sums + (<usize>q << 2), s1, 16);
    for (let j = q; j < q + 8; j++) store<i32>(cs + (<usize>j << 2), j < n ? off - (zrows ? <i32>load<i16>(zrows + (<usize>j << 1)) : zb) : 0);
  }
}

/**
 * out[i * ldo + j] for i < m, j < n (ldo in int32 elements) from affineDotPackA / affineDotPackB
 * buffers; za: A's zero point. scratch: 128 bytes.
 */
export function affineDotGemm(pa: usize, pb: usize, m: i32, n: i32, k: i32, za: i32, out: usize, ldo: i32, scratch: usize): void {
  const m4 = (m + 3) & ~3, n8 = (n + 7) & ~7, k4 = steps(k);
  const passes = load<i32>(pa), rs = pa + 16, plane = <usize>m4 * <usize>k4 * 4;
  const p0 = rs + (<usize>m4 << 2);
  const bpanel = <usize>k4 * 32, sums = pb + <usize>(n8 >>> 3) * bpanel, cs = sums + (<usize>n8 << 2);
  const ldoBytes = <usize>ldo << 2;
  const zav = i32x4.splat(za), kza = i32x4.splat(k * za);
  for (let q = 0; q < n8; q += 8) {
    const wq = pb + <usize>(q >>> 3) * bpanel;
    const c0 = v128.load(cs + (<usize>q << 2)), c1 = v128.load(cs + (<usize>q << 2), 16);
    // per column: - za S[j] - K za c[j]
    const e0 = i32x4.neg(i32x4.add(i32x4.mul(zav, v128.load(sums + (<usize>q << 2))), i32x4.mul(kza, c0)));
    const e1 = i32x4.neg(i32x4.add(i32x4.mul(zav, v128.load(sums + (<usize>q << 2), 16)), i32x4.mul(kza, c1)));
    const cols = min(8, n - q);
    for (let p = 0; p < m4; p += 4) {
      memory.fill(scratch, 0, 128);
      const ap = p0 + <usize>(p >>> 2) * <usize>k4 * 16;
      const rows = min(4, m - p);
      if (rows == 1) {
        dotTile1x8(ap, wq, k4, scratch, false);
        if (passes == 2) dotTile1x8(ap + plane, wq, k4, scratch, true);
      } else {
        dotTile4x8(ap, wq, k4, scratch, false);
        if (passes == 2) dotTile4x8(ap + plane, wq, k4, scratch, true);
      }
      for (let r = 0; r < rows; r++) {
        const ri = i32x4.splat(load<i32>(rs + (<usize>(p + r) << 2)));
        const v0 = i32x4.add(i32x4.add(v128.load(scratch + (<usize>r << 5)), i32x4.mul(c0, ri)), e0);
        const v1 = i32x4.add(i32x4.add(v128.load(scratch + (<usize>r << 5), 16), i32x4.mul(c1, ri)), e1);
        const o = out + <usize>(p + r) * ldoBytes + (<usize>q << 2);
        if (cols == 8) { v128.store(o, v0); v128.store(o, v1, 16); }
        else {
          v128.store(scratch + (<usize>r << 5), v0); v128.store(scratch + (<usize>r << 5), v1, 16);
          memory.copy(o, scratch + (<usize>r << 5), <usize>cols << 2);
        }
      }
    }
  }
}

/**
 * Start-up probe of this host's relaxed dot: runs the kernel on a fixed 6 x 37 x 11 product (u8
 * codes up to 255 with za = 3, i8 weights including -128 and 127) and compares with plain scalar
 * arithmetic. Returns 1 when every output matches. fullRange: as in affineDotPackA. scratch: 8 KB.
 */
export function affineDotSelfTest(fullRange: i32, scratch: usize): i32 {
  const m = 6, k = 37, n = 11, za = 3;
  const a = scratch, b = a + 256, pa = b + 512, pb = pa + 2048, out = pb + 2048, tmp = out + 512;
  let seed: u32 = 99;
  for (let i = 0; i < m * k; i++) { seed = seed * 1664525 + 1013904223; store<u8>(a + <usize>i, i % 7 == 0 ? 255 : <u8>(seed >>> 24)); }
  for (let i = 0; i < k * n; i++) { seed = seed * 1664525 + 1013904223; store<i8>(b + <usize>i, i % 5 == 0 ? -128 : i % 5 == 1 ? 127 : <i8>(seed >>> 24)); }
  affineDotPackA(a, m, k, k, fullRange, pa);
  affineDotPackB(b, k, n, n, 1, 0, 0, 1, pb);
  affineDotGemm(pa, pb, m, n, k, za, out, n, tmp);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let s: i32 = 0;
    for (let t = 0; t < k; t++) s += (<i32>load<u8>(a + <usize>(i * k + t)) - za) * <i32>load<i8>(b + <usize>(t * n + j));
    if (load<i32>(out + <usize>((i * n + j) << 2)) != s) return 0;
  }
  return 1;
}
