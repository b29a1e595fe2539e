import { checkArray, checkInt, checkOut, LowbitError } from '../errors.js';
import { scoped, type Arena, type Heap } from '../memory.js';
import { words32 } from './pack-signs.js';
import { bitPanelBytes, PANEL_A, PANEL_B } from './operand-sizes.js';

export { PANEL_A, PANEL_B } from './operand-sizes.js';

/**
 * Put `rows` bit rows (`srcWords` u32 words each, first k bits valid) into wasm as bit panels of
 * `r` rows (assembly/bitpack.ts packBitPanels), the operand layout of the xnor kernels.
 */
export function putBitPanels(heap: Heap, arena: Arena, src: Uint32Array, rows: number, srcWords: number, k: number, r: number): number {
  const staged = arena.put(src);
  const dst = arena.alloc(bitPanelBytes(rows, r, k));
  heap.wasm.packBitPanels(staged, rows, srcWords, k, r, dst);
  return dst;
}

/**
 * Binary matrix product: out[i*n + j] = sum over k of a_i[t] * b_j[t] for +-1 elements, an integer
 * in [-k, k]. a: m rows and b: n rows of ceil(k/32) u32 words; element t is bit t (LSB first),
 * bit 1 = +1, bit 0 = -1; bits past k are ignored. `out` (m*n) is filled and returned if given.
 */
export function xnorGemm(heap: Heap, a: Uint32Array, b: Uint32Array, m: number, n: number, k: number, out?: Int32Array): Int32Array {
  checkInt('m', m);
  checkInt('n', n);
  checkInt('k', k);
  const w = words32(k);
  checkArray('a', a, Uint32Array, m * w, `${m} rows of ceil(k/32) = ${w} words`);
  checkArray('b', b, Uint32Array, n * w, `${n} rows of ceil(k/32) = ${w} words`);
  if (m * n > 2 ** 29) throw new LowbitError('BAD_SHAPE', `m*n = ${m * n} outputs is too large for one call; split the product`);
  checkOut(out, Int32Array, m * n, `m x n = ${m} x ${n}`);
  return scoped(heap, (arena) => {
    const pa = putBitPanels(heap, arena, a, m, w, k, PANEL_A);
    const pb = putBitPanels(heap, arena, b, n, w, k, PANEL_B);
    const po = arena.alloc(m * n * 4);
    const scratch = arena.alloc(2 * PANEL_B * 4);
    heap.wasm.xnorGemm(pa, pb, m, n, Math.ceil(k / 64), k, po, n, scratch);
    return heap.read(Int32Array, po, m * n, out);
  });
}
