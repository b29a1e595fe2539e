import { checkArray, checkInt, checkOut, LowbitError } from '../errors.js';
import { scoped, type Heap } from '../memory.js';
import { convGeometry, zeroPadding, type ConvOptions } from './conv-shape.js';
import { putBinaryConvWeights } from './binary-conv2d.js';
import { bandRows } from './operand-sizes.js';
import { putCodes, type PackedCodes } from './codes.js';
import { lutPanelBytes, useLut } from './lut-gemm.js';

export interface BitserialConv2dOptions extends ConvOptions {
  /** 'valid' (default), or 'same': output ceil(H / stride), borders padded with code 0 */
  padding?: 'valid' | 'same';
  out?: Int32Array;
}

/**
 * Bit-serial convolution: unsigned `bits`-bit activation codes x (NHWC, one per byte or PackedCodes
 * rows of one pixel's channels) with +-1 weights in
 * binaryConv2d's layout ([filters][kh][kw] pixels of 2*ceil(c/64) u32 words).
 * out[b][oy][ox][f] = sum over the window of x * w (int32, NHWC); padding codes are 0.
 * 2..4-bit codes run as im2col rows through the lookup-table GEMM (assembly/lut.ts); otherwise the
 * `bits` planes run through the binary conv kernel as extra batch images with pad bits 0 and
 * no correction: a pad tap (every plane -1) then cancels against the weight-sum term exactly
 * (assembly/bitserial.ts).
 */
export function bitserialConv2d(heap: Heap, x: Uint8Array | PackedCodes, bits: number, weights: Uint32Array, opts: BitserialConv2dOptions): Int32Array {
  checkInt('bits', bits, 1, 8);
  const padding = opts?.padding ?? 'valid';
  const { n, h, w, c, cout, kh, kw, sh, sw, oh, ow, padT, padL } = convGeometry('bitserialConv2d', opts, zeroPadding(padding));
  const cw = Math.ceil(c / 64), taps = kh * kw;
  const pixels = n * h * w, outPixels = n * oh * ow;
  if (taps * c > 2 ** 30 || bits * pixels * cw > 2 ** 27 || bits * outPixels * cout > 2 ** 27) {
    throw new LowbitError('BAD_SHAPE', 'bitserialConv2d shape is too large for one call; split the batch');
  }
  checkArray('weights', weights, Uint32Array, cout * taps * 2 * cw, `${cout}x${kh}x${kw} pixels of 2*ceil(${c}/64) words`);
  const out = checkOut(opts.out, Int32Array, outPixels * cout, `${n}x${oh}x${ow}x${cout}`);
  const wasm = heap.wasm;
  return scoped(heap, (arena) => {
    const px8 = putCodes(heap, arena, 'x', x, bits, pixels, c); // NHWC: one row of c codes per pixel
    if (useLut(bits)) {
      // one image at a time: im2col rows of taps x c codes (pads are code 0), then the table GEMM
      const kk = taps * c, rows = oh * ow;
      const pw = arena.put(weights), panels = arena.alloc(lutPanelBytes(cout, kk));
      wasm.lutPackWeights(pw, cout, taps, c, 2 * cw, panels);
      const col = arena.alloc(rows * kk), po = arena.alloc(outPixels * cout * 4), scratch = arena.alloc(wasm.lutScratchBytes(kk));
      for (let b = 0; b < n; b++) {
        wasm.im2colBytes(px8 + b * h * w * c, 1, h, w, c, kh, kw, sh, sw, padT, padL, oh, ow, 0, col);
        wasm.lutGemm(col, kk, rows, kk, panels, cout, bits, po + b * rows * cout * 4, cout, scratch);
      }
      return heap.read(Int32Array, po, outPixels * cout, out);
    }
    const planes = arena.alloc(bits * pixels * cw * 8);
    wasm.packBitPlanesNHWC(px8, pixels, c, bits, planes);
    const { staged, panels } = putBinaryConvWeights(heap, arena, weights, cout, taps, c);
    const wsum = arena.alloc(cout * 4);
    wasm.signRowSums(staged, cout, taps * 2 * cw, taps * c, wsum);
    const kv = Math.ceil((taps * cw) / 2);
    const chunk = bandRows(bits * outPixels, kv);
    const col = arena.alloc(chunk * kv * 16);
    const scratch = arena.alloc(64);
    const xs = arena.alloc(bits * outPixels * cout * 4);
    // planes as bits * n images, pad bits 0 (ones = 0) and no zero-pad correction (corr = 0)
    wasm.xnorConv2d(planes, bits * n, h, w, cw, panels, cout, kh, kw, sh, sw, padT, padL, oh, ow, 0, 0, taps * c,
      col, chunk, xs, 0, 0, 0, scratch);
    const po = arena.alloc(outPixels * cout * 4);
    wasm.bitserialCombine(xs, outPixels, bits, cout, cout * 4, outPixels * cout * 4, wsum, po);
    return heap.read(Int32Array, po, outPixels * cout, out);
  });
}
