import { checkArray, checkInt, LowbitError } from '../errors.js';
import { scoped, type Arena, type Heap } from '../memory.js';

/**
 * Sub-byte codes at rest: rows of `bits`-bit codes (4 or 2) packed LSB first, each row starting on
 * a byte (ceil(k * bits / 8) bytes a row; layout in assembly/codes.ts). Kernels that take codes
 * accept this form as well as one code per byte.
 */
export interface PackedCodes {
  data: Uint8Array;
  bits: 2 | 4;
}

const rowBytes = (k: number, bits: number) => Math.ceil((k * bits) / 8);

export function isPackedCodes(x: unknown): x is PackedCodes {
  return typeof x === 'object' && x !== null && !ArrayBuffer.isView(x) && 'data' in x && 'bits' in x;
}

/**
 * Put `rows` x `k` codes into wasm as one byte per code (unpacking packed ones in wasm) and check
 * every code is below 2^bits. `bits`: the width the kernel was asked for.
 */
export function putCodes(heap: Heap, arena: Arena, name: string, codes: Uint8Array | PackedCodes, bits: number, rows: number, k: number): number {
  const wasm = heap.wasm;
  let p: number;
  if (isPackedCodes(codes)) {
    if (codes.bits !== bits) {
      throw new LowbitError('BAD_ARGUMENT', `${name} is packed at ${String(codes.bits)} bits but the kernel was asked for ${bits}-bit codes`);
    }
    checkArray(`${name}.data`, codes.data, Uint8Array, rows * rowBytes(k, bits), `${rows} rows of ${k} ${bits}-bit codes, ${rowBytes(k, bits)} bytes a row`);
    const packed = arena.put(codes.data);
    p = arena.alloc(rows * k);
    wasm.unpackCodes(packed, rows, k, bits, p);
    return p; // packed codes cannot exceed their width
  }
  checkArray(name, codes, Uint8Array, rows * k, `${rows} x ${k} codes, one per byte`);
  p = arena.put(codes);
  const top = wasm.maxByte(p, rows * k);
  if (top >= 1 << bits) {
    throw new LowbitError('BAD_ARGUMENT', `${name} holds the code ${top}, but ${bits}-bit codes are 0..${(1 << bits) - 1}; quantize first or raise the bit width`);
  }
  return p;
}

/** Pack `rows` x `k` codes (one per byte, each < 2^bits) into sub-byte rows. */
export function packCodes(heap: Heap, codes: Uint8Array, bits: number, rows: number, k: number): PackedCodes {
  if (bits !== 4 && bits !== 2) throw new LowbitError('BAD_ARGUMENT', `bits must be 4 or 2, got ${String(bits)}`);
  checkInt('rows', rows);
  checkInt('k', k);
  return scoped(heap, (arena) => {
    const src = putCodes(heap, arena, 'codes', codes, bits, rows, k);
    const bytes = rows * rowBytes(k, bits);
    const dst = arena.alloc(bytes);
    heap.wasm.packCodes(src, rows, k, bits, dst);
    return { data: new Uint8Array(heap.wasm.memory.buffer.slice(dst, dst + bytes)), bits };
  });
}

/** Unpack sub-byte rows into one code per byte ([rows][k]). */
export function unpackCodes(heap: Heap, packed: PackedCodes, rows: number, k: number): Uint8Array {
  if (!isPackedCodes(packed) || (packed.bits !== 4 && packed.bits !== 2)) {
    throw new LowbitError('BAD_ARGUMENT', 'unpackCodes takes { data: Uint8Array, bits: 4 | 2 }');
  }
  checkInt('rows', rows);
  checkInt('k', k);
  return scoped(heap, (arena) => {
    const p = putCodes(heap, arena, 'packed', packed, packed.bits, rows, k);
    return new Uint8Array(heap.wasm.memory.buffer.slice(p, p + rows * k));
  });
}
