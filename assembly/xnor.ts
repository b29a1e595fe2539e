// 1-bit x 1-bit GEMM: out[i][j] = kbits - 2 * popcount(a_i xor b_j)   (+-1 dot product, bit 1 = +1).
//
// Operand layout ("bit panels", made by packBitPanels): rows are split into 128-bit steps, and the
// rows of a panel are interleaved step by step, [panel][kv][R][16 bytes], R = 2 for a and 6 for b,
// so a tile walks two pointers with constant offsets (no per-row pointers, no spills). Rows past
// m or n in the last panel are zero and their outputs are never stored. Bits past kbits are zero in
// both operands, so they add nothing to the popcount.
//
// Main tile 2 x 6. V8 (Node 20) lowers i8x16.popcnt to a nibble-table sequence of ~12 instructions
// on x86, while scalar i64.popcnt is one instruction on separate (integer) pipes. The tile therefore
// runs 4 columns on v128 popcnt and 2 on scalar popcnt in the same loop so both pipes work
// (measured against pure v128, pure scalar and other splits in bench/xnor-tiles.mjs). On ARM,
// i8x16.popcnt is one NEON cnt, so the v128 share is the fast part there.
//
// The four tiles below (2 x 6, 2 x 6 for short K, 2 x 4 for a 4-column last panel, 1 x 6) repeat one
// inner loop on purpose, XNNPACK style: each is a separate micro-kernel because merging them costs
// the measured 5-7% (widening loop) or 3-4% (dead columns through scratch); bench/NOTES.md.
// All three are @inline: inside the driver's loop V8 allocates their registers better than
// across a call (measured +4-5% on every bench shape).
//
// v128 columns accumulate bytes (at most 8 per step), widened to i32 every BLOCK = 31 steps
// (31 * 8 = 248 <= 255). Sums are at most kbits < 2^30, checked by the caller: no i32 overflow.

// @ts-ignore: decorator
@inline const BLOCK: i32 = 31;
// @ts-ignore: decorator
@inline export const PANEL_A: i32 = 2;
// @ts-ignore: decorator
@inline export const PANEL_B: i32 = 6;

// popcount of a xor b added to acc, in both builds. A nibble-table popcount through
// i8x16.relaxed_swizzle was 10-18% faster in V8 11 (Node 20), but half the speed of i8x16.popcnt in
// V8 13.6 (Node 24) and 15 (Deno 2.9), the hosts that load the relaxed build by default
// (bench/build-compare.mjs; bench/NOTES.md).
// @ts-ignore: decorator
@inline function xpop(acc: v128, a: v128, b: v128): v128 {
  return i8x16.add(acc, i8x16.popcnt(v128.xor(a, b)));
}

// Byte accumulator -> four i32 partial sums. Bytes are <= 248, so pairwise u16 sums are <= 496 and
// the signed i16 dot with ones (one pmaddwd) is exact; V8 lowers the unsigned i32x4 extadd to ~4 ops.
// @ts-ignore: decorator
@inline function widen(acc8: v128): v128 {
  return i32x4.dot_i16x8_s(i16x8.extadd_pairwise_i8x16_u(acc8), i16x8.splat(1));
}

// [sum(v0), sum(v1), sum(v2), sum(v3)] of four i32x4 vectors.
// @ts-ignore: decorator
@inline function hsum4(v0: v128, v1: v128, v2: v128, v3: v128): v128 {
  const a = i32x4.add(i32x4.shuffle(v0, v1, 0, 1, 4, 5), i32x4.shuffle(v0, v1, 2, 3, 6, 7));
  const b = i32x4.add(i32x4.shuffle(v2, v3, 0, 1, 4, 5), i32x4.shuffle(v2, v3, 2, 3, 6, 7));
  return i32x4.add(i32x4.shuffle(a, b, 0, 2, 4, 6), i32x4.shuffle(a, b, 1, 3, 5, 7));
}

/**
 * One 2 x 6 tile (any kv; xnorTile2x6Short is the same for kv <= BLOCK without the widening
 * loop, measured 5-7% faster at K = 576 and 1024): pa = a panel, pb = b panel, kv full 128-bit steps, then when `half` one more step
 * whose upper 64 bits are zero padding (K = 576 = 4.5 steps in a 3x3x64 conv): that step runs on
 * scalar popcnt for all 12 outputs instead of a full v128 step. Writes row 0 at out, row 1 at
 * out + ldo (bytes): 4 i32 from the v128 columns then 2 from the scalar ones.
 */
