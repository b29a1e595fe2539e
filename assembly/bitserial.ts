// Bit-serial products: +-1 weights x unsigned `bits`-bit activation codes a = sum_p 2^p b_p.
// With s_p = 2 b_p - 1 (a +-1 vector per bit plane) and X_p = sum_t s_p[t] w[t] (an xnor GEMM row),
//   sum_t a[t] w[t] = sum_p 2^p sum_t b_p[t] w[t] = ( sum_p 2^p X_p + (2^bits - 1) sum_t w[t] ) / 2,
// the design's 2 popcount(b and w) - popcount(b) per plane, rewritten so the planes run through
// the same xor-popcount GEMM as binary layers (popcount(b and w) = (pop b + pop w - pop(b xor w)) / 2).
// The sum is even by construction, so the halving is exact.

/**
 * Bit planes of u8 codes: row i of a (k codes) -> rows i * bits + p of dst, each `words` u32 words,
 * bit t = bit p of a[i][t] (LSB first), zero past k.
 */
export function packBitPlanes(a: usize, m: i32, k: i32, bits: i32, dst: usize, words: i32): void {
  const k16 = k & ~15;
  const rowBytes = <usize>words << 2;
  for (let i = 0; i < m; i++) {
    const s = a + <usize>i * <usize>k;
    const d0 = dst + <usize>(i * bits) * rowBytes;
    memory.fill(d0, 0, <usize>bits * rowBytes);
    for (let t = 0; t < k16; t += 16) {
      const v = v128.load(s + <usize>t);
      for (let p = 0; p < bits; p++) {
        // bit p to the sign bit of each byte, then one bitmask gathers 16 of them
        const m16 = i8x16.bitmask(i8x16.shl(v, 7 - p));
        store<u16>(d0 + <usize>p * rowBytes + (<usize>t >>> 3), <u16>m16);
      }
    }
    for (let t = k16; t < k; t++) {
      const code = <u32>load<u8>(s + <usize>t);
      for (let p = 0; p < bits; p++) {
        if ((code >>> p) & 1) {
          const w = d0 + <usize>p * rowBytes + (<usize>(t >>> 5) << 2);
          store<u32>(w, load<u32>(w) | (<u32>1 << (t & 31)));
        }
      }
    }
  }
}

/** The largest byte of a[0 .. len): validates activation codes against their bit width. */
export function maxByte(a: usize, len: i32): i32 {
  let mv = i8x16.splat(0);
  const l16 = len & ~15;
  for (let t = 0; t < l16; t += 16) mv = i8x16.max_u(mv, v128.load(a + <usize>t));
  // fold the 16 lanes by halves (lane indices must be constants)
  mv = i8x16.max_u(mv, i8x16.shuffle(mv, mv, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7));
  mv = i8x16.max_u(mv, i8x16.shuffle(mv, mv, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3));
  mv = i8x16.max_u(mv, i8x16.shuffle(mv, mv, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1));
  mv = i8x16.max_u(mv, i8x16.shuffle(mv, mv, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0));
  let best = <i32>i8x16.extract_lane_u(mv, 0);
  for (let t = l16; t < len; t++) best = max(best, <i32>load<u8>(a + <usize>t));
  return best;
}

/** sums[j] = sum over the k elements of +-1 row j (bit rows of `words` u32 words, zero past k). */
export function signRowSums(w: usize, n: i32, words: i32, k: i32, sums: usize): void {
  const rowBytes = <usize>words << 2;
  for (let j = 0; j < n; j++) {
    const r = w + <usize>j * rowBytes;
    let pop: i32 = 0;
    let q = 0;
    for (; q + 2 <= words; q += 2) pop += <i32>popcnt(load<u64>(r + (<usize>q << 2)));
    if (q < words) pop += <i32>popcnt(load<u32>(r + (<usize>q << 2)));
    store<i32>(sums + (<usize>j << 2), 2 * pop - k);
  }
}

