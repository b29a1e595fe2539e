import { checkArray, checkInt, checkOut, LowbitError } from '../errors.js';
import { scoped, type Heap } from '../memory.js';
import { putCodes, type PackedCodes } from './codes.js';
import { i16PanelBytes } from './operand-sizes.js';

/**
 * Affine product with sub-byte weight codes: a u8 (m x k) with zero point aZero, b unsigned
 * `bBits`-bit codes (4 or 2; k x n row-major, one per byte or PackedCodes rows) with zero point
 * bZero: out = sum (a - aZero)(b - bZero) as int32, MatMulInteger semantics. Inside wasm the codes
 * stay 4 or 2 bits wide (a 2-bit panel is a quarter of an 8-bit one) and the tile unpacks them.
 */
export function affineGemmLowBit(heap: Heap, a: Uint8Array, aZero: number, b: Uint8Array | PackedCodes, bBits: number, bZero: number,
  m: number, n: number, k: number, out?: Int32Array): Int32Array {
  if (bBits !== 4 && bBits !== 2) throw new LowbitError('BAD_ARGUMENT', `bBits must be 4 or 2 (use affineGemm for 8-bit codes), got ${String(bBits)}`);
  checkInt('m', m);
  checkInt('n', n);
  checkInt('k', k);
  checkArray('a', a, Uint8Array, m * k, `m x k = ${m} x ${k}`);
  checkInt('aZero', aZero, 0, 255);
  checkInt('bZero', bZero, 0, (1 << bBits) - 1);
  if (m * k > 2 ** 28 || k * n > 2 ** 28 || m * n > 2 ** 28) {
    throw new LowbitError('BAD_SHAPE', `affineGemmLowBit operands of ${m}x${k} and ${k}x${n} are too large for one call; split the product`);
  }
  checkOut(out, Int32Array, m * n, `m x n = ${m} x ${n}`);
  const wasm = heap.wasm;
  const kp = k + (k & 1);
  return scoped(heap, (arena) => {
    const pb8 = putCodes(heap, arena, 'b', b, bBits, k, n); // rows of B: k rows of n codes
    const pa8 = arena.put(a);
    const rowsum = arena.alloc(m * 4);
    wasm.affineRowSums(pa8, m, k, aZero, rowsum);
    const pa = arena.alloc(i16PanelBytes(m, 4, k));
    wasm.affinePackRows(pa8, m, k, aZero, 0, 4, pa, 0);
    const pb = arena.alloc(Math.ceil(n / 8) * (kp / 2) * (bBits === 4 ? 8 : 4));
    wasm.affinePackBLowBit(pb8, k, n, bBits, pb);
    const po = arena.alloc(m * n * 4);
    const scratch = arena.alloc(128);
    wasm.affineGemmLowBit(pa, pb, m, n, k, bBits, bZero, rowsum, po, scratch);
    return heap.read(Int32Array, po, m * n, out);
  });
}