// @ts-ignore: decorator
@inline function xnorTile2x6(pa: usize, pb: usize, kv: i32, half: bool, kbits: i32, out: usize, ldo: usize): void {
  let s00 = i32x4.splat(0), s01 = s00, s02 = s00, s03 = s00;
  let s10 = s00, s11 = s00, s12 = s00, s13 = s00;
  let t04: u64 = 0, t05: u64 = 0, t14: u64 = 0, t15: u64 = 0;
  for (let k0 = 0; k0 < kv; k0 += BLOCK) {
    const steps = min(BLOCK, kv - k0);
    let c00 = i8x16.splat(0), c01 = c00, c02 = c00, c03 = c00;
    let c10 = c00, c11 = c00, c12 = c00, c13 = c00;
    for (let k = 0; k < steps; k++) {
      const vb0 = v128.load(pb, 0), vb1 = v128.load(pb, 16);
      const vb2 = v128.load(pb, 32), vb3 = v128.load(pb, 48);
      const va0 = v128.load(pa, 0);
      c00 = xpop(c00, va0, vb0); c01 = xpop(c01, va0, vb1);
      c02 = xpop(c02, va0, vb2); c03 = xpop(c03, va0, vb3);
      const va1 = v128.load(pa, 16);
      c10 = xpop(c10, va1, vb0); c11 = xpop(c11, va1, vb1);
      c12 = xpop(c12, va1, vb2); c13 = xpop(c13, va1, vb3);
      const x0 = load<u64>(pa, 0), x1 = load<u64>(pa, 8);
      const y0 = load<u64>(pa, 16), y1 = load<u64>(pa, 24);
      const u0 = load<u64>(pb, 64), u1 = load<u64>(pb, 72);
      t04 += popcnt(x0 ^ u0) + popcnt(x1 ^ u1);
      t14 += popcnt(y0 ^ u0) + popcnt(y1 ^ u1);
      const w0 = load<u64>(pb, 80), w1 = load<u64>(pb, 88);
      t05 += popcnt(x0 ^ w0) + popcnt(x1 ^ w1);
      t15 += popcnt(y0 ^ w0) + popcnt(y1 ^ w1);
      pa += 32;
      pb += 96;
    }
    s00 = i32x4.add(s00, widen(c00)); s01 = i32x4.add(s01, widen(c01));
    s02 = i32x4.add(s02, widen(c02)); s03 = i32x4.add(s03, widen(c03));
    s10 = i32x4.add(s10, widen(c10)); s11 = i32x4.add(s11, widen(c11));
    s12 = i32x4.add(s12, widen(c12)); s13 = i32x4.add(s13, widen(c13));
  }
  if (half) {
    const x = load<u64>(pa, 0), y = load<u64>(pa, 16);
    const b0 = load<u64>(pb, 0), b1 = load<u64>(pb, 16), b2 = load<u64>(pb, 32), b3 = load<u64>(pb, 48);
    s00 = i32x4.add(s00, i32x4(<i32>popcnt(x ^ b0), 0, 0, 0));
    s01 = i32x4.add(s01, i32x4(<i32>popcnt(x ^ b1), 0, 0, 0));
    s02 = i32x4.add(s02, i32x4(<i32>popcnt(x ^ b2), 0, 0, 0));
    s03 = i32x4.add(s03, i32x4(<i32>popcnt(x ^ b3), 0, 0, 0));
    s10 = i32x4.add(s10, i32x4(<i32>popcnt(y ^ b0), 0, 0, 0));
    s11 = i32x4.add(s11, i32x4(<i32>popcnt(y ^ b1), 0, 0, 0));
    s12 = i32x4.add(s12, i32x4(<i32>popcnt(y ^ b2), 0, 0, 0));
    s13 = i32x4.add(s13, i32x4(<i32>popcnt(y ^ b3), 0, 0, 0));
    const u = load<u64>(pb, 64), w = load<u64>(pb, 80);
    t04 += popcnt(x ^ u); t05 += popcnt(x ^ w);
    t14 += popcnt(y ^ u); t15 += popcnt(y ^ w);
  }
  const kb = i32x4.splat(kbits);
  v128.store(out, i32x4.sub(kb, i32x4.shl(hsum4(s00, s01, s02, s03), 1)));
  store<i32>(out, kbits - 2 * <i32>t04, 16);
  store<i32>(out, kbits - 2 * <i32>t05, 20);
  v128.store(out + ldo, i32x4.sub(kb, i32x4.shl(hsum4(s10, s11, s12, s13), 1)));
  store<i32>(out + ldo, kbits - 2 * <i32>t14, 16);
  store<i32>(out + ldo, kbits - 2 * <i32>t15, 20);
}

