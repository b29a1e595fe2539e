// 1-bit x 1-bit GEMM: out[i][j] = kbits - 2 * popcount(a_i xor b_j)   (+-1 dot product, bit 1 = +1).
// Operands: a has m rows, b has n rows, each row `kv` v128 words (kbits valid bits, zero tail in
// both operands, so the tail adds nothing to the popcount).
// Inner loop per (a, b) pair and v128: xor, i8x16.popcnt, i8x16.add into a byte accumulator.
// A byte gains at most 8 per step, so byte accumulators are widened to i32 every BLOCK = 31 steps
// (31 * 8 = 248 <= 255). The i32 sums cannot overflow: kbits < 2^31 is checked by the caller.

// @ts-ignore: decorator
@inline const BLOCK: i32 = 31;

// @ts-ignore: decorator
@inline function xpop(acc: v128, a: v128, b: v128): v128 {
  return i8x16.add(acc, i8x16.popcnt(v128.xor(a, b)));
}

// Byte accumulator -> four u32 partial sums.
// @ts-ignore: decorator
@inline function widen(acc8: v128): v128 {
  return i32x4.extadd_pairwise_i16x8_u(i16x8.extadd_pairwise_i8x16_u(acc8));
}

// [sum(v0), sum(v1), sum(v2), sum(v3)] of four i32x4 vectors.
// @ts-ignore: decorator
@inline function hsum4(v0: v128, v1: v128, v2: v128, v3: v128): v128 {
  const a = i32x4.add(i32x4.shuffle(v0, v1, 0, 1, 4, 5), i32x4.shuffle(v0, v1, 2, 3, 6, 7));
  const b = i32x4.add(i32x4.shuffle(v2, v3, 0, 1, 4, 5), i32x4.shuffle(v2, v3, 2, 3, 6, 7));
  return i32x4.add(i32x4.shuffle(a, b, 0, 2, 4, 6), i32x4.shuffle(a, b, 1, 3, 5, 7));
}

// kbits - 2 * popcount, lane-wise
// @ts-ignore: decorator
@inline function dots(kb: v128, pop: v128): v128 {
  return i32x4.sub(kb, i32x4.shl(pop, 1));
}

// Zen-class and other x86 cores run vector and scalar integer work on separate pipes, and V8 (Node
// 20) lowers i8x16.popcnt to a nibble-table sequence of ~12 instructions. The main tile therefore
// splits its 6 columns of b: 4 on v128 popcnt, 2 on scalar i64.popcnt (one instruction), both in one
// loop so the two pipes overlap. Measured ~15-20% over a pure v128 2x4 tile (bench/RESULTS.md).

// 2 rows of a x 6 rows of b -> out[0..1][0..5]; `ldo` is the out row stride in bytes.
function xnorTile2x6(a: usize, b: usize, kv: i32, rowBytes: usize, kb: v128, kbits: i32, out: usize, ldo: usize): void {
  let pa0 = a, pa1 = a + rowBytes;
  let pb0 = b, pb1 = pb0 + rowBytes, pb2 = pb1 + rowBytes, pb3 = pb2 + rowBytes;
  let pb4 = pb3 + rowBytes, pb5 = pb4 + rowBytes;
  let s00 = i32x4.splat(0), s01 = s00, s02 = s00, s03 = s00;
  let s10 = s00, s11 = s00, s12 = s00, s13 = s00;
  let t04: u64 = 0, t05: u64 = 0, t14: u64 = 0, t15: u64 = 0;
  for (let k0 = 0; k0 < kv; k0 += BLOCK) {
    const kend = min(kv, k0 + BLOCK);
    let c00 = i8x16.splat(0), c01 = c00, c02 = c00, c03 = c00;
    let c10 = c00, c11 = c00, c12 = c00, c13 = c00;
    for (let k = k0; k < kend; k++) {
      const vb0 = v128.load(pb0), vb1 = v128.load(pb1);
      const vb2 = v128.load(pb2), vb3 = v128.load(pb3);
      const va0 = v128.load(pa0);
      c00 = xpop(c00, va0, vb0); c01 = xpop(c01, va0, vb1);
      c02 = xpop(c02, va0, vb2); c03 = xpop(c03, va0, vb3);
      const va1 = v128.load(pa1);
      c10 = xpop(c10, va1, vb0); c11 = xpop(c11, va1, vb1);
      c12 = xpop(c12, va1, vb2); c13 = xpop(c13, va1, vb3);
      const u0 = load<u64>(pb4, 0), u1 = load<u64>(pb4, 8);
      const w0 = load<u64>(pb5, 0), w1 = load<u64>(pb5, 8);
      const x0 = load<u64>(pa0, 0), x1 = load<u64>(pa0, 8);
      t04 += popcnt(x0 ^ u0) + popcnt(x1 ^ u1);
      t05 += popcnt(x0 ^ w0) + popcnt(x1 ^ w1);
      const y0 = load<u64>(pa1, 0), y1 = load<u64>(pa1, 8);
      t14 += popcnt(y0 ^ u0) + popcnt(y1 ^ u1);
      t15 += popcnt(y0 ^ w0) + popcnt(y1 ^ w1);
      pa0 += 16; pa1 += 16;
      pb0 += 16; pb1 += 16; pb2 += 16; pb3 += 16; pb4 += 16; pb5 += 16;
    }
    s00 = i32x4.add(s00, widen(c00)); s01 = i32x4.add(s01, widen(c01));
    s02 = i32x4.add(s02, widen(c02)); s03 = i32x4.add(s03, widen(c03));
    s10 = i32x4.add(s10, widen(c10)); s11 = i32x4.add(s11, widen(c11));
    s12 = i32x4.add(s12, widen(c12)); s13 = i32x4.add(s13, widen(c13));
  }
  v128.store(out, dots(kb, hsum4(s00, s01, s02, s03)));
  store<i32>(out, kbits - 2 * <i32>t04, 16);
  store<i32>(out, kbits - 2 * <i32>t05, 20);
  v128.store(out + ldo, dots(kb, hsum4(s10, s11, s12, s13)));
  store<i32>(out + ldo, kbits - 2 * <i32>t14, 16);
  store<i32>(out + ldo, kbits - 2 * <i32>t15, 20);
}