/**
 * out[i][j] = (sum_p 2^p X_p[i][j] + (2^bits - 1) wsum[j]) / 2, int32, where X_p[i] is the n-int32
 * row at x + i * rowStep + p * planeStep (bytes): planes interleaved per row (GEMM) or as whole
 * blocks (conv, planes run as batch images).
 */
export function bitserialCombine(x: usize, m: i32, bits: i32, n: i32, rowStep: usize, planeStep: usize, wsum: usize, out: usize): void {
  const rowBytes = <usize>n << 2;
  const n4 = n & ~3;
  const scale = (1 << bits) - 1;
  const sv = i32x4.splat(scale);
  for (let i = 0; i < m; i++) {
    const xi = x + <usize>i * rowStep;
    const oi = out + <usize>i * rowBytes;
    for (let j = 0; j < n4; j += 4) {
      const o = <usize>j << 2;
      let acc = i32x4.mul(v128.load(wsum + o), sv);
      for (let p = 0; p < bits; p++) acc = i32x4.add(acc, i32x4.shl(v128.load(xi + <usize>p * planeStep + o), p));
      v128.store(oi + o, i32x4.shr_s(acc, 1));
    }
    for (let j = n4; j < n; j++) {
      const o = <usize>j << 2;
      let acc = load<i32>(wsum + o) * scale;
      for (let p = 0; p < bits; p++) acc += load<i32>(xi + <usize>p * planeStep + o) << p;
      store<i32>(oi + o, acc >> 1);
    }
  }
}

/**
 * Bit planes of NHWC codes for a binary conv: pixel q's `c` codes -> for each plane p the c bits
 * at dst + (p * pixels + q) * cw * 8 (cw = ceil(c / 64) u64 words per pixel, zero past c).
 */
export function packBitPlanesNHWC(a: usize, pixels: i32, c: i32, bits: i32, dst: usize): void {
  const cw = (c + 63) >>> 6;
  const pixBytes = <usize>cw << 3;
  const planeBytes = <usize>pixels * pixBytes;
  memory.fill(dst, 0, <usize>bits * planeBytes);
  const c16 = c & ~15;
  for (let q = 0; q < pixels; q++) {
    const s = a + <usize>q * <usize>c;
    const d0 = dst + <usize>q * pixBytes;
    for (let t = 0; t < c16; t += 16) {
      const v = v128.load(s + <usize>t);
      for (let p = 0; p < bits; p++) {
        store<u16>(d0 + <usize>p * planeBytes + (<usize>t >>> 3), <u16>i8x16.bitmask(i8x16.shl(v, 7 - p)));
      }
    }
    for (let t = c16; t < c; t++) {
      const code = <u32>load<u8>(s + <usize>t);
      for (let p = 0; p < bits; p++) {
        if ((code >>> p) & 1) {
          const w = d0 + <usize>p * planeBytes + (<usize>(t >>> 5) << 2);
          store<u32>(w, load<u32>(w) | (<u32>1 << (t & 31)));
        }
      }
    }
  }
}

/**
 * Ternary weights as two binary halves, w = (b1 + b2) / 2 with b1, b2 in {-1, +1}: x [m][2n] holds
 * the sums of the b1 rows (columns 0..n-1) then the b2 rows; out[i][j] = (x[i][j] + x[i][n + j]) / 2,
 * exact since b1 + b2 is even.
 */
export function pairSumHalf(x: usize, m: i32, n: i32, out: usize): void {
  const n4 = n & ~3, half = <usize>n << 2;
  for (let i = 0; i < m; i++) {
    const xi = x + <usize>i * (half << 1), oi = out + <usize>i * half;
    for (let j = 0; j < n4; j += 4) {
      const o = <usize>j << 2;
      v128.store(oi + o, i32x4.shr_s(i32x4.add(v128.load(xi + o), v128.load(xi + half + o)), 1));
    }
    for (let j = n4; j < n; j++) {
      const o = <usize>j << 2;
      store<i32>(oi + o, (load<i32>(xi + o) + load<i32>(xi + half + o)) >> 1);
    }
  }
}