/** xnorTile2x6 for kv <= BLOCK: one pass of byte accumulators, widened once at the end. */
// @ts-ignore: decorator
@inline function xnorTile2x6Short(pa: usize, pb: usize, kv: i32, half: bool, kbits: i32, out: usize, ldo: usize): void {
  let s00: v128, s01: v128, s02: v128, s03: v128, s10: v128, s11: v128, s12: v128, s13: v128;
  let t04: u64 = 0, t05: u64 = 0, t14: u64 = 0, t15: u64 = 0;
  {
    const steps = kv;
    let c00 = i8x16.splat(0), c01 = c00, c02 = c00, c03 = c00;
    let c10 = c00, c11 = c00, c12 = c00, c13 = c00;
    for (let k = 0; k < steps; k++) {
      const vb0 = v128.load(pb, 0), vb1 = v128.load(pb, 16);
      const vb2 = v128.load(pb, 32), vb3 = v128.load(pb, 48);
      const va0 = v128.load(pa, 0);
      c00 = xpop(c00, va0, vb0); c01 = xpop(c01, va0, vb1);
      c02 = xpop(c02, va0, vb2); c03 = xpop(c03, va0, vb3);
      const va1 = v128.load(pa, 16);
      c10 = xpop(c10, va1, vb0); c11 = xpop(c11, va1, vb1);
      c12 = xpop(c12, va1, vb2); c13 = xpop(c13, va1, vb3);
      const x0 = load<u64>(pa, 0), x1 = load<u64>(pa, 8);
      const y0 = load<u64>(pa, 16), y1 = load<u64>(pa, 24);
      const u0 = load<u64>(pb, 64), u1 = load<u64>(pb, 72);
      t04 += popcnt(x0 ^ u0) + popcnt(x1 ^ u1);
      t14 += popcnt(y0 ^ u0) + popcnt(y1 ^ u1);
      const w0 = load<u64>(pb, 80), w1 = load<u64>(pb, 88);
      t05 += popcnt(x0 ^ w0) + popcnt(x1 ^ w1);
      t15 += popcnt(y0 ^ w0) + popcnt(y1 ^ w1);
      pa += 32;
      pb += 96;
    }
    s00 = widen(c00); s01 = widen(c01); s02 = widen(c02); s03 = widen(c03);
    s10 = widen(c10); s11 = widen(c11); s12 = widen(c12); s13 = widen(c13);
  }
  if (half) {
    const x = load<u64>(pa, 0), y = load<u64>(pa, 16);
    const b0 = load<u64>(pb, 0), b1 = load<u64>(pb, 16), b2 = load<u64>(pb, 32), b3 = load<u64>(pb, 48);
    s00 = i32x4.add(s00, i32x4(<i32>popcnt(x ^ b0), 0, 0, 0));
    s01 = i32x4.add(s01, i32x4(<i32>popcnt(x ^ b1), 0, 0, 0));
    s02 = i32x4.add(s02, i32x4(<i32>popcnt(x ^ b2), 0, 0, 0));
    s03 = i32x4.add(s03, i32x4(<i32>popcnt(x ^ b3), 0, 0, 0));
    s10 = i32x4.add(s10, i32x4(<i32>popcnt(y ^ b0), 0, 0, 0));
    s11 = i32x4.add(s11, i32x4(<i32>popcnt(y ^ b1), 0, 0, 0));
    s12 = i32x4.add(s12, i32x4(<i32>popcnt(y ^ b2), 0, 0, 0));
    s13 = i32x4.add(s13, i32x4(<i32>popcnt(y ^ b3), 0, 0, 0));
    const u = load<u64>(pb, 64), w = load<u64>(pb, 80);
    t04 += popcnt(x ^ u); t05 += popcnt(x ^ w);
    t14 += popcnt(y ^ u); t15 += popcnt(y ^ w);
  }
  const kb = i32x4.splat(kbits);
  v128.store(out, i32x4.sub(kb, i32x4.shl(hsum4(s00, s01, s02, s03), 1)));
  store<i32>(out, kbits - 2 * <i32>t04, 16);
  store<i32>(out, kbits - 2 * <i32>t05, 20);
  v128.store(out + ldo, i32x4.sub(kb, i32x4.shl(hsum4(s10, s11, s12, s13), 1)));
  store<i32>(out + ldo, kbits - 2 * <i32>t14, 16);
  store<i32>(out + ldo, kbits - 2 * <i32>t15, 20);
}

/**
 * 2 x 4 tile on v128 popcnt over the first 4 rows of a 6-row b panel: the last panel when n % 6 == 4
 * (n = 64 or 1024), so no dead columns are computed and nothing goes through scratch.
 */