// 1 row of a x 6 rows of b -> out[0][0..5]
function xnorTile1x6(a: usize, b: usize, kv: i32, rowBytes: usize, kb: v128, kbits: i32, out: usize): void {
  let pa = a;
  let pb0 = b, pb1 = pb0 + rowBytes, pb2 = pb1 + rowBytes, pb3 = pb2 + rowBytes;
  let pb4 = pb3 + rowBytes, pb5 = pb4 + rowBytes;
  let s0 = i32x4.splat(0), s1 = s0, s2 = s0, s3 = s0;
  let t4: u64 = 0, t5: u64 = 0;
  for (let k0 = 0; k0 < kv; k0 += BLOCK) {
    const kend = min(kv, k0 + BLOCK);
    let c0 = i8x16.splat(0), c1 = c0, c2 = c0, c3 = c0;
    for (let k = k0; k < kend; k++) {
      const va = v128.load(pa);
      c0 = xpop(c0, va, v128.load(pb0)); c1 = xpop(c1, va, v128.load(pb1));
      c2 = xpop(c2, va, v128.load(pb2)); c3 = xpop(c3, va, v128.load(pb3));
      const x0 = load<u64>(pa, 0), x1 = load<u64>(pa, 8);
      t4 += popcnt(x0 ^ load<u64>(pb4, 0)) + popcnt(x1 ^ load<u64>(pb4, 8));
      t5 += popcnt(x0 ^ load<u64>(pb5, 0)) + popcnt(x1 ^ load<u64>(pb5, 8));
      pa += 16;
      pb0 += 16; pb1 += 16; pb2 += 16; pb3 += 16; pb4 += 16; pb5 += 16;
    }
    s0 = i32x4.add(s0, widen(c0)); s1 = i32x4.add(s1, widen(c1));
    s2 = i32x4.add(s2, widen(c2)); s3 = i32x4.add(s3, widen(c3));
  }
  v128.store(out, dots(kb, hsum4(s0, s1, s2, s3)));
  store<i32>(out, kbits - 2 * <i32>t4, 16);
  store<i32>(out, kbits - 2 * <i32>t5, 20);
}

// 1 row of a x 1 row of b -> popcount(a xor b), scalar
function xnorPop1x1(a: usize, b: usize, kv: i32): i32 {
  let t: u64 = 0;
  for (let k = 0; k < kv; k++) {
    t += popcnt(load<u64>(a, 0) ^ load<u64>(b, 0)) + popcnt(load<u64>(a, 8) ^ load<u64>(b, 8));
    a += 16; b += 16;
  }
  return <i32>t;
}

// Columns of b processed per pass, so that a column block of b stays in L1/L2 while all of a runs.
// @ts-ignore: decorator
@inline const NBLOCK_BYTES: i32 = 48 * 1024;

/**
 * out[i * ldo + j] = kbits - 2 * popcount(a_i xor b_j) for i < m, j < n (ldo in i32 elements).
 * a: m rows, b: n rows, each of kv v128 words, zero past kbits.
 */
export function xnorGemm(a: usize, b: usize, m: i32, n: i32, kv: i32, kbits: i32, out: usize, ldo: i32): void {
  const rowBytes = <usize>kv << 4;
  const ldoBytes = <usize>ldo << 2;
  const kb = i32x4.splat(kbits);
  // a block of b rows (multiple of 6) small enough to stay in cache while every row of a passes
  const nb = max(6, (NBLOCK_BYTES / max(1, <i32>rowBytes)) / 6 * 6);
  const n6 = n - n % 6;
  for (let j0 = 0; j0 < n6; j0 += nb) {
    const j1 = min(n6, j0 + nb);
    let i = 0;
    for (; i + 2 <= m; i += 2) {
      const pa = a + <usize>i * rowBytes;
      const po = out + <usize>i * ldoBytes;
      for (let j = j0; j < j1; j += 6) {
        xnorTile2x6(pa, b + <usize>j * rowBytes, kv, rowBytes, kb, kbits, po + (<usize>j << 2), ldoBytes);
      }
    }
    if (i < m) {
      const pa = a + <usize>i * rowBytes;
      const po = out + <usize>i * ldoBytes;
      for (let j = j0; j < j1; j += 6) {
        xnorTile1x6(pa, b + <usize>j * rowBytes, kv, rowBytes, kb, kbits, po + (<usize>j << 2));
      }
    }
  }
  // the last n % 6 columns
  for (let j = n6; j < n; j++) {
    const pb = b + <usize>j * rowBytes;
    for (let i = 0; i < m; i++) {
      const pop = xnorPop1x1(a + <usize>i * rowBytes, pb, kv);
      store<i32>(out + <usize>i * ldoBytes + (<usize>j << 2), kbits - 2 * pop);
    }
  }
}
