import { checkArray, checkInt, checkOut, LowbitError } from '../errors.js';
import { scoped, type Heap } from '../memory.js';
import { convGeometry, type ConvOptions } from './conv-shape.js';
import { zeroPointsI16 } from './affine-gemm.js';

export interface AffineConv2dOptions extends ConvOptions {
  /** 'valid' (default), or 'same': output ceil(H / stride), borders padded with a real 0 (the input zero point) */
  padding?: 'valid' | 'same';
  out?: Int32Array;
}

/**
 * 8-bit affine convolution, ONNX ConvInteger semantics on NHWC data:
 * x: u8 [batch][height][width][channels]; w: i8 or u8 [filters][kh][kw][channels];
 * out[b][oy][ox][f] = sum (x - xZero)(w - wZero[f]) over the window, as int32 (NHWC); wZero is
 * one number or one per filter.
 */
export function affineConv2d(heap: Heap, x: Uint8Array, xZero: number, w: Int8Array | Uint8Array, wZero: number | ArrayLike<number>, opts: AffineConv2dOptions): Int32Array {
  const padding = opts?.padding ?? 'valid';
  if (padding !== 'valid' && padding !== 'same') throw new LowbitError('BAD_ARGUMENT', `padding must be 'valid' or 'same', got ${String(padding)}`);
  const { n, h, w: wd, c, cout, kh, kw, sh, sw, oh, ow, padT, padL } = convGeometry('affineConv2d', opts, padding === 'same' ? 'same-zero' : 'valid');
  const signed = w instanceof Int8Array;
  if (!signed && !(w instanceof Uint8Array)) throw new LowbitError('BAD_ARGUMENT', 'w must be an Int8Array or a Uint8Array');
  checkInt('xZero', xZero, 0, 255);
  const zw = signed ? zeroPointsI16('wZero (w is Int8Array)', wZero, cout, -128, 127) : zeroPointsI16('wZero (w is Uint8Array)', wZero, cout, 0, 255);
  const kk = kh * kw * c, rows = n * oh * ow;
  if (rows * kk > 2 ** 28 || cout * kk > 2 ** 28 || rows * cout > 2 ** 28) {
    throw new LowbitError('BAD_SHAPE', 'affineConv2d shape is too large for one call; split the batch');
  }
  checkArray('x', x, Uint8Array, n * h * wd * c, `${n}x${h}x${wd}x${c} (NHWC)`);
  checkArray('w', w, signed ? Int8Array : Uint8Array, cout * kk, `${cout}x${kh}x${kw}x${c} (filters, kh, kw, channels)`);
  const out = checkOut(opts.out, Int32Array, rows * cout, `${n}x${oh}x${ow}x${cout}`);
  const kp = kk + (kk & 1);
  const wasm = heap.wasm;
  return scoped(heap, (arena) => {
    const px = arena.put(x);
    const pw8 = arena.put(w);
    const col = arena.alloc(rows * kk);
    wasm.im2colBytes(px, n, h, wd, c, kh, kw, sh, sw, padT, padL, oh, ow, xZero, col);
    const pa = arena.alloc(Math.ceil(rows / 4) * 4 * kp * 2);
    wasm.affinePackRows(col, rows, kk, xZero, 0, 4, pa, 0);
    const pb = arena.alloc(Math.ceil(cout / 8) * 8 * kp * 2);
    wasm.affinePackRows(pw8, cout, kk, 0, signed ? 1 : 0, 8, pb, arena.put(zw));
    const po = arena.alloc(rows * cout * 4);
    const scratch = arena.alloc(128);
    wasm.affineGemm(pa, pb, rows, cout, kk, po, scratch);
    return heap.read(Int32Array, po, rows * cout, out);
  });
}
