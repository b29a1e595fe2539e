// Byte sizes of the GEMM kernels' packed operands (layouts made by assembly/bitpack.ts and
// assembly/affine.ts), shared by lb.kernels (src/kernels/) and the Engine's runners
// (src/infer/step/), so both pack for the same kernels the same way.

/** Rows interleaved per panel in the xnor kernels' operands (assembly/xnor.ts). */
export const PANEL_A = 2, PANEL_B = 6;

/** Bit panels (packBitPanels) of `rows` rows of k bits, r rows a panel, in 128-bit steps. */
export const bitPanelBytes = (rows: number, r: number, k: number): number => Math.ceil(rows / r) * r * Math.ceil(k / 128) * 16;

/** i16 panels (affinePackA / affinePackB / affinePackRows) of `rows` rows of k values, r rows a panel, k padded to even. */
export const i16PanelBytes = (rows: number, r: number, k: number): number => Math.ceil(rows / r) * r * (k + (k & 1)) * 2;

/** Output rows per band of a banded binary conv: whole A panels whose packed rows (kv 16-byte steps each) fit in 64 KB. */
export const bandRows = (rows: number, kv: number): number => Math.max(PANEL_A, Math.floor(Math.min(rows + 1, (64 * 1024) / (kv * 16)) / PANEL_A) * PANEL_A);
