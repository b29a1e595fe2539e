// Affine GEMM with 4-bit or 2-bit weight codes kept sub-byte in memory: a 2-bit B panel is a
// quarter of an 8-bit one. The tile unpacks codes in registers, per k-pair.
//   out[i][j] = sum_k (a[i][k] - za) (q[k][j] - zb),  q in 0 .. 2^bits - 1
// The zero point of q leaves the loop by the zero-point expansion:
//   sum_k a'[i][k] (q - zb) = sum_k a'[i][k] q[k][j] - zb * rowsum(a')[i],
// so the tile multiplies raw codes and the epilogue subtracts zb * rowsum once per output.
// A is packed as for affineGemm (4-row i16 panels of a - za).
//
// B panels: 8 columns; per k-pair the two i16x8 vectors of the 8-bit kernel are
//   v0 = [q(c0,k) q(c0,k+1) q(c1,k) q(c1,k+1) .. q(c3,k+1)],  v1 the same for columns 4..7.
//   4-bit: 8 bytes per pair, byte t = v0[t] | v1[t] << 4.
//   2-bit: 4 bytes per pair, byte t = v0[t] | v0[t+4] << 2 | v1[t] << 4 | v1[t+4] << 6.

import { sumBytes } from './codes';

/** rowsum[i] = sum_k (a[i][k] - za) for u8 rows a [m][k]. */
export function affineRowSums(a: usize, m: i32, k: i32, za: i32, rowsum: usize): void {
  for (let i = 0; i < m; i++) store<i32>(rowsum + (<usize>i << 2), sumBytes(a + <usize>i * <usize>k, k) - k * za);
}

