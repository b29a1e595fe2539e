// A +-1 x +-1 dense layer: the xnor GEMM on bit panels (assembly/xnor.ts).
import { bitPanelBytes, PANEL_A, PANEL_B } from '../../kernels/operand-sizes.js';
import type { Accumulate, StepContext } from './context.js';

export function xnorDense(g: StepContext): Accumulate {
  const { r, s, wasm } = g, wpr = Math.ceil(s.c / 32), from = 2 * Math.ceil(s.c / 64), inWords = g.inPixels * g.wordsPerPixel;
  // the file keeps 2 ceil(c / 64) words per row; the panels read ceil(c / 32)
  const rows = new Uint32Array(s.out * wpr);
  for (let o = 0; o < s.out; o++) rows.set(s.wBinary!.subarray(o * from, o * from + wpr), o * wpr); // load time
  const staged = r.put(rows), pb = r.fill(bitPanelBytes(s.out, PANEL_B, s.c), (p) => wasm.packBitPanels(staged, s.out, wpr, s.c, PANEL_B, p));
  return (x, n) => {
    const pa = g.pack(bitPanelBytes(n, PANEL_A, s.c));
    wasm.packBitPanels(x, n, inWords, s.c, PANEL_A, pa);
    const acc = g.acc(n * s.out * 4);
    wasm.xnorGemm(pa, pb, n, s.out, Math.ceil(s.c / 64), s.c, acc, s.out, g.scratch);
    return acc;
  };
}
