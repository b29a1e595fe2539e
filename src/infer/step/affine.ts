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
  return (x, n) => {
    const rows = n * oh * ow;
    let col = s.input === 'bits' ? g.unpackSigns(x, n) : x;
    if (g.conv) { const src = col; col = g.col(rows * kk); wasm.im2colBytes(src, n, s.h, s.w, s.c, s.k, s.k, g.st, g.st, g.padT, g.padL, oh, ow, za, col); }
    const acc = g.acc(rows * s.out * 4);
    if (mode) {
      const pa = g.pack(wasm.affineDotBytesA(rows, kk));
      wasm.affineDotPackA(col, rows, kk, kk, mode === 2 ? 1 : 0, pa);
      wasm.affineDotGemm(pa, pb, rows, s.out, kk, za, acc, s.out, g.scratch);
      return acc;
    }
    const pa = g.pack(i16PanelBytes(rows, 4, kk));
    wasm.affinePackRows(col, rows, kk, za, 0, 4, pa, 0);
    wasm.affineGemm(pa, pb, rows, s.out, kk, acc, g.scratch);
    return acc;
  };
}
