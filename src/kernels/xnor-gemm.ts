import { checkArray, checkInt, LowbitError } from '../errors.js';
import { scoped, type Arena, type Heap } from '../memory.js';
import { words32 } from './pack-signs.js';

/**
 * Put `rows` bit rows (ceil(k/32) u32 words each, LSB first) into wasm as rows of kv = ceil(k/128)
 * v128 words with every bit past k cleared, the operand layout of the xnor kernels.
 */
export function putBitRows(heap: Heap, arena: Arena, src: Uint32Array, rows: number, k: number): number {
  const w32 = words32(k);
  const w128 = 4 * Math.ceil(k / 128);
  const staged = arena.put(src, (w128 - w32) * rows * 4);
  if (w32 === w128) {
    heap.wasm.copyBitRows(staged, rows, w32, k, staged, w32); // in place: only clears the tail bits
    return staged;
  }
  const dst = arena.alloc(rows * w128 * 4);
  heap.wasm.copyBitRows(staged, rows, w32, k, dst, w128);
  return dst;
}

/**
 * Binary matrix product: out[i*n + j] = sum over k of a_i[t] * b_j[t] for +-1 elements, an integer
 * in [-k, k]. a: m rows and b: n rows of ceil(k/32) u32 words; element t is bit t (LSB first),
 * bit 1 = +1, bit 0 = -1; bits past k are ignored.
 */
export function xnorGemm(heap: Heap, a: Uint32Array, b: Uint32Array, m: number, n: number, k: number): Int32Array {
  checkInt('m', m);
  checkInt('n', n);
  checkInt('k', k);
  const w = words32(k);
  checkArray('a', a, Uint32Array, m * w, `${m} rows of ceil(k/32) = ${w} words`);
  checkArray('b', b, Uint32Array, n * w, `${n} rows of ceil(k/32) = ${w} words`);
  if (m * n > 2 ** 29) throw new LowbitError('BAD_SHAPE', `m*n = ${m * n} outputs is too large for one call; split the product`);
  return scoped(heap, (arena) => {
    const pa = putBitRows(heap, arena, a, m, k);
    const pb = putBitRows(heap, arena, b, n, k);
    const out = arena.alloc(m * n * 4);
    heap.wasm.xnorGemm(pa, pb, m, n, Math.ceil(k / 128), k, out, n);
    return heap.read(Int32Array, out, m * n);
  });
}
