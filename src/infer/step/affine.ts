// The 8-bit affine GEMM on u8 pixels / codes (or sign bits unpacked to bytes 0 / 2 with a zero point
// of 1, so it multiplies the +-1 they stand for; 'same' pads with byte 1, a real 0) x int8 weights,
// after im2col for a conv. The relaxed build runs its 8-bit dot product (src/kernels/affine-dot.ts).
import { i16PanelBytes } from '../../kernels/operand-sizes.js';
import { dotMode } from '../../kernels/affine-dot.js';
import type { Accumulate, StepContext } from './context.js';

/** The step's int8 weights in wasm ([out][k][k][c]; binary weights become +-1) and its weight zero points (int16, 8-padded). */
export function int8Weights(g: StepContext): { w: number; zw: number } {
  const { r, s, wasm } = g;
  let w: number;
  if (s.wInt8) w = r.put(s.wInt8);
  else { const wb = r.put(s.wBinary!); w = r.fill(s.out * g.kk, (p) => wasm.unpackSignsI8(wb, s.out * g.taps, 2 * Math.ceil(s.c / 64), s.c, p)); }
  const zs = new Int16Array(Math.ceil(s.out / 8) * 8);
  if (s.wZero) zs.set(s.wZero);
  return { w, zw: r.put(zs) };
}

/** The input's zero point: 1 for unpacked sign bits, else the codes' own (0 for pixels). */
export const inputZero = (g: StepContext) => (g.s.input === 'bits' ? 1 : g.s.inZero ?? 0);

export function affine(g: StepContext): Accumulate {
  const { r, s, wasm, kk, oh, ow } = g, { w, zw } = int8Weights(g), za = inputZero(g), mode = dotMode(r.heap);
  const pb = mode
    ? r.fill(wasm.affineDotBytesB(s.out, kk), (p) => wasm.affineDotPackB(w, kk, s.out, 1, kk, 0, zw, 1, p))
    : r.fill(i16PanelBytes(s.out, 8, kk), (p) => wasm.affinePackRows(w, s.out, kk, 0, 1, 8, p, zw));
  // im2col, packing and the GEMM band by band in wasm: the bands stay in cache, the scratch small
  // (a dense layer is a 1 x 1 conv on a 1 x 1 image: its rows are copied once)
  return (x, n) => {
    const acc = g.acc(n * oh * ow * s.out * 4), band = wasm.affineConvBandRows(n, oh, ow, kk);
    wasm.affineConvBands(s.input === 'bits' ? g.unpackSigns(x, n) : x, n, s.h, s.w, s.c, s.k, g.st, g.padT, g.padL, oh, ow, za, mode, pb, s.out,
      g.col(band * kk), g.pack(mode ? wasm.affineDotBytesA(band, kk) : i16PanelBytes(band, 4, kk)), acc, g.scratch);
    return acc;
  };
}
