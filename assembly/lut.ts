// Lookup-table GEMM for +-1 weights x unsigned `bits`-bit activation codes (bits <= 4), after
// T-MAC (Wei et al., arXiv 2407.00088): out[i][j] = sum_t a[i][t] w[j][t], w in {-1, +1}.
//
// With b[j][t] = 1 where w = +1:  sum_t a w = 2 sum_{t: b = 1} a[t] - sum_t a[t].
// Activations are cut into groups of 4; for each group one 16-byte table holds, for every 4-bit
// weight pattern p, the sum of the group's activations where p has a 1 (at most 4 (2^bits - 1)).
// A 4-bit slice of 16 weight columns then indexes that table with one swizzle: 16 columns x 4
// MACs per instruction. Byte sums are widened to u16 before they can pass 255 ("flush"), u16
// sums to int32 every K_BLOCK pairs of groups; the tile subtracts the row sum of a at the end.
//
// Layouts (all made here):
//   weights: panels of 16 columns, [panel][pair][2][16 bytes]: byte j of the first half of pair g
//            holds the 4 bits of group 2g of weight row j, the second half those of group 2g + 1
//            (one index byte per lookup: no nibble shifts in the loop).
//   tables:  row i at tab + i * ts, ts = pairs * 32: [pair][low group's 16][high group's 16].
import { lutTile1, lutTile4 } from './lut-tiles';
import { sumBytes } from './codes';

// pairs of groups (8 codes) per int32 flush: 512 * 8 * 15 = 61440 fits in u16
// @ts-ignore: decorator
@inline const K_BLOCK: i32 = 512;

/** Pairs of groups of 4 codes in a row of k. */
// @ts-ignore: decorator
@inline function pairsOf(k: i32): i32 {
  return (k + 7) >>> 3;
}

/**
 * Weight panels from n rows of +-1 bits (bit 1 = +1, LSB first). Row j is `segs` segments of
 * `segBits` valid bits, each stored in `segWords` u32 words from w + (j * segs + s) * segWords * 4:
 * one segment for a dense layer (k = segBits), one per tap for a convolution (the im2col order,
 * k = taps * channels). dst: ceil(n / 16) * ceil(k / 8) * 32 bytes; codes past k read zero
 * tables, so the padding bits are don't-cares.
 */
export function lutPackWeights(w: usize, n: i32, segs: i32, segBits: i32, segWords: i32, dst: usize): void {
  const k = segs * segBits, pairs = pairsOf(k), pn = (n + 15) >>> 4;
  const segBytes = <usize>segWords << 2;
  for (let q = 0; q < pn; q++) {
    const panel = dst + <usize>q * <usize>pairs * 32;
    memory.fill(panel, 0, <usize>pairs * 32);
    const cols = min(16, n - (q << 4));
    for (let jj = 0; jj < cols; jj++) {
      const row = w + <usize>((q << 4) + jj) * <usize>segs * segBytes;
      if (segs == 1) {
        // 16 pairs at a time: byte g of the row -> low nibble at pair g's first half, high at its second
        const p16 = pairs & ~15;
        for (let g = 0; g < p16; g += 16) {
          const v = v128.load(row + <usize>g), lo = v128.and(v, i8x16.splat(15)), hi = i8x16.shr_u(v, 4);
          const d = panel + (<usize>g << 5) + <usize>jj;
          v128.store8_lane(d, lo, 0); v128.store8_lane(d, hi, 0, 16); v128.store8_lane(d, lo, 1, 32); v128.store8_lane(d, hi, 1, 48);
          v128.store8_lane(d, lo, 2, 64); v128.store8_lane(d, hi, 2, 80); v128.store8_lane(d, lo, 3, 96); v128.store8_lane(d, hi, 3, 112);
          v128.store8_lane(d, lo, 4, 128); v128.store8_lane(d, hi, 4, 144); v128.store8_lane(d, lo, 5, 160); v128.store8_lane(d, hi, 5, 176);
          v128.store8_lane(d, lo, 6, 192); v128.store8_lane(d, hi, 6, 208); v128.store8_lane(d, lo, 7, 224); v128.store8_lane(d, hi, 7, 240);
          v128.store8_lane(d, lo, 8, 256); v128.store8_lane(d, hi, 8, 272); v128.store8_lane(d, lo, 9, 288); v128.store8_lane(d, hi, 9, 304);
          v128.store8_lane(d, lo, 10, 320); v128.store8_lane(d, hi, 10, 336); v128.store8_lane(d, lo, 11, 352); v128.store8_lane(d, hi, 11, 368);
          v128.store8_lane(d, lo, 12, 384); v128.store8_lane(d, hi, 12, 400); v128.store8_lane(d, lo, 13, 416); v128.store8_lane(d, hi, 13, 432);
          v128.store8_lane(d, lo, 14, 448); v128.store8_lane(d, hi, 14, 464); v128.store8_lane(d, lo, 15, 480); v128.store8_lane(d, hi, 15, 496);
        }
        for (let g = p16; g < pairs; g++) {
          const b = load<u8>(row + <usize>g), d = panel + (<usize>g << 5) + <usize>jj;
          store<u8>(d, b & 15);
          store<u8>(d, b >> 4, 16);
        }
        continue;
      }
      for (let t = 0; t < k; t++) {
        const sg = t / segBits, b = t - sg * segBits;
        const bit = (load<u32>(row + <usize>sg * segBytes + (<usize>(b >>> 5) << 2)) >>> (<u32>b & 31)) & 1;
        // bit t & 3 of group t >> 2: pair t >> 3, half (t >> 2) & 1
        const d = panel + (<usize>(t >>> 3) << 5) + (<usize>((t >>> 2) & 1) << 4) + <usize>jj;
        store<u8>(d, load<u8>(d) | <u8>(bit << (<u32>t & 3)));
      }
    }
  }
}

