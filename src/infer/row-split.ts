// Splitting one image's kernels across threads that share a wasm memory: the kernels whose output
// rows are independent and cost enough per row (the GEMMs over packed A rows, multi-level
// thresholds) run with their rows cut into one part per thread. Each entry says where a kernel's
// arguments hold the row count, which arguments point at row-major data and how many bytes a row
// takes there, and which argument is per-call scratch (every thread needs its own). Nothing here changes a result: every
// row is computed by the same code with the same operands, only on another thread.
import type { WasmExports } from '../wasm-abi.js';

type Args = number[];
export interface RowSplit {
  /** index of the row count */
  rows: number;
  /** parts start at multiples of this (packed A panels) */
  align: number;
  /** [argument index, bytes per row] of every row-major pointer */
  ptrs: [number, (a: Args, w: WasmExports) => number][];
  /** [argument index, bytes] of per-call scratch */
  scratch?: [number, (a: Args, w: WasmExports) => number];
  /** estimated nanoseconds of the whole call on one thread here (splitting needs several microseconds to pay) */
  ns: (a: Args) => number;
}

// Costs fitted to this repo's machine (`node bench/engine-profile.mjs MODEL` on the shipped models):
// they only decide whether a call is worth splitting, never what it computes.
export const ROW_SPLITS: Record<string, RowSplit> = {
  // lutGemm(a, lda, m, k, w, n, bits, out, ldo, scratch): A rows of lda bytes, out rows of ldo int32
  lutGemm: { rows: 2, align: 1, ptrs: [[0, (a) => a[1]], [7, (a) => a[8] * 4]], scratch: [9, (a, w) => w.lutScratchBytes(a[3])], ns: (a) => (a[2] * a[3] * a[5] * a[6]) / 320 },
  // xnorGemm(a, b, m, n, words, kbits, out, ldo, scratch): A panels of 2 rows x ceil(words / 2) x 32 bytes
  xnorGemm: { rows: 2, align: 2, ptrs: [[0, (a) => ((a[4] + 1) >> 1) * 16], [6, (a) => a[7] * 4]], scratch: [8, () => 128], ns: (a) => (a[2] * a[3] * a[5]) / 150 },
  // affineGemm(a, b, m, n, k, out, scratch): A panels of 4 rows x (k rounded up to even) i16, out rows of n int32
  affineGemm: { rows: 2, align: 4, ptrs: [[0, (a) => ((a[4] + 1) & ~1) * 2], [5, (a) => a[3] * 4]], scratch: [6, () => 128], ns: (a) => (a[2] * a[3] * a[4]) / 15 },
  // multiThresholdSigned(acc, rows, c, thr, levels, sign, out): int32 rows in, u8 code rows out
  multiThresholdSigned: { rows: 1, align: 1, ptrs: [[0, (a) => a[2] * 4], [6, (a) => a[2]]], ns: (a) => a[1] * a[2] * a[4] * 0.07 },
  // (thresholdPack and streamFromAcc are left out: their rows cost less than moving them between
  // cores, measured 2-3x and 1.2x slower split)
};

/** A call worth splitting takes at least this long on one thread (a hand-off costs 1-6 us). */
export const SPLIT_MIN_NS = 20_000;

/**
 * The row ranges of `parts` parts of `rows` rows (starts aligned), for the part count that keeps
 * every part at `align` rows or more.
 */
export function rowParts(rows: number, parts: number, align: number): [number, number][] {
  const units = Math.ceil(rows / align), p = Math.max(1, Math.min(parts, units)), out: [number, number][] = [];
  for (let i = 0; i < p; i++) out.push([Math.floor((i * units) / p) * align, i === p - 1 ? rows : Math.floor(((i + 1) * units) / p) * align]);
  return out;
}

/** The arguments of the part [from, to) of a call: row count and row pointers moved, scratch replaced. */
export function partArgs(spec: RowSplit, args: Args, from: number, to: number, scratch: number, w: WasmExports): Args {
  const out = args.slice();
  out[spec.rows] = to - from;
  for (const [i, bytes] of spec.ptrs) out[i] = args[i] + from * bytes(args, w);
  if (spec.scratch) out[spec.scratch[0]] = scratch;
  return out;
}
