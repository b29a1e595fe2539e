import type { Heap } from '../memory.js';
import { freeParams, param, Slot, type Layer, type Param } from './layer.js';
import type { IntVal, Lowering, LowerNode } from '../infer/lowering.js';
import { LowbitError } from '../errors.js';

/**
 * A learnable per-channel shift over the last axis, y = x + b[c] (ReActNet's learnable bias):
 * before sign it is RSign, sign(x - threshold[c]); around a PReLU it makes RPReLU.
 */
export class Shift implements Layer {
  readonly name = 'shift';
  readonly op = 'shift';
  private heap!: Heap; private c = 0; private n = 0;
  private b!: Param; private y!: Slot;
  config(): Record<string, unknown> { return {}; }
  build(heap: Heap, inShape: number[]): number[] {
    this.heap = heap; this.c = inShape[inShape.length - 1]; this.n = inShape.reduce((a, v) => a * v, 1);
    this.b = param(heap, 'shift.b', new Float32Array(this.c));
    this.y = new Slot(heap);
    return inShape;
  }
  forward(x: number, batch: number): number {
    const bytes = batch * this.n * 4, y = this.y.get(bytes);
    this.heap.u8().copyWithin(y, x, x + bytes);
    this.heap.wasm.addBias(y, (batch * this.n) / this.c, this.c, this.b.w);
    return y;
  }
  backward(dy: number, batch: number): number {
    this.heap.wasm.columnSums(dy, (batch * this.n) / this.c, this.c, this.b.g);
    return dy;
  }
  params(): Param[] { return [this.b]; }
  /** the shifts, for compiling */
  values(): Float32Array { return this.heap.read(Float32Array, this.b.w, this.c); }
  dispose(): void { freeParams(this.heap, [this.b]); this.y.free(); }
  /** added to the sums' bias, or a per-channel affine view of a stream */
  lower(ctx: Lowering, n: LowerNode): IntVal {
    const b = this.values(), x = ctx.forChannelOp(n.inputs[0], n.name);
    if (x.kind === 'pending' || x.kind === 'affine') return { ...x, B: x.B.map((v, c) => v + b[c]) };
    if (x.kind === 'stream') return { kind: 'affine', src: x, A: new Float64Array(b.length).fill(x.scale), B: Float64Array.from(b) };
    throw new LowbitError('CANNOT_COMPILE', `${n.name}: a shift on ${x.kind} has no integer form; put it after a weight layer, batch norm or on a residual stream`);
  }
}