// Index vectors of the table build: lane p of B_t selects code t of the group (lanes 0..3 of the
// splatted u32) where bit t of p is set, else 0x80, which swizzle maps to zero.
// @ts-ignore: decorator
@inline function tableOf(v: v128): v128 {
  const b0 = i8x16(-128, 0, -128, 0, -128, 0, -128, 0, -128, 0, -128, 0, -128, 0, -128, 0);
  const b1 = i8x16(-128, -128, 1, 1, -128, -128, 1, 1, -128, -128, 1, 1, -128, -128, 1, 1);
  const b2 = i8x16(-128, -128, -128, -128, 2, 2, 2, 2, -128, -128, -128, -128, 2, 2, 2, 2);
  const b3 = i8x16(-128, -128, -128, -128, -128, -128, -128, -128, 3, 3, 3, 3, 3, 3, 3, 3);
  return i8x16.add(i8x16.add(i8x16.swizzle(v, b0), i8x16.swizzle(v, b1)), i8x16.add(i8x16.swizzle(v, b2), i8x16.swizzle(v, b3)));
}

/**
 * Tables for m rows of k codes (row i at a + i * lda bytes): dst row i at dst + i * pairs * 32;
 * sums[i] = sum of row i's codes (int32).
 */
function lutTables(a: usize, m: i32, k: i32, lda: i32, dst: usize, sums: usize): void {
  const pairs = pairsOf(k), ts = <usize>pairs << 5;
  const k4 = k & ~3;
  for (let i = 0; i < m; i++) {
    const row = a + <usize>i * <usize>lda;
    const t = dst + <usize>i * ts;
    let g = 0;
    for (; (g << 2) < k4; g++) v128.store(t + (<usize>g << 4), tableOf(i32x4.splat(load<u32>(row + (<usize>g << 2)))));
    if (k4 < k) {
      let u: u32 = 0;
      for (let x = k4; x < k; x++) u |= <u32>load<u8>(row + <usize>x) << (<u32>(x - k4) << 3);
      v128.store(t + (<usize>g << 4), tableOf(i32x4.splat(u)));
      g++;
    }
    for (; g < pairs << 1; g++) v128.store(t + (<usize>g << 4), i8x16.splat(0));
    store<i32>(sums + (<usize>i << 2), sumBytes(row, k));
  }
}

// Rows whose tables are built at a time: the tables (4 bytes per code) stay in L2 and the
// scratch is bounded whatever m is.
// @ts-ignore: decorator
@inline const ROW_BLOCK: i32 = 64;

/** Scratch bytes lutGemm needs for rows of k codes. */
export function lutScratchBytes(k: i32): i32 {
  return ROW_BLOCK * (pairsOf(k) << 5) + ROW_BLOCK * 4 + 272;
}

/**
 * out[i * ldo + j] = sum_t a[i][t] w[j][t] for i < m, j < n (ldo in int32 elements): a = m rows of
 * k codes (row i at a + i * lda bytes, each < 2^bits, bits 1..4), w = lutPackWeights panels.
 * scratch: lutScratchBytes(k) bytes.
 */
export function lutGemm(a: usize, lda: i32, m: i32, k: i32, w: usize, n: i32, bits: i32, out: usize, ldo: i32, scratch: usize): void {
  const pairs = pairsOf(k), ts = <usize>pairs << 5, panel = <usize>pairs << 5;
  const flush = 255 / (8 * ((1 << bits) - 1));
  const ldoBytes = <usize>ldo << 2;
  const tab = scratch, sums = tab + <usize>ROW_BLOCK * ts, edge = sums + <usize>ROW_BLOCK * 4, zeros = edge + 256;
  v128.store(zeros, i32x4.splat(0));
  const pn = (n + 15) >>> 4;
  for (let i0 = 0; i0 < m; i0 += ROW_BLOCK) {
    const mb = min(ROW_BLOCK, m - i0);
    lutTables(a + <usize>i0 * <usize>lda, mb, k, lda, tab, sums);
    for (let i = 0; i < mb; i += 4) {
      const rows = min(4, mb - i);
      const ti = tab + <usize>i * ts, si = sums + (<usize>i << 2), oi = out + <usize>(i0 + i) * ldoBytes;
      for (let q = 0; q < pn; q++) {
        const j = q << 4, cols = min(16, n - j);
        const full = cols == 16;
        const dst = full ? oi + (<usize>j << 2) : edge;
        const ld = full ? ldoBytes : 64;
        const wq = w + <usize>q * panel;
        for (let g = 0; g < pairs; g += K_BLOCK) {
          const cnt = min(K_BLOCK, pairs - g), add = g > 0;
          const tg = ti + (<usize>g << 5), wg = wq + (<usize>g << 5);
          if (rows == 4) lutTile4(tg, ts, wg, cnt, flush, add ? zeros : si, dst, ld, add);
          else for (let r = 0; r < rows; r++) lutTile1(tg + <usize>r * ts, ts, wg, cnt, flush, add ? zeros : si + (<usize>r << 2), dst + <usize>r * ld, ld, add);
        }
        if (!full) for (let r = 0; r < rows; r++) memory.copy(oi + <usize>r * ldoBytes + (<usize>j << 2), edge + <usize>r * 64, <usize>cols << 2);
      }
    }
  }
}