// 16 codes of a k-pair of 8 columns (rows kk, kk + 1 of u8 codes [k][n]), as one byte vector
// [v0 | v1]; row kk + 1 past k reads as zero.
// @ts-ignore: decorator
@inline function pairCodes(s: usize, ldb: usize, second: bool): v128 {
  const r0 = v128.load64_zero(s);
  const r1 = second ? v128.load64_zero(s + ldb) : i32x4.splat(0);
  return i8x16.shuffle(r0, r1, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
}

// One k-pair's 16 codes ([v0 | v1] bytes) -> 8 bytes (4-bit) or 4 bytes (2-bit) at d.
// @ts-ignore: decorator
@inline function storePair(d: usize, v: v128, bits: i32): void {
  if (bits == 4) {
    // byte t = v0[t] | v1[t] << 4
    const hi = i8x16.shuffle(v, v, 8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15);
    const packed = v128.or(v, i16x8.shl(hi, 4)); // codes < 16: no bits cross a byte
    store<u64>(d, i64x2.extract_lane(packed, 0));
  } else {
    // byte t = v0[t] | v0[t+4] << 2 | v1[t] << 4 | v1[t+4] << 6 (codes < 4)
    const b1 = i8x16.shuffle(v, v, 4, 5, 6, 7, 4, 5, 6, 7, 4, 5, 6, 7, 4, 5, 6, 7);
    const b2 = i8x16.shuffle(v, v, 8, 9, 10, 11, 8, 9, 10, 11, 8, 9, 10, 11, 8, 9, 10, 11);
    const b3 = i8x16.shuffle(v, v, 12, 13, 14, 15, 12, 13, 14, 15, 12, 13, 14, 15, 12, 13, 14, 15);
    const packed = v128.or(v128.or(v, i16x8.shl(b1, 2)), v128.or(i16x8.shl(b2, 4), i16x8.shl(b3, 6)));
    store<u32>(d, i32x4.extract_lane(packed, 0));
  }
}

/**
 * u8 codes [k][n] (each < 2^bits) -> sub-byte B panels (layout above), bits 4 or 2; zero past k, n.
 */
export function affinePackBLowBit(b: usize, k: i32, n: i32, bits: i32, dst: usize): void {
  const pairs = (k + 1) >>> 1;
  const pairBytes: usize = bits == 4 ? 8 : 4;
  const panels = (n + 7) >>> 3;
  const full = n >>> 3;
  const ldb = <usize>n;
  let d = dst;
  for (let p = 0; p < panels; p++) {
    const j0 = p << 3;
    for (let q = 0; q < pairs; q++) {
      const kk = q << 1;
      let v: v128;
      if (p < full) {
        v = pairCodes(b + <usize>kk * ldb + <usize>j0, ldb, kk + 1 < k);
      } else {
        // the last, partial panel: gather the codes one by one into two 64-bit lanes (no static
        // buffer: threads sharing one memory run this at once)
        let lo: u64 = 0, hi: u64 = 0;
        for (let t = 0; t < 16; t++) {
          const col = j0 + ((t >>> 3) << 2) + ((t & 7) >>> 1);
          const row = kk + (t & 1);
          if (col < n && row < k) {
            const byte = <u64>load<u8>(b + <usize>row * ldb + <usize>col);
            if (t < 8) lo |= byte << (<u64>t << 3);
            else hi |= byte << (<u64>(t - 8) << 3);
          }
        }
        v = i64x2.replace_lane(i64x2.splat(<i64>lo), 1, <i64>hi);
      }
      storePair(d, v, bits);
      d += pairBytes;
    }
  }
}

// codes (k, k+1) of row j of w [n][k] as one u16 (low byte first); 0 past n, high byte 0 past k
// @ts-ignore: decorator
@inline function codePair(w: usize, j: i32, n: i32, k: i32, kk: i32): i32 {
  if (j >= n) return 0;
  const s = w + <usize>j * <usize>k + <usize>kk;
  return kk + 1 < k ? <i32>load<u16>(s) : <i32>load<u8>(s);
}

/**
 * B transposed: u8 codes [n][k] (rows per output channel, e.g. conv weights [filters][kh*kw*c])
 * -> the same sub-byte B panels as affinePackBLowBit. Each filter's (k, k+1) code pair is one u16
 * load, which is already the panel's byte order.
 */
export function affinePackBTLowBit(w: usize, k: i32, n: i32, bits: i32, dst: usize): void {
  const pairs = (k + 1) >>> 1;
  const pairBytes: usize = bits == 4 ? 8 : 4;
  const panels = (n + 7) >>> 3;
  let d = dst;
  for (let p = 0; p < panels; p++) {
    const j0 = p << 3;
    for (let q = 0; q < pairs; q++) {
      const kk = q << 1;
      // lanes must be constants: the 8 filters unrolled
      let v = i16x8.splat(<i16>codePair(w, j0, n, k, kk));
      v = i16x8.replace_lane(v, 1, <i16>codePair(w, j0 + 1, n, k, kk));
      v = i16x8.replace_lane(v, 2, <i16>codePair(w, j0 + 2, n, k, kk));
      v = i16x8.replace_lane(v, 3, <i16>codePair(w, j0 + 3, n, k, kk));
      v = i16x8.replace_lane(v, 4, <i16>codePair(w, j0 + 4, n, k, kk));
      v = i16x8.replace_lane(v, 5, <i16>codePair(w, j0 + 5, n, k, kk));
      v = i16x8.replace_lane(v, 6, <i16>codePair(w, j0 + 6, n, k, kk));
      v = i16x8.replace_lane(v, 7, <i16>codePair(w, j0 + 7, n, k, kk));
      storePair(d, v, bits);
      d += pairBytes;
    }
  }
}

/**
 * out[i * n + j] = sum_k a'[i][k] q[k][j] - zb * rowsum[i] for packed A (affinePackA), sub-byte B
 * (affinePackBLowBit), bits 4 or 2. scratch: 128 bytes for edge tiles.
 */
export function affineGemmLowBit(a: usize, b: usize, m: i32, n: i32, k: i32, bits: i32, zb: i32, rowsum: usize,
                                 out: usize, scratch: usize): void {
  const pairs = (k + 1) >>> 1;
  const kp = pairs << 1;
  const ldo = <usize>n << 2;
  const panels = (n + 7) >>> 3;
  const panelBytes = <usize>pairs * <usize>(bits == 4 ? 8 : 4);
  const four = bits == 4;
  const low4 = i16x8.splat(0x0f), low2 = i16x8.splat(3);
  const spread = i16x8(4, 4, 4, 4, 1, 1, 1, 1); // 2-bit: lanes 0-3 take bits 0-1 / 4-5, lanes 4-7 bits 2-3 / 6-7
  for (let i = 0; i < m; i += 4) {
    const rows = min(4, m - i);
    const pa0 = a + (<usize>(i >>> 2) * <usize>kp << 3);
    const zr = i32x4.mul(i32x4.splat(zb), i32x4(
      load<i32>(rowsum + (<usize>i << 2)),
      rows > 1 ? load<i32>(rowsum + (<usize>(i + 1) << 2)) : 0,
      rows > 2 ? load<i32>(rowsum + (<usize>(i + 2) << 2)) : 0,
      rows > 3 ? load<i32>(rowsum + (<usize>(i + 3) << 2)) : 0));
    for (let p = 0; p < panels; p++) {
      const j = p << 3;
      const cols = min(8, n - j);
      let pb = b + <usize>p * panelBytes;
      let pa = pa0;
      let c00 = i32x4.splat(0), c01 = c00, c10 = c00, c11 = c00;
      let c20 = c00, c21 = c00, c30 = c00, c31 = c00;
      for (let q = 0; q < pairs; q++) {
        let b0: v128, b1: v128;
        if (four) {
          const w = i16x8.extend_low_i8x16_u(v128.load64_zero(pb));
          b0 = v128.and(w, low4);
          b1 = i16x8.shr_u(w, 4);
          pb += 8;
        } else {
          const w = i16x8.mul(i16x8.extend_low_i8x16_u(v128.load32_splat(pb)), spread);
          b0 = v128.and(i16x8.shr_u(w, 2), low2);
          b1 = v128.and(i16x8.shr_u(w, 6), low2);
          pb += 4;
        }
        const x0 = v128.load32_splat(pa, 0);
        c00 = i32x4.add(c00, i32x4.dot_i16x8_s(x0, b0)); c01 = i32x4.add(c01, i32x4.dot_i16x8_s(x0, b1));
        const x1 = v128.load32_splat(pa, 4);
        c10 = i32x4.add(c10, i32x4.dot_i16x8_s(x1, b0)); c11 = i32x4.add(c11, i32x4.dot_i16x8_s(x1, b1));
        const x2 = v128.load32_splat(pa, 8);
        c20 = i32x4.add(c20, i32x4.dot_i16x8_s(x2, b0)); c21 = i32x4.add(c21, i32x4.dot_i16x8_s(x2, b1));
        const x3 = v128.load32_splat(pa, 12);
        c30 = i32x4.add(c30, i32x4.dot_i16x8_s(x3, b0)); c31 = i32x4.add(c31, i32x4.dot_i16x8_s(x3, b1));
        pa += 16;
      }
      // the zero point of q: subtract zb * rowsum per row
      const z0 = i32x4.splat(i32x4.extract_lane(zr, 0)), z1 = i32x4.splat(i32x4.extract_lane(zr, 1));
      const z2 = i32x4.splat(i32x4.extract_lane(zr, 2)), z3 = i32x4.splat(i32x4.extract_lane(zr, 3));
      const full = rows == 4 && cols == 8;
      const to = full ? out + <usize>i * ldo + (<usize>j << 2) : scratch;
      const st = full ? ldo : 32;
      v128.store(to, i32x4.sub(c00, z0)); v128.store(to, i32x4.sub(c01, z0), 16);
      v128.store(to + st, i32x4.sub(c10, z1)); v128.store(to + st, i32x4.sub(c11, z1), 16);
      v128.store(to + 2 * st, i32x4.sub(c20, z2)); v128.store(to + 2 * st, i32x4.sub(c21, z2), 16);
      v128.store(to + 3 * st, i32x4.sub(c30, z3)); v128.store(to + 3 * st, i32x4.sub(c31, z3), 16);
      if (!full) {
        const po = out + <usize>i * ldo + (<usize>j << 2);
        for (let r = 0; r < rows; r++) memory.copy(po + <usize>r * ldo, scratch + (<usize>r << 5), <usize>cols << 2);
      }
    }
  }
}
