import { checkArray, checkInt, checkOut, LowbitError } from '../errors.js';
import { scoped, type Arena, type Heap } from '../memory.js';

/** Below this many rows, streaming rows of B beats packing it (packing costs about one pass of the work). */
const PACK_MIN_ROWS = 4;

/**
 * f32 matrix product, a: m x k, b: k x n, both row-major (ONNX MatMul); returns m x n row-major
 * (in `out` if given).
 */
export function sgemm(heap: Heap, a: Float32Array, b: Float32Array, m: number, n: number, k: number, out?: Float32Array): Float32Array {
  checkInt('m', m);
  checkInt('n', n);
  checkInt('k', k);
  checkArray('a', a, Float32Array, m * k, `m x k = ${m} x ${k}`);
  checkArray('b', b, Float32Array, k * n, `k x n = ${k} x ${n}`);
  if (m * n > 2 ** 28 || k * n > 2 ** 28 || m * k > 2 ** 28) {
    throw new LowbitError('BAD_SHAPE', `sgemm operands of ${m}x${k} and ${k}x${n} exceed 1 GiB; split the product`);
  }
  checkOut(out, Float32Array, m * n, `m x n = ${m} x ${n}`);
  return scoped(heap, (arena) => {
    const pa = arena.put(a);
    const pb = arena.put(b);
    const pc = arena.alloc(m * n * 4);
    sgemmWasm(heap, arena, pa, pb, m, n, k, pc);
    return heap.read(Float32Array, pc, m * n, out);
  });
}

/** C = A B on operands already in wasm memory (row-major A m x k, B k x n, C m x n). */
export function sgemmWasm(heap: Heap, arena: Arena, pa: number, pb: number, m: number, n: number, k: number, pc: number): void {
  if (m < PACK_MIN_ROWS) {
    heap.wasm.sgemmRows(pa, pb, m, n, k, pc);
    return;
  }
  const packed = arena.alloc(Math.ceil(n / 8) * 8 * k * 4);
  const scratch = arena.alloc(128);
  heap.wasm.sgemmPackB(pb, k, n, packed);
  heap.wasm.sgemmPacked(pa, packed, m, n, k, pc, scratch);
}
