// A +-1 x +-1 conv on packed bits, in row bands (padding with a real 0 through the per-tap
// correction); with sign-bit output the thresholds run inside the band loop and the sums never
// leave the cache (assembly/xnorconv.ts).
import { bandRows, bitPanelBytes, PANEL_B } from '../../kernels/operand-sizes.js';
import { flipMasks } from '../../kernels/threshold.js';
import type { Accumulate, StepContext } from './context.js';

export function xnorConv(g: StepContext): Accumulate {
  const { r, s, wasm, taps, kk, oh, ow } = g, cw = Math.ceil(s.c / 64), kv = Math.ceil((taps * cw) / 2);
  const staged = r.put(s.wBinary!, (p) => wasm.copyBitRows(p, s.out * taps, 2 * cw, s.c, p, 2 * cw));
  const pw = r.fill(bitPanelBytes(s.out, PANEL_B, taps * cw * 64), (p) => wasm.packBitPanels(staged, s.out, taps * 2 * cw, taps * cw * 64, PANEL_B, p));
  const corr = s.padding === 'same' ? r.fill(taps * s.out * 4, (p) => wasm.tapWeightSums(staged, s.out, taps, cw, s.c, p)) : 0;
  const fused = s.output === 'bits', words = 2 * Math.ceil(s.out / 64);
  const thr = fused ? r.put(s.thresholds!) : 0, flip = fused ? r.put(flipMasks(s.flip, s.out)) : 0;
  return Object.assign((x: number, n: number) => {
    const pixels = n * oh * ow, chunk = bandRows(pixels, kv), col = g.col(chunk * kv * 16);
    if (!fused) {
      const acc = g.acc(pixels * s.out * 4);
      wasm.xnorConv2d(x, n, s.h, s.w, cw, pw, s.out, s.k, s.k, 1, 1, g.padT, g.padL, oh, ow, 0, corr, kk, col, chunk, acc, 0, 0, 0, g.scratch);
      return acc;
    }
    const acc = g.acc(chunk * s.out * 4), bits = g.bits(pixels * words * 4);
    wasm.xnorConv2d(x, n, s.h, s.w, cw, pw, s.out, s.k, s.k, 1, 1, g.padT, g.padL, oh, ow, 0, corr, kk, col, chunk, acc, thr, flip, bits, g.scratch);
    return bits;
  }, { fusedBits: fused });
}
