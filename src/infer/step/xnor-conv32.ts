// A +-1 x +-1 conv on at most 32 channels: im2col of one u32 per tap (dense rows), the xnor GEMM,
// then the zero-padding correction (assembly/xnorconv32.ts).
import { bitPanelBytes, PANEL_A, PANEL_B } from '../../kernels/operand-sizes.js';
import type { Accumulate, StepContext } from './context.js';

export function xnorConv32(g: StepContext): Accumulate {
  const { r, s, wasm, taps, oh, ow } = g, cw = Math.ceil(s.c / 64), kb = taps * 32;
  const staged = r.put(s.wBinary!, (p) => wasm.copyBitRows(p, s.out * taps, 2 * cw, s.c, p, 2 * cw));
  const corr = r.fill(taps * s.out * 4, (p) => wasm.tapWeightSums(staged, s.out, taps, cw, s.c, p));
  const rowsW = new Uint32Array(s.out * taps);
  for (let i = 0; i < s.out * taps; i++) rowsW[i] = s.wBinary![i * 2 * cw] & (s.c === 32 ? 0xffffffff : (1 << s.c) - 1); // load time
  const pw = r.put(rowsW), pb = r.fill(bitPanelBytes(s.out, PANEL_B, kb), (p) => wasm.packBitPanels(pw, s.out, taps, kb, PANEL_B, p));
  return (x, n) => {
    const rows = n * oh * ow, col = g.col(rows * taps * 4);
    wasm.im2colBits32(x, n, s.h, s.w, 2 * cw, s.k, s.k, g.padT, g.padL, oh, ow, col);
    const pa = g.pack(bitPanelBytes(rows, PANEL_A, kb));
    wasm.packBitPanels(col, rows, taps, kb, PANEL_A, pa);
    const acc = g.acc(rows * s.out * 4);
    wasm.xnorGemm(pa, pb, rows, s.out, Math.ceil(kb / 64), kb, acc, s.out, g.scratch);
    wasm.padCorrection32(acc, n, s.h, s.w, s.k, s.k, g.padT, g.padL, oh, ow, corr, s.out, -taps * (32 - s.c));
    return acc;
  };
}
