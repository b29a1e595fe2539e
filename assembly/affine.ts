// Affine (zero-point) 8-bit GEMM, the semantics of ONNX MatMulInteger:
//   out[i][j] = sum_k (a[i][k] - za) * (b[k][j] - zb),   a u8, b i8 or u8, int32 accumulation.
//
// Baseline Wasm SIMD has one integer dot product, i32x4.dot_i16x8_s (x86 pmaddwd: 8 MACs), so both
// operands are widened to i16 when they are packed, and the zero points are subtracted there:
// a - za and b - zb lie in [-255, 255], so the inner loop is a plain i16 dot product. That is the
// zero-point expansion sum(a b) - zb sum(a) - za sum(b) + K za zb done once per element at packing
// time instead of per output. Kernels that keep 8-bit operands in the loop (sub-byte storage,
// relaxed dot) will use the expansion with precomputed column sums.
//
// Overflow: a product is at most 255 * 255 = 65025 in magnitude, a pmaddwd pair 130050, so the
// int32 sum is exact for K <= 33025 (2^31 / 65025). Past that it wraps mod 2^32, as int32
// accumulation does in onnxruntime.
//
// Packed layouts (i16), kp = k rounded up to even (the pad is 0):
//   A: panels of 4 rows, [m/4][kp/2][4 rows][2 k]: a tile broadcasts each row's (a[k], a[k+1])
//      pair with a constant-offset load32_splat from one pointer (measured 91 vs 73 GOP/s for
//      4 separate row pointers; 2 x 16, 3 x 8, 5 x 8 and taller tiles measured slower).
//   B: panels of 8 columns, [n/8][kp/2][8 columns][2 k] : the two k of a pair side by side, so
//      one pmaddwd of a broadcast (a[k], a[k+1]) with 8 lanes gives 4 columns' partial sums.

// 8 bytes of a B row -> i16x8 of (b - zb), sign- or zero-extended
// @ts-ignore: decorator
@inline function widen8(p: usize, signed: bool, zv: v128): v128 {
  const v = v128.load64_zero(p);
  return i16x8.sub(signed ? i16x8.extend_low_i8x16_s(v) : i16x8.extend_low_i8x16_u(v), zv);
}

// the zero point of row i: per row when given, else the scalar
// @ts-ignore: decorator
@inline function rowZero(z: i32, zrows: usize, i: i32): i32 {
  return zrows ? <i32>load<i16>(zrows + (<usize>i << 1)) : z;
}

/**
 * Rows -> i16 panels of (x - z): `m` rows of `k` bytes (u8, or i8 when signed != 0) become
 * [m/r][kp/2][r rows][2 k], zero past k and past m; r = 4 (A panels) or 8 (B panels from rows of
 * B transposed, e.g. conv weights [filters][taps * c]). zrows: 0, or i16 zero points per row
 * (per output channel of conv weights) used instead of z.
 */
