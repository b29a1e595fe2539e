// What every part of a weight step's runner reads: the step, its conv geometry, and the per-run
// buffers. Scratch buffers are shared by all steps (one per role); only `out` holds the result.
import { samePadBefore } from '../../kernels/conv-shape.js';
import { stepConvSize, type PlanStep } from '../plan.js';
import type { Resident } from '../resident.js';
import type { RunBuffer } from '../nodes/node-op.js';

/** Int32 sums [rows][out] of the step for `n` images at x, or its packed output bits when `fusedBits`. */
export type Accumulate = ((x: number, n: number) => number) & { fusedBits?: boolean };

export class StepContext {
  readonly wasm;
  readonly conv: boolean;
  /** stride, output size and top / left padding of the conv (1 x 1 for dense) */
  readonly st: number; readonly oh: number; readonly ow: number; readonly padT: number; readonly padL: number;
  /** taps k^2, and the reduction length k^2 c */
  readonly taps: number; readonly kk: number;
  /** input pixels per image, and u32 words per pixel of a sign-bit input */
  readonly inPixels: number; readonly wordsPerPixel: number;
  /** kernel scratch: 128 bytes, 512 for the direct conv */
  readonly scratch: number;
  readonly acc: RunBuffer; readonly col: RunBuffer; readonly pack: RunBuffer; readonly u8: RunBuffer;
  /** where sign bits go before pooling (scratch), or the output when there is no pooling */
  readonly bits: RunBuffer;

  /** `out`: the buffer of the step's output value */
  constructor(readonly r: Resident, readonly s: PlanStep, readonly inShape: readonly [number, number, number], readonly out: RunBuffer) {
    this.wasm = r.heap.wasm;
    this.conv = s.kind === 'conv';
    this.st = s.stride ?? 1;
    [this.oh, this.ow] = stepConvSize(s);
    // 'same' pads as the kernel API's conv does (dense: k = h = w = 1, none)
    const same = s.padding === 'same';
    this.padT = same ? samePadBefore(this.oh, this.st, s.k, s.h) : 0; this.padL = same ? samePadBefore(this.ow, this.st, s.k, s.w) : 0;
    this.taps = s.k * s.k; this.kk = this.taps * s.c;
    this.inPixels = inShape[0] * inShape[1]; this.wordsPerPixel = 2 * Math.ceil(inShape[2] / 64);
    this.scratch = r.scratch(512);
    this.acc = r.slot('acc'); this.col = r.slot('col'); this.pack = r.slot('pack'); this.u8 = r.slot('u8');
    this.bits = s.pool ? r.slot('bits') : out;
  }

  /** Sign bits of `n` images at x unpacked to bytes 0 / 2 (for a zero point of 1: the +-1 they stand for). */
  unpackSigns(x: number, n: number): number {
    const [, , c] = this.inShape, y = this.u8(n * this.inPixels * c);
    this.wasm.unpackBitsU8(x, n * this.inPixels, this.wordsPerPixel, c, 2, y);
    return y;
  }
}
