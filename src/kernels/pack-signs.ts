import { checkArray, checkInt } from '../errors.js';
import { scoped, type Heap } from '../memory.js';

/** Words of 32 bits holding k bits. */
export const words32 = (k: number) => Math.ceil(k / 32);

/**
 * Sign-pack `rows` rows of `k` floats: bit j of row r (LSB first, ceil(k/32) u32 words per row) is
 * 1 for x >= 0 (+1) and 0 for x < 0 or NaN (-1). Tail bits are zero.
 */
export function packSigns(heap: Heap, x: Float32Array, rows: number, k: number): Uint32Array {
  checkInt('rows', rows);
  checkInt('k', k);
  checkArray('x', x, Float32Array, rows * k, `${rows} rows of ${k} floats`);
  const wpr = words32(k);
  return scoped(heap, (arena) => {
    const src = arena.put(x);
    const dst = arena.alloc(rows * wpr * 4);
    heap.wasm.packSignsRows(src, rows, k, dst, wpr);
    return heap.read(Uint32Array, dst, rows * wpr);
  });
}

/**
 * Sign-pack NHWC pixels of `c` channels into 64-bit words: ceil(c/64) u64 per pixel, returned as
 * pairs of u32 (low word first), channel j = bit j. This is the input layout of binaryConv2d.
 */
export function packSignsNHWC(heap: Heap, x: Float32Array, pixels: number, c: number): Uint32Array {
  checkInt('pixels', pixels);
  checkInt('c', c);
  checkArray('x', x, Float32Array, pixels * c, `${pixels} pixels of ${c} channels`);
  const wpp = 2 * Math.ceil(c / 64);
  return scoped(heap, (arena) => {
    const src = arena.put(x);
    const dst = arena.alloc(pixels * wpp * 4);
    heap.wasm.packSignsRows(src, pixels, c, dst, wpp);
    return heap.read(Uint32Array, dst, pixels * wpp);
  });
}
