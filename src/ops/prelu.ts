import { LowbitError } from '../errors.js';
import type { Heap } from '../memory.js';
import { freeParams, param, Slot, type Layer, type Param } from './layer.js';

/** PReLU with a learnable slope per channel (last axis): y = x for x >= 0, a[c] x below. */
export class PReLU implements Layer {
  readonly name = 'prelu';
  readonly op = 'prelu';
  private heap!: Heap; private c = 0; private n = 0; private x = 0;
  private a!: Param; private y!: Slot; private dx!: Slot;
  constructor(readonly init = 0.25) {
    if (!Number.isFinite(init)) throw new LowbitError('BAD_ARGUMENT', `prelu init must be a finite slope, got ${String(init)}`);
  }
  config(): Record<string, unknown> { return { init: this.init }; }
  build(heap: Heap, inShape: number[]): number[] {
    this.heap = heap; this.c = inShape[inShape.length - 1]; this.n = inShape.reduce((a, v) => a * v, 1);
    this.a = param(heap, 'prelu.a', new Float32Array(this.c).fill(this.init));
    this.y = new Slot(heap); this.dx = new Slot(heap);
    return inShape;
  }
  forward(x: number, batch: number): number {
    this.x = x;
    const y = this.y.get(batch * this.n * 4);
    this.heap.wasm.preluForward(x, y, (batch * this.n) / this.c, this.c, this.a.w);
    return y;
  }
  backward(dy: number, batch: number): number {
    const dx = this.dx.get(batch * this.n * 4);
    this.heap.wasm.preluBackward(this.x, dy, dx, (batch * this.n) / this.c, this.c, this.a.w, this.a.g);
    return dx;
  }
  params(): Param[] { return [this.a]; }
  /** the slopes, for compiling */
  slopes(): Float32Array { return this.heap.read(Float32Array, this.a.w, this.c); }
  dispose(): void { freeParams(this.heap, [this.a]); this.y.free(); this.dx.free(); }
}
