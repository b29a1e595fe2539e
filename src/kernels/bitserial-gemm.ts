import { checkArray, checkInt, checkOut, LowbitError } from '../errors.js';
import { scoped, type Heap } from '../memory.js';
import { bitPanelBytes, PANEL_A, PANEL_B } from './operand-sizes.js';
import { words32 } from './pack-signs.js';
import { putCodes, type PackedCodes } from './codes.js';
import { lutPanelBytes, useLut } from './lut-gemm.js';

/**
 * Bit-serial product of unsigned `bits`-bit activation codes and +-1 weights:
 * `out[i*n + j] = sum_t a[i][t] * w_j[t]`, a: m x k codes (one per byte, each < 2^bits, row-major,
 * or PackedCodes rows at 4 or 2 bits),
 * w: n rows of ceil(k/32) u32 words in xnorGemm's layout (bit 1 = +1, LSB first).
 * Codes of 2..4 bits run on the lookup-table GEMM (assembly/lut.ts: one swizzle looks up 4 MACs for
 * 16 columns); 1 and 5..8 bits run `bits` xor-popcount passes over the activations' bit planes
 * (assembly/bitserial.ts).
 */
export function bitserialGemm(heap: Heap, a: Uint8Array | PackedCodes, bits: number, w: Uint32Array, m: number, n: number, k: number, out?: Int32Array): Int32Array {
  checkInt('bits', bits, 1, 8);
  checkInt('m', m);
  checkInt('n', n);
  checkInt('k', k);
  const wpr = words32(k);
  checkArray('w', w, Uint32Array, n * wpr, `${n} rows of ceil(k/32) = ${wpr} words`);
  if (m * bits * n > 2 ** 28 || m * k > 2 ** 28) {
    throw new LowbitError('BAD_SHAPE', `bitserialGemm of ${m}x${k} codes and ${n} weight rows is too large for one call; split it`);
  }
  checkOut(out, Int32Array, m * n, `m x n = ${m} x ${n}`);
  const wasm = heap.wasm;
  return scoped(heap, (arena) => {
    const pa8 = putCodes(heap, arena, 'a', a, bits, m, k);
    if (useLut(bits)) {
      const pw = arena.put(w), panels = arena.alloc(lutPanelBytes(n, k)), po = arena.alloc(m * n * 4);
      wasm.lutPackWeights(pw, n, 1, k, wpr, panels);
      wasm.lutGemm(pa8, k, m, k, panels, n, bits, po, n, arena.alloc(wasm.lutScratchBytes(k)));
      return heap.read(Int32Array, po, m * n, out);
    }
    const rows = m * bits;
    const planes = arena.alloc(rows * wpr * 4);
    wasm.packBitPlanes(pa8, m, k, bits, planes, wpr);
    const pa = arena.alloc(bitPanelBytes(rows, PANEL_A, k));
    wasm.packBitPanels(planes, rows, wpr, k, PANEL_A, pa);
    const pw = arena.put(w);
    wasm.copyBitRows(pw, n, wpr, k, pw, wpr); // clear bits past k in place
    const wsum = arena.alloc(n * 4);
    wasm.signRowSums(pw, n, wpr, k, wsum);
    const pb = arena.alloc(bitPanelBytes(n, PANEL_B, k));
    wasm.packBitPanels(pw, n, wpr, k, PANEL_B, pb);
    const x = arena.alloc(rows * n * 4);
    const scratch = arena.alloc(64);
    wasm.xnorGemm(pa, pb, rows, n, Math.ceil(k / 64), k, x, n, scratch);
    const po = arena.alloc(m * n * 4);
    wasm.bitserialCombine(x, m, bits, n, bits * n * 4, n * 4, wsum, po);
    return heap.read(Int32Array, po, m * n, out);
  });
}
