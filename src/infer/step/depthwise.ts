// A depthwise conv (one filter per channel) on u8 pixels / codes x int8 weights; sign bits are
// unpacked to bytes 0 / 2 with a zero point of 1 (+-1, padding a real 0). Kernel: assembly/int-graph.ts.
import { inputZero } from './affine.js';
import type { Accumulate, StepContext } from './context.js';

export function depthwise(g: StepContext): Accumulate {
  const { r, s, wasm, taps, oh, ow } = g, za = inputZero(g);
  const wt = new Int32Array(taps * s.c);
  for (let c = 0; c < s.c; c++) for (let t = 0; t < taps; t++) wt[t * s.c + c] = s.wInt8![c * taps + t] - (s.wZero?.[c] ?? 0); // load time
  const pw = r.put(wt);
  return (x, n) => {
    const src = s.input === 'bits' ? g.unpackSigns(x, n) : x, acc = g.acc(n * oh * ow * s.out * 4);
    wasm.depthwiseU8(src, n, s.h, s.w, s.c, s.k, s.k, g.st, g.st, g.padT, g.padL, oh, ow, pw, za, acc);
    return acc;
  };
}
