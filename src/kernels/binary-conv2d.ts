import { checkArray, checkOut, LowbitError } from '../errors.js';
import { scoped, type Arena, type Heap } from '../memory.js';
import { convGeometry, type ConvOptions, type Padding } from './conv-shape.js';
import { putThreshold, type BinaryThreshold } from './threshold.js';
import { bandRows, PANEL_B } from './operand-sizes.js';

export interface BinaryConv2dOptions extends ConvOptions {
  /** default 'valid' */
  padding?: Padding;
  /** optional output array to fill (Int32Array for sums, Uint32Array for fused bits), exact length */
  out?: Int32Array | Uint32Array;
}

/**
 * Binary 2-D convolution (+-1 x +-1) on sign-packed NHWC input.
 * x: [batch][height][width] pixels of 2*ceil(channels/64) u32 words (packSignsNHWC's layout).
 * weights: [filters][kh][kw] pixels in the same layout.
 * Returns the int32 sums [batch][oh][ow][filters], or with `threshold` the packed output bits
 * [batch][oh][ow] pixels of 2*ceil(filters/64) u32 words, ready for the next binary layer.
 */
export function binaryConv2d(heap: Heap, x: Uint32Array, weights: Uint32Array, opts: BinaryConv2dOptions): Int32Array;
export function binaryConv2d(heap: Heap, x: Uint32Array, weights: Uint32Array, opts: BinaryConv2dOptions, threshold: BinaryThreshold): Uint32Array;
export function binaryConv2d(heap: Heap, x: Uint32Array, weights: Uint32Array, opts: BinaryConv2dOptions, threshold?: BinaryThreshold): Int32Array | Uint32Array {
  const padding = opts?.padding ?? 'valid';
  const { n, h, w, c, cout, kh, kw, sh, sw, oh, ow, padT, padL } = convGeometry('binaryConv2d', opts, padding);
  const cw = Math.ceil(c / 64); // u64 words per pixel
  const kbits = kh * kw * c;
  const pixels = n * h * w, outPixels = n * oh * ow;
  if (kbits > 2 ** 30 || pixels * cw > 2 ** 27 || outPixels * cout > 2 ** 28 || cout * kh * kw * cw > 2 ** 27) {
    throw new LowbitError('BAD_SHAPE', 'binaryConv2d shape is too large for one call; split the batch');
  }
  checkArray('x', x, Uint32Array, pixels * 2 * cw, `${n}x${h}x${w} pixels of 2*ceil(${c}/64) words`);
  checkArray('weights', weights, Uint32Array, cout * kh * kw * 2 * cw, `${cout}x${kh}x${kw} pixels of 2*ceil(${c}/64) words`);
  const words = 2 * Math.ceil(cout / 64); // u32 words per output pixel of packed bits
  const out = threshold
    ? checkOut(opts.out, Uint32Array, outPixels * words, `${n}x${oh}x${ow} pixels of ${words} words`)
    : checkOut(opts.out, Int32Array, outPixels * cout, `${n}x${oh}x${ow}x${cout} sums`);
  const wasm = heap.wasm;
  return scoped(heap, (arena) => {
    // input and weights with channel bits past C cleared
    const px = arena.put(x);
    wasm.copyBitRows(px, pixels, 2 * cw, c, px, 2 * cw);
    const taps = kh * kw;
    const kv = Math.ceil((taps * cw) / 2);
    const { staged, panels: pw } = putBinaryConvWeights(heap, arena, weights, cout, taps, c);
    let ones = 0, corr = 0;
    if (padding === 'same-one') {
      const onesWords = new Uint32Array(2 * cw);
      for (let i = 0; i < onesWords.length; i++) {
        const bits = Math.min(32, Math.max(0, c - 32 * i));
        onesWords[i] = bits === 32 ? 0xffffffff : (1 << bits) - 1;
      }
      ones = arena.put(onesWords);
    } else if (padding === 'same-zero') {
      corr = arena.alloc(taps * cout * 4);
      wasm.tapWeightSums(staged, cout, taps, cw, c, corr);
    }
    // an even band of output pixels, so bands start on a 2-row panel
    const chunk = bandRows(outPixels, kv);
    const col = arena.alloc(chunk * kv * 16);
    const scratch = arena.alloc(2 * PANEL_B * 4);
    if (!threshold) {
      const acc = arena.alloc(outPixels * cout * 4);
      wasm.xnorConv2d(px, n, h, w, cw, pw, cout, kh, kw, sh, sw, padT, padL, oh, ow, ones, corr, kbits, col, chunk, acc, 0, 0, 0, scratch);
      return heap.read(Int32Array, acc, outPixels * cout, out as Int32Array | undefined);
    }
    const [thr, flip] = putThreshold(arena, threshold, cout);
    const acc = arena.alloc(chunk * cout * 4);
    const bits = arena.alloc(outPixels * words * 4);
    wasm.xnorConv2d(px, n, h, w, cw, pw, cout, kh, kw, sh, sw, padT, padL, oh, ow, ones, corr, kbits, col, chunk, acc, thr, flip, bits, scratch);
    return heap.read(Uint32Array, bits, outPixels * words, out as Uint32Array | undefined);
  });
}

/**
 * Binary conv weights ([cout][taps] pixels of 2*ceil(c/64) u32 words) into wasm: `staged` holds
 * them with channel bits past c cleared (rows of taps * cw u64), `panels` the same as xnor B panels.
 */
export function putBinaryConvWeights(heap: Heap, arena: Arena, weights: Uint32Array, cout: number, taps: number, c: number): { staged: number; panels: number } {
  const cw = Math.ceil(c / 64);
  const kv = Math.ceil((taps * cw) / 2);
  const staged = arena.put(weights);
  heap.wasm.copyBitRows(staged, cout * taps, 2 * cw, c, staged, 2 * cw);
  const panels = arena.alloc(Math.ceil(cout / PANEL_B) * PANEL_B * kv * 16);
  heap.wasm.packBitPanels(staged, cout, taps * 2 * cw, taps * cw * 64, PANEL_B, panels);
  return { staged, panels };
}
