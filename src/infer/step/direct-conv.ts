// A conv of few taps (k^2 c <= 64: a first layer on pixels) on u8 pixels / codes x int8 weights,
// straight from the image: no im2col, no packing of the input (assembly/conv-pixels.ts).
import { int8Weights, inputZero } from './affine.js';
import type { Accumulate, StepContext } from './context.js';

export function directConv(g: StepContext): Accumulate {
  const { r, s, wasm, kk, oh, ow } = g, { w, zw } = int8Weights(g), za = inputZero(g);
  const pc = r.fill(wasm.convPixelsBytes(s.out, kk), (p) => wasm.convPixelsPack(w, s.out, kk, zw, p));
  return (x, n) => {
    const acc = g.acc(n * oh * ow * s.out * 4);
    wasm.convPixels(x, n, s.h, s.w, s.c, s.k, s.k, g.st, g.st, g.padT, g.padL, oh, ow, za, pc, s.out, acc, g.scratch);
    return acc;
  };
}