export function affinePackRows(a: usize, m: i32, k: i32, z: i32, signed: i32, r: i32, dst: usize, zrows: usize): void {
  const kp = (k + 1) & ~1;
  const sgn = signed != 0;
  const panels = (m + r - 1) / r;
  const pairBytes = <usize>r << 2;
  const k8 = k & ~7;
  for (let p = 0; p < panels; p++) {
    const i0 = p * r;
    const d0 = dst + <usize>p * <usize>(kp >>> 1) * pairBytes;
    if (i0 + r <= m) {
      // groups of 4 rows: 4 rows x 4 k-pairs (as i32 lanes) transposed to 4 k-pairs x 4 rows
      for (let g = 0; g < r; g += 4) {
        const s0 = a + <usize>(i0 + g) * <usize>k, s1 = s0 + <usize>k, s2 = s1 + <usize>k, s3 = s2 + <usize>k;
        const z0 = i16x8.splat(<i16>rowZero(z, zrows, i0 + g)), z1 = i16x8.splat(<i16>rowZero(z, zrows, i0 + g + 1));
        const z2 = i16x8.splat(<i16>rowZero(z, zrows, i0 + g + 2)), z3 = i16x8.splat(<i16>rowZero(z, zrows, i0 + g + 3));
        let d = d0 + (<usize>g << 2);
        for (let t = 0; t < k8; t += 8) {
          const r0 = widen8(s0 + <usize>t, sgn, z0), r1 = widen8(s1 + <usize>t, sgn, z1);
          const r2 = widen8(s2 + <usize>t, sgn, z2), r3 = widen8(s3 + <usize>t, sgn, z3);
          const t0 = i32x4.shuffle(r0, r1, 0, 4, 1, 5), t1 = i32x4.shuffle(r0, r1, 2, 6, 3, 7);
          const t2 = i32x4.shuffle(r2, r3, 0, 4, 1, 5), t3 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
          v128.store(d, i64x2.shuffle(t0, t2, 0, 2));
          v128.store(d + pairBytes, i64x2.shuffle(t0, t2, 1, 3));
          v128.store(d + 2 * pairBytes, i64x2.shuffle(t1, t3, 0, 2));
          v128.store(d + 3 * pairBytes, i64x2.shuffle(t1, t3, 1, 3));
          d += pairBytes << 2;
        }
      }
    }
    // the tail past the last full 8 k, and a whole partial panel, element by element
    const from = i0 + r <= m ? k8 : 0;
    for (let t = from; t < kp; t++) {
      const pr = d0 + <usize>(t >>> 1) * pairBytes + (<usize>(t & 1) << 1);
      for (let q = 0; q < r; q++) {
        let v = 0;
        if (t < k && i0 + q < m) {
          const s = a + <usize>(i0 + q) * <usize>k + <usize>t;
          v = (sgn ? <i32>load<i8>(s) : <i32>load<u8>(s)) - rowZero(z, zrows, i0 + q);
        }
        store<i16>(pr + (<usize>q << 2), <i16>v);
      }
    }
  }
}

/** A (u8 [m][k]) -> 4-row i16 panels of a - za: affinePackRows with r = 4. */
export function affinePackA(a: usize, m: i32, k: i32, za: i32, dst: usize): void {
  affinePackRows(a, m, k, za, 0, 4, dst, 0);
}

/**
 * B ([k][n] row-major, i8 when signed != 0 else u8) -> i16 panels of b - zb[column] (layout
 * above), zero past k and n. zb: i16 zero points per column, n rounded up to 8 entries.
 */
export function affinePackB(b: usize, k: i32, n: i32, zb: usize, signed: i32, dst: usize): void {
  const kp = (k + 1) & ~1;
  const panels = (n + 7) >>> 3;
  const full = n >>> 3; // panels with 8 real columns
  const ldb = <usize>n;
  const sgn = signed != 0;
  for (let p = 0; p < panels; p++) {
    const j0 = p << 3;
    let d = dst + (<usize>p * <usize>kp << 4);
    const zv = v128.load(zb + (<usize>j0 << 1)); // the 8 columns' zero points
    if (p < full) {
      let s = b + <usize>j0;
      for (let kk = 0; kk + 1 < k; kk += 2) {
        const r0 = widen8(s, sgn, zv), r1 = widen8(s + ldb, sgn, zv);
        // interleave the two rows: (r0[c], r1[c]) for c = 0..7
        v128.store(d, i16x8.shuffle(r0, r1, 0, 8, 1, 9, 2, 10, 3, 11));
        v128.store(d, i16x8.shuffle(r0, r1, 4, 12, 5, 13, 6, 14, 7, 15), 16);
        s += ldb << 1;
        d += 32;
      }
      if (k & 1) {
        const r0 = widen8(s, sgn, zv), r1 = i16x8.splat(0);
        v128.store(d, i16x8.shuffle(r0, r1, 0, 8, 1, 9, 2, 10, 3, 11));
        v128.store(d, i16x8.shuffle(r0, r1, 4, 12, 5, 13, 6, 14, 7, 15), 16);
      }
    } else {
      const cols = n - j0;
      for (let kk = 0; kk < kp; kk += 2) {
        for (let c = 0; c < 8; c++) {
          let v0 = 0, v1 = 0;
          if (c < cols) {
            const s = b + <usize>kk * ldb + <usize>(j0 + c);
            const z = <i32>load<i16>(zb + (<usize>(j0 + c) << 1));
            v0 = (sgn ? <i32>load<i8>(s) : <i32>load<u8>(s)) - z;
            if (kk + 1 < k) v1 = (sgn ? <i32>load<i8>(s + ldb) : <i32>load<u8>(s + ldb)) - z;
          }
          store<i16>(d, <i16>v0);
          store<i16>(d, <i16>v1, 2);
          d += 4;
        }
      }
    }
  }
}

