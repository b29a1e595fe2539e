// f32 GEMM C[m][n] = A[m][k] * B[k][n], all row-major (the ONNX MatMul convention).
// m >= 4: B is packed into panels of 8 columns ([n/8][k][8], zero-padded past n), and a 4x8 register
// tile (8 f32x4 accumulators, 2 B vectors, A broadcast from memory) runs over K blocks of KC so a
// panel block (KC * 32 bytes) stays in L1 while a block of MC rows of A passes over it.
// m < 4: rows of C are built by streaming rows of B (no packing, which would cost as much as the work).

// @ts-ignore: decorator
@inline const KC: i32 = 256;
// @ts-ignore: decorator
@inline const MC: i32 = 64;

/** Pack B [k][n] into panels of 8 columns: dst[(p * k + kk) * 8 + c] = B[kk][p*8 + c], 0 past n. */
export function sgemmPackB(b: usize, k: i32, n: i32, dst: usize): void {
  const panels = (n + 7) >>> 3;
  const nFull = n >>> 3;
  const rowBytes = <usize>n << 2;
  for (let p = 0; p < panels; p++) {
    let s = b + (<usize>p << 5);
    let d = dst + (<usize>p * <usize>k << 5);
    if (p < nFull) {
      for (let kk = 0; kk < k; kk++) {
        v128.store(d, v128.load(s));
        v128.store(d, v128.load(s, 16), 16);
        s += rowBytes;
        d += 32;
      }
    } else {
      const cols = n - (p << 3);
      for (let kk = 0; kk < k; kk++) {
        v128.store(d, i32x4.splat(0));
        v128.store(d, i32x4.splat(0), 16);
        memory.copy(d, s, <usize>cols << 2);
        s += rowBytes;
        d += 32;
      }
    }
  }
}

// 4 rows x 8 columns, inlined at both call sites (+9-12%: V8 keeps the accumulators in registers
// better inside the driver's loop). a0..a3: row pointers into A at the block's first k; lda unused beyond them.
// bp: the panel at the block's first k; c: C tile (row stride ldc bytes); first: start from zero.
// @ts-ignore: decorator
@inline function sgemmTile4x8(a0: usize, a1: usize, a2: usize, a3: usize, bp: usize, kc: i32,
                      c: usize, ldc: usize, first: bool): void {
  let c00: v128, c01: v128, c10: v128, c11: v128, c20: v128, c21: v128, c30: v128, c31: v128;
  if (first) {
    c00 = f32x4.splat(0); c01 = c00; c10 = c00; c11 = c00; c20 = c00; c21 = c00; c30 = c00; c31 = c00;
  } else {
    c00 = v128.load(c); c01 = v128.load(c, 16);
    c10 = v128.load(c + ldc); c11 = v128.load(c + ldc, 16);
    c20 = v128.load(c + 2 * ldc); c21 = v128.load(c + 2 * ldc, 16);
    c30 = v128.load(c + 3 * ldc); c31 = v128.load(c + 3 * ldc, 16);
  }
  for (let kk = 0; kk < kc; kk++) {
    const b0 = v128.load(bp), b1 = v128.load(bp, 16);
    const x0 = v128.load32_splat(a0);
    c00 = f32x4.add(c00, f32x4.mul(x0, b0)); c01 = f32x4.add(c01, f32x4.mul(x0, b1));
    const x1 = v128.load32_splat(a1);
    c10 = f32x4.add(c10, f32x4.mul(x1, b0)); c11 = f32x4.add(c11, f32x4.mul(x1, b1));
    const x2 = v128.load32_splat(a2);
    c20 = f32x4.add(c20, f32x4.mul(x2, b0)); c21 = f32x4.add(c21, f32x4.mul(x2, b1));
    const x3 = v128.load32_splat(a3);
    c30 = f32x4.add(c30, f32x4.mul(x3, b0)); c31 = f32x4.add(c31, f32x4.mul(x3, b1));
    a0 += 4; a1 += 4; a2 += 4; a3 += 4;
    bp += 32;
  }
  v128.store(c, c00); v128.store(c, c01, 16);
  v128.store(c + ldc, c10); v128.store(c + ldc, c11, 16);
  v128.store(c + 2 * ldc, c20); v128.store(c + 2 * ldc, c21, 16);
  v128.store(c + 3 * ldc, c30); v128.store(c + 3 * ldc, c31, 16);
}

/**
 * C = A * B with B already packed by sgemmPackB; m >= 1. scratch: 128 bytes for edge tiles.
 */
