import type { Heap } from '../memory.js';
import { freeParams, param, Slot, type Layer, type Param } from './layer.js';

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
}