// @ts-ignore: decorator
@inline function xnorTile2x4(pa: usize, pb: usize, kv: i32, half: bool, kbits: i32, out: usize, ldo: usize): void {
  let s00 = i32x4.splat(0), s01 = s00, s02 = s00, s03 = s00;
  let s10 = s00, s11 = s00, s12 = s00, s13 = s00;
  for (let k0 = 0; k0 < kv; k0 += BLOCK) {
    const steps = min(BLOCK, kv - k0);
    let c00 = i8x16.splat(0), c01 = c00, c02 = c00, c03 = c00;
    let c10 = c00, c11 = c00, c12 = c00, c13 = c00;
    for (let k = 0; k < steps; k++) {
      const vb0 = v128.load(pb, 0), vb1 = v128.load(pb, 16);
      const vb2 = v128.load(pb, 32), vb3 = v128.load(pb, 48);
      const va0 = v128.load(pa, 0);
      c00 = xpop(c00, va0, vb0); c01 = xpop(c01, va0, vb1);
      c02 = xpop(c02, va0, vb2); c03 = xpop(c03, va0, vb3);
      const va1 = v128.load(pa, 16);
      c10 = xpop(c10, va1, vb0); c11 = xpop(c11, va1, vb1);
      c12 = xpop(c12, va1, vb2); c13 = xpop(c13, va1, vb3);
      pa += 32;
      pb += 96;
    }
    s00 = i32x4.add(s00, widen(c00)); s01 = i32x4.add(s01, widen(c01));
    s02 = i32x4.add(s02, widen(c02)); s03 = i32x4.add(s03, widen(c03));
    s10 = i32x4.add(s10, widen(c10)); s11 = i32x4.add(s11, widen(c11));
    s12 = i32x4.add(s12, widen(c12)); s13 = i32x4.add(s13, widen(c13));
  }
  if (half) {
    const x = load<u64>(pa, 0), y = load<u64>(pa, 16);
    const b0 = load<u64>(pb, 0), b1 = load<u64>(pb, 16), b2 = load<u64>(pb, 32), b3 = load<u64>(pb, 48);
    s00 = i32x4.add(s00, i32x4(<i32>popcnt(x ^ b0), 0, 0, 0));
    s01 = i32x4.add(s01, i32x4(<i32>popcnt(x ^ b1), 0, 0, 0));
    s02 = i32x4.add(s02, i32x4(<i32>popcnt(x ^ b2), 0, 0, 0));
    s03 = i32x4.add(s03, i32x4(<i32>popcnt(x ^ b3), 0, 0, 0));
    s10 = i32x4.add(s10, i32x4(<i32>popcnt(y ^ b0), 0, 0, 0));
    s11 = i32x4.add(s11, i32x4(<i32>popcnt(y ^ b1), 0, 0, 0));
    s12 = i32x4.add(s12, i32x4(<i32>popcnt(y ^ b2), 0, 0, 0));
    s13 = i32x4.add(s13, i32x4(<i32>popcnt(y ^ b3), 0, 0, 0));
  }
  const kb = i32x4.splat(kbits);
  v128.store(out, i32x4.sub(kb, i32x4.shl(hsum4(s00, s01, s02, s03), 1)));
  v128.store(out + ldo, i32x4.sub(kb, i32x4.shl(hsum4(s10, s11, s12, s13), 1)));
}

/**
 * One row x 6 columns: the last row of an odd m, and all of batch 1 (a dense layer on one image),
 * where the 2 x 6 tile would spend half its work on the panel's zero second row. Same loop as
 * xnorTile2x6 with row 1 removed (4 v128 columns, 2 scalar).
 */
