// What one integer node kind of a graph plan is, in one file per kind (./registry.ts lists them):
// how the model file stores it, how it checks against the values it reads, and how it runs.
import type { Resident } from '../resident.js';
import type { ValueKind } from '../plan.js';

export type DType = 'u32' | 'i8' | 'i32' | 'u8' | 'f32' | 'f64';

/** What a plan value holds: its per-image shape, kind and bits (codes / pixels width). */
export interface ValueInfo { shape: [number, number, number]; kind: ValueKind; bits: number }

/** A growable per-run buffer: a pointer to at least `bytes` bytes (valid until the next call). */
export type RunBuffer = (bytes: number) => number;

/** Runs a node on its input pointers for `n` images; returns where its output is. */
export type NodeRunner = (xs: number[], n: number) => number;

/** Fails the file's validation with `message` unless `cond` holds. */
export type Need = (cond: boolean, message: string) => void;

export interface NodeOp<N> {
  /** the tensors a file stores for this node, by name */
  tensors?: Record<string, DType>;
  /** the node's fields from the file header (`r`) and its tensors (`t`), typed and in range */
  parse(r: Record<string, unknown>, inputs: number[], t: Record<string, unknown>, at: string): N;
  /** the node against the values it reads (shapes, kinds, tensor sizes): what it outputs */
  check(n: N, ins: ValueInfo[], need: Need): ValueInfo;
  /** its runner, writing its output (`y`, as check gave it) into `out` */
  run(r: Resident, n: N, ins: ValueInfo[], out: RunBuffer, y: ValueInfo): NodeRunner;
}

/** An int32 stream value of shape [h, w, c]. */
export const stream = (h: number, w: number, c: number): ValueInfo => ({ shape: [h, w, c], kind: 'stream', bits: 32 });

/** A per-channel op on one stream (mult[c], shift in [0, 62]): checks it, returns the stream it outputs. */
export function perChannel(n: { mult: Int32Array; shift: number }, [x]: ValueInfo[], need: Need): ValueInfo {
  const [h, w, c] = x.shape;
  need(x.kind === 'stream', 'reads one stream');
  need(Number.isInteger(n.shift) && n.shift >= 0 && n.shift <= 62 && n.mult.length === c, `mult must hold ${c} values and shift be in [0, 62]`);
  return stream(h, w, c);
}
