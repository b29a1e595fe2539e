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
// The four tiles (2 x 6, 2 x 6 for short K, 2 x 4 for a 4-column last panel, 1 x 6) are generated
// from one template by scripts/gen-xnor-tiles.mjs into assembly/xnor-tiles.ts, XNNPACK style: each
// is a separate micro-kernel because merging them costs the measured 5-7% (widening loop) or 3-4%
// (dead columns through scratch); bench/NOTES.md. All are @inline: inside the driver's loop V8
// allocates their registers better than across a call (measured +4-5% on every bench shape).
//
// v128 columns accumulate bytes (at most 8 per step), widened to i32 every BLOCK = 31 steps
// (31 * 8 = 248 <= 255). Sums are at most kbits < 2^30, checked by the caller: no i32 overflow.

import { BLOCK } from './xnor-common';
import { xnorTile2x6, xnorTile2x6Short, xnorTile2x4, xnorTile1x6 } from './xnor-tiles';

// @ts-ignore: decorator
@inline export const PANEL_A: i32 = 2;
// @ts-ignore: decorator
@inline export const PANEL_B: i32 = 6;

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
