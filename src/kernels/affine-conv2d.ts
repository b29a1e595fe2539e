import { checkArray, checkInt, checkOut, LowbitError } from '../errors.js';
import { dotMode } from './affine-dot.js';
import { scoped, type Heap } from '../memory.js';
import { convGeometry, zeroPadding, type ConvOptions } from './conv-shape.js';
import { zeroPointsI16 } from './affine-gemm.js';
import { isPackedCodes, putCodes, type PackedCodes } from './codes.js';
import { i16PanelBytes } from './operand-sizes.js';

export interface AffineConv2dOptions extends ConvOptions {
  /** 'valid' (default), or 'same': output ceil(H / stride), borders padded with a real 0 (the input zero point) */
  padding?: 'valid' | 'same';
  /** 4 or 2 for sub-byte weight codes given one per byte (PackedCodes carry their own width); default 8 */
  wBits?: number;
  out?: Int32Array;
}

/**
 * 8-bit affine convolution, ONNX ConvInteger semantics on NHWC data:
 * x: u8 [batch][height][width][channels]; w: i8 or u8 [filters][kh][kw][channels];
 * out[b][oy][ox][f] = sum (x - xZero)(w - wZero[f]) over the window, as int32 (NHWC); wZero is
 * one number or one per filter. Sub-byte weights (4 or 2 bits: `opts.wBits` with one code per
 * byte, or PackedCodes rows of kh*kw*c codes per filter) stay sub-byte in wasm; their zero point
 * is one number.
 */
export function affineConv2d(heap: Heap, x: Uint8Array, xZero: number, w: Int8Array | Uint8Array | PackedCodes, wZero: number | ArrayLike<number>, opts: AffineConv2dOptions): Int32Array {
  const padding = opts?.padding ?? 'valid';
  const { n, h, w: wd, c, cout, kh, kw, sh, sw, oh, ow, padT, padL } = convGeometry('affineConv2d', opts, zeroPadding(padding), ['padding', 'out', 'wBits']);
  const kk = kh * kw * c, rows = n * oh * ow;
  if (rows * kk > 2 ** 28 || cout * kk > 2 ** 28 || rows * cout > 2 ** 28) {
    throw new LowbitError('BAD_SHAPE', 'affineConv2d shape is too large for one call; split the batch');
  }
  checkArray('x', x, Uint8Array, n * h * wd * c, `${n}x${h}x${wd}x${c} (NHWC)`);
  checkInt('xZero', xZero, 0, 255);
  const out = checkOut(opts.out, Int32Array, rows * cout, `${n}x${oh}x${ow}x${cout}`);
  const kp = kk + (kk & 1);
  const wasm = heap.wasm;
  const bits = isPackedCodes(w) ? w.bits : (opts.wBits ?? 8);
  if (bits !== 8 && bits !== 4 && bits !== 2) throw new LowbitError('BAD_ARGUMENT', `wBits must be 8, 4 or 2, got ${String(bits)}`);
  let signed = false, zw: Int16Array | null = null;
  if (bits === 8) {
    signed = w instanceof Int8Array;
    if (!signed && !(w instanceof Uint8Array)) throw new LowbitError('BAD_ARGUMENT', 'w must be an Int8Array, a Uint8Array or PackedCodes');
    checkArray('w', w, signed ? Int8Array : Uint8Array, cout * kk, `${cout}x${kh}x${kw}x${c} (filters, kh, kw, channels)`);
    zw = signed ? zeroPointsI16('wZero (w is Int8Array)', wZero, cout, -128, 127) : zeroPointsI16('wZero (w is Uint8Array)', wZero, cout, 0, 255);
  } else if (typeof wZero !== 'number') {
    throw new LowbitError('BAD_ARGUMENT', `wZero must be one number for ${bits}-bit weights`);
  } else {
    checkInt('wZero', wZero, 0, (1 << bits) - 1);
  }
  return scoped(heap, (arena) => {
    const px = arena.put(x);
    const col = arena.alloc(rows * kk);
    wasm.im2colBytes(px, n, h, wd, c, kh, kw, sh, sw, padT, padL, oh, ow, xZero, col);
    const po = arena.alloc(rows * cout * 4);
    const scratch = arena.alloc(128);
    const mode = zw ? dotMode(heap) : 0;
    if (zw && mode) {
      // relaxed build: the 8-bit dot product on the im2col rows (assembly/affine-dot.ts)
      const pa = arena.alloc(wasm.affineDotBytesA(rows, kk)), pb = arena.alloc(wasm.affineDotBytesB(cout, kk));
      wasm.affineDotPackA(col, rows, kk, kk, mode === 2 ? 1 : 0, pa);
      wasm.affineDotPackB(arena.put(w as Int8Array | Uint8Array), kk, cout, 1, kk, 0, arena.put(zw), signed ? 1 : 0, pb);
      wasm.affineDotGemm(pa, pb, rows, cout, kk, xZero, po, cout, scratch);
      return heap.read(Int32Array, po, rows * cout, out);
    }
    const pa = arena.alloc(i16PanelBytes(rows, 4, kk));
    wasm.affinePackRows(col, rows, kk, xZero, 0, 4, pa, 0);
    if (zw) {
      const pw8 = arena.put(w as Int8Array | Uint8Array);
      const pb = arena.alloc(i16PanelBytes(cout, 8, kk));
      wasm.affinePackRows(pw8, cout, kk, 0, signed ? 1 : 0, 8, pb, arena.put(zw));
      wasm.affineGemm(pa, pb, rows, cout, kk, po, scratch);
    } else {
      // sub-byte weights: B panels stay 4 or 2 bits; the zero point goes through row sums of A
      const pw8 = putCodes(heap, arena, 'w', w as Uint8Array | PackedCodes, bits, cout, kk);
      const rowsum = arena.alloc(rows * 4);
      wasm.affineRowSums(col, rows, kk, xZero, rowsum);
      const pb = arena.alloc(Math.ceil(cout / 8) * (kp / 2) * (bits === 4 ? 8 : 4));
      wasm.affinePackBTLowBit(pw8, kk, cout, bits, pb);
      wasm.affineGemmLowBit(pa, pb, rows, cout, kk, bits, wZero as number, rowsum, po, scratch);
    }
    return heap.read(Int32Array, po, rows * cout, out);
  });
}