// @ts-ignore: decorator
@inline const PANEL_BLOCK_BYTES: usize = 256 * 1024;

// 4 rows x 8 columns over `pairs` k-pairs: pa an A panel, pb a B panel; out row stride ldo bytes.
// @ts-ignore: decorator (inlined at both call sites: measured 77 -> 90 GOP/s, V8 allocates the
// accumulators better inside the driver's loop than across a call)
@inline function affineTile4x8(pa: usize, pb: usize, pairs: i32, out: usize, ldo: usize): void {
  let c00 = i32x4.splat(0), c01 = c00, c10 = c00, c11 = c00;
  let c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  for (let q = 0; q < pairs; q++) {
    const b0 = v128.load(pb), b1 = v128.load(pb, 16);
    const x0 = v128.load32_splat(pa, 0);
    c00 = i32x4.add(c00, i32x4.dot_i16x8_s(x0, b0)); c01 = i32x4.add(c01, i32x4.dot_i16x8_s(x0, b1));
    const x1 = v128.load32_splat(pa, 4);
    c10 = i32x4.add(c10, i32x4.dot_i16x8_s(x1, b0)); c11 = i32x4.add(c11, i32x4.dot_i16x8_s(x1, b1));
    const x2 = v128.load32_splat(pa, 8);
    c20 = i32x4.add(c20, i32x4.dot_i16x8_s(x2, b0)); c21 = i32x4.add(c21, i32x4.dot_i16x8_s(x2, b1));
    const x3 = v128.load32_splat(pa, 12);
    c30 = i32x4.add(c30, i32x4.dot_i16x8_s(x3, b0)); c31 = i32x4.add(c31, i32x4.dot_i16x8_s(x3, b1));
    pa += 16;
    pb += 32;
  }
  v128.store(out, c00); v128.store(out, c01, 16);
  v128.store(out + ldo, c10); v128.store(out + ldo, c11, 16);
  v128.store(out + 2 * ldo, c20); v128.store(out + 2 * ldo, c21, 16);
  v128.store(out + 3 * ldo, c30); v128.store(out + 3 * ldo, c31, 16);
}

/**
 * out[i * n + j] (i32) = sum over k of A'[i][k] * B'[k][j] for packed A' (affinePackA) and B'
 * (affinePackB). scratch: 128 bytes for edge tiles.
 */
export function affineGemm(a: usize, b: usize, m: i32, n: i32, k: i32, out: usize, scratch: usize): void {
  const kp = (k + 1) & ~1;
  const pairs = kp >>> 1;
  const ldo = <usize>n << 2;
  const panels = (n + 7) >>> 3;
  const panelBytes = <usize>kp << 4;
  // a block of B panels that stays in L2 while every row tile of A passes over it
  const nb = max<i32>(1, <i32>(PANEL_BLOCK_BYTES / panelBytes));
  for (let p0 = 0; p0 < panels; p0 += nb) {
    const p1 = min(panels, p0 + nb);
    for (let i = 0; i < m; i += 4) {
      const rows = min(4, m - i);
      const pa = a + (<usize>(i >>> 2) * <usize>kp << 3);
      for (let p = p0; p < p1; p++) {
        const j = p << 3;
        const cols = min(8, n - j);
        const bp = b + <usize>p * panelBytes;
        const po = out + <usize>i * ldo + (<usize>j << 2);
        if (rows == 4 && cols == 8) {
          affineTile4x8(pa, bp, pairs, po, ldo);
        } else {
          affineTile4x8(pa, bp, pairs, scratch, 32);
          for (let r = 0; r < rows; r++) memory.copy(po + <usize>r * ldo, scratch + (<usize>r << 5), <usize>cols << 2);
        }
      }
    }
  }
}