// @ts-ignore: decorator
@inline function xnorTile1x6(pa: usize, pb: usize, kv: i32, half: bool, kbits: i32, out: usize): void {
  let s00 = i32x4.splat(0), s01 = s00, s02 = s00, s03 = s00;
  let t04: u64 = 0, t05: u64 = 0;
  for (let k0 = 0; k0 < kv; k0 += BLOCK) {
    const steps = min(BLOCK, kv - k0);
    let c00 = i8x16.splat(0), c01 = c00, c02 = c00, c03 = c00;
    for (let k = 0; k < steps; k++) {
      const va0 = v128.load(pa, 0);
      c00 = xpop(c00, va0, v128.load(pb, 0)); c01 = xpop(c01, va0, v128.load(pb, 16));
      c02 = xpop(c02, va0, v128.load(pb, 32)); c03 = xpop(c03, va0, v128.load(pb, 48));
      const x0 = load<u64>(pa, 0), x1 = load<u64>(pa, 8);
      t04 += popcnt(x0 ^ load<u64>(pb, 64)) + popcnt(x1 ^ load<u64>(pb, 72));
      t05 += popcnt(x0 ^ load<u64>(pb, 80)) + popcnt(x1 ^ load<u64>(pb, 88));
      pa += 32;
      pb += 96;
    }
    s00 = i32x4.add(s00, widen(c00)); s01 = i32x4.add(s01, widen(c01));
    s02 = i32x4.add(s02, widen(c02)); s03 = i32x4.add(s03, widen(c03));
  }
  if (half) {
    const x = load<u64>(pa, 0);
    s00 = i32x4.add(s00, i32x4(<i32>popcnt(x ^ load<u64>(pb, 0)), 0, 0, 0));
    s01 = i32x4.add(s01, i32x4(<i32>popcnt(x ^ load<u64>(pb, 16)), 0, 0, 0));
    s02 = i32x4.add(s02, i32x4(<i32>popcnt(x ^ load<u64>(pb, 32)), 0, 0, 0));
    s03 = i32x4.add(s03, i32x4(<i32>popcnt(x ^ load<u64>(pb, 48)), 0, 0, 0));
    t04 += popcnt(x ^ load<u64>(pb, 64)); t05 += popcnt(x ^ load<u64>(pb, 80));
  }
  v128.store(out, i32x4.sub(i32x4.splat(kbits), i32x4.shl(hsum4(s00, s01, s02, s03), 1)));
  store<i32>(out, kbits - 2 * <i32>t04, 16);
  store<i32>(out, kbits - 2 * <i32>t05, 20);
}

// Panels of b per pass, so that block of b stays in L1/L2 while every panel of a runs over it.
// @ts-ignore: decorator
@inline const NBLOCK_BYTES: usize = 48 * 1024;

/**
 * out[i * ldo + j] = kbits - 2 * popcount(a_i xor b_j) for i < m, j < n (ldo in i32 elements).
 * a, b: bit panels (packBitPanels with R = 2 and 6) of rows of `words` u64 words, i.e.
 * kv = ceil(words / 2) steps; when `words` is odd the last step's upper half is zero padding.
 * kbits: the number of +-1 elements in a row (the valid bits, wherever they sit in the row).
 * scratch: 48 bytes for edge tiles.
 */
export function xnorGemm(a: usize, b: usize, m: i32, n: i32, words: i32, kbits: i32, out: usize, ldo: i32, scratch: usize): void {
  const kv = (words + 1) >>> 1;
  const panelA = <usize>kv * 32, panelB = <usize>kv * 96;
  const half = (words & 1) != 0;
  const steps = words >>> 1;
  const ldoBytes = <usize>ldo << 2;
  const pm = (m + 1) >>> 1, pn = (n + 5) / 6;
  const nb = max<i32>(1, <i32>(NBLOCK_BYTES / panelB));
  for (let q0 = 0; q0 < pn; q0 += nb) {
    const q1 = min(pn, q0 + nb);
    for (let p = 0; p < pm; p++) {
      const i = p << 1;
      const rows = min(2, m - i);
      const pa = a + <usize>p * panelA;
      for (let q = q0; q < q1; q++) {
        const j = q * 6;
        const po = out + <usize>i * ldoBytes + (<usize>j << 2);
        const pb = b + <usize>q * panelB;
        if (rows == 2 && j + 6 <= n) {
          if (steps <= BLOCK) xnorTile2x6Short(pa, pb, steps, half, kbits, po, ldoBytes);
          else xnorTile2x6(pa, pb, steps, half, kbits, po, ldoBytes);
        } else if (rows == 2 && j + 4 == n) {
          xnorTile2x4(pa, pb, steps, half, kbits, po, ldoBytes);
        } else if (rows == 1) {
          // one row: 6 columns into scratch when the panel is short, else straight to out
          if (j + 6 <= n) xnorTile1x6(pa, pb, steps, half, kbits, po);
          else { xnorTile1x6(pa, pb, steps, half, kbits, scratch); memory.copy(po, scratch, <usize>(n - j) << 2); }
        } else {
          // edge tile: compute all 2 x 6 into scratch (row stride 24 bytes), store the valid part
          xnorTile2x6(pa, pb, steps, half, kbits, scratch, 24);
          memory.copy(po, scratch, <usize>min(6, n - j) << 2);
          memory.copy(po + ldoBytes, scratch + 24, <usize>min(6, n - j) << 2);
        }
      }
    }
  }
}