export function sgemmPacked(a: usize, bp: usize, m: i32, n: i32, k: i32, c: usize, scratch: usize): void {
  const lda = <usize>k << 2;
  const ldc = <usize>n << 2;
  const panels = (n + 7) >>> 3;
  for (let k0 = 0; k0 < k; k0 += KC) {
    const kc = min(KC, k - k0);
    const first = k0 == 0;
    for (let i0 = 0; i0 < m; i0 += MC) {
      const i1 = min(m, i0 + MC);
      for (let p = 0; p < panels; p++) {
        const pb = bp + ((<usize>p * <usize>k + <usize>k0) << 5);
        const j = p << 3;
        const cols = min(8, n - j);
        for (let i = i0; i < i1; i += 4) {
          const rows = min(4, i1 - i);
          const a0 = a + <usize>i * lda + (<usize>k0 << 2);
          // rows past m reuse row i: computed, never stored
          const a1 = rows > 1 ? a0 + lda : a0;
          const a2 = rows > 2 ? a0 + 2 * lda : a0;
          const a3 = rows > 3 ? a0 + 3 * lda : a0;
          const pc = c + <usize>i * ldc + (<usize>j << 2);
          if (rows == 4 && cols == 8) {
            sgemmTile4x8(a0, a1, a2, a3, pb, kc, pc, ldc, first);
          } else {
            // edge tile through a 4x8 scratch (row stride 32 bytes)
            if (!first) {
              for (let r = 0; r < rows; r++) memory.copy(scratch + (<usize>r << 5), pc + <usize>r * ldc, <usize>cols << 2);
            }
            sgemmTile4x8(a0, a1, a2, a3, pb, kc, scratch, 32, first);
            for (let r = 0; r < rows; r++) memory.copy(pc + <usize>r * ldc, scratch + (<usize>r << 5), <usize>cols << 2);
          }
        }
      }
    }
  }
}

/** C = A * B for small m, streaming rows of the unpacked B: C_i = sum_kk A[i][kk] * B[kk][:]. */
export function sgemmRows(a: usize, b: usize, m: i32, n: i32, k: i32, c: usize): void {
  const ldb = <usize>n << 2;
  const n4 = n & ~3;
  for (let i = 0; i < m; i++) {
    const ci = c + <usize>i * ldb;
    const ai = a + (<usize>i * <usize>k << 2);
    memory.fill(ci, 0, ldb);
    let kk = 0;
    for (; kk + 4 <= k; kk += 4) {
      const x0 = v128.load32_splat(ai + (<usize>kk << 2));
      const x1 = v128.load32_splat(ai + (<usize>kk << 2), 4);
      const x2 = v128.load32_splat(ai + (<usize>kk << 2), 8);
      const x3 = v128.load32_splat(ai + (<usize>kk << 2), 12);
      const b0 = b + <usize>kk * ldb, b1 = b0 + ldb, b2 = b1 + ldb, b3 = b2 + ldb;
      for (let j = 0; j < n4; j += 4) {
        const o = <usize>j << 2;
        let s = f32x4.add(f32x4.mul(x0, v128.load(b0 + o)), f32x4.mul(x1, v128.load(b1 + o)));
        s = f32x4.add(s, f32x4.add(f32x4.mul(x2, v128.load(b2 + o)), f32x4.mul(x3, v128.load(b3 + o))));
        v128.store(ci + o, f32x4.add(v128.load(ci + o), s));
      }
      for (let j = n4; j < n; j++) {
        const o = <usize>j << 2;
        const s = f32x4.extract_lane(x0, 0) * load<f32>(b0 + o) + f32x4.extract_lane(x1, 0) * load<f32>(b1 + o)
                + f32x4.extract_lane(x2, 0) * load<f32>(b2 + o) + f32x4.extract_lane(x3, 0) * load<f32>(b3 + o);
        store<f32>(ci + o, load<f32>(ci + o) + s);
      }
    }
    for (; kk < k; kk++) {
      const x = v128.load32_splat(ai + (<usize>kk << 2));
      const bk = b + <usize>kk * ldb;
      for (let j = 0; j < n4; j += 4) {
        const o = <usize>j << 2;
        v128.store(ci + o, f32x4.add(v128.load(ci + o), f32x4.mul(x, v128.load(bk + o))));
      }
      for (let j = n4; j < n; j++) {
        const o = <usize>j << 2;
        store<f32>(ci + o, load<f32>(ci + o) + f32x4.extract_lane(x, 0) * load<f32>(bk + o));
      }
    }
  }
}
