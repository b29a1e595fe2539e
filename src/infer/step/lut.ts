// +-1 weights x 1..4-bit codes on the lookup-table GEMM (assembly/lut.ts), on im2col rows for a conv
// (pads are code 0, a real 0 for codes without a zero point). Ternary dense weights (-1, 0, +1) run
// as two binary halves w = (b1 + b2) / 2: twice the columns, then pairSumHalf.
import { lutPanelBytes } from '../../kernels/lut-gemm.js';
import type { PlanStep } from '../plan.js';
import type { Accumulate, StepContext } from './context.js';

/** Whether the step runs here: unsigned codes without zero points, binary weights (or ternary dense ones). */
export const lutApplies = (s: PlanStep) =>
  s.input === 'codes' && !s.inZero && !s.wZero && s.inBits <= 4 && (s.weights === 'binary' || (s.kind === 'dense' && s.wInt8!.every((v) => v * v < 2)));

export function lut(g: StepContext): Accumulate {
  const { r, s, wasm, kk, oh, ow } = g;
  const ternary = s.weights === 'int8', outs = ternary ? 2 * s.out : s.out, bytes = lutPanelBytes(outs, kk);
  let panels: number;
  if (ternary) {
    // b1 = +1 where w >= 0, then b2 = +1 where w > 0: 2 x out rows of signs, packed to bits
    const q = s.wInt8!, n = q.length, signs = new Float32Array(2 * n), wpr = Math.ceil(s.c / 32);
    for (let i = 0; i < n; i++) { signs[i] = q[i]; signs[n + i] = q[i] - 0.5; } // load time
    const ps = r.put(signs), staged = r.fill(outs * wpr * 4, (p) => wasm.packSignsRows(ps, outs, s.c, p, wpr));
    panels = r.fill(bytes, (p) => wasm.lutPackWeights(staged, outs, 1, s.c, wpr, p));
  } else {
    const wb = r.put(s.wBinary!);
    panels = r.fill(bytes, (p) => wasm.lutPackWeights(wb, outs, g.taps, s.c, 2 * Math.ceil(s.c / 64), p));
  }
  const tables = r.slot('lut'), tableBytes = wasm.lutScratchBytes(kk);
  return (x, n) => {
    const rows = n * oh * ow;
    let col = x;
    if (g.conv) { col = g.col(rows * kk); wasm.im2colBytes(x, n, s.h, s.w, s.c, s.k, s.k, g.st, g.st, g.padT, g.padL, oh, ow, 0, col); }
    const acc = g.acc(rows * outs * 4);
    wasm.lutGemm(col, kk, rows, kk, panels, outs, s.inBits, acc, outs, tables(tableBytes));
    if (ternary) wasm.pairSumHalf(acc, n, s.out, acc); // in place: output row i lies before input row i
    return acc;
  };
}
