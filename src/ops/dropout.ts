import { LowbitError } from '../errors.js';
import type { Heap } from '../memory.js';
import { Slot, type Layer, type Param, type StateBuffer } from './layer.js';
import type { IntVal, Lowering, LowerNode } from '../infer/lowering.js';

/**
 * Inverted dropout (training only; the identity at inference): each element is zeroed with
 * probability `rate` and the rest scaled by 1 / (1 - rate). The mask is a hash of the layer's seed
 * and a call counter kept as state, so a resumed run draws the same masks.
 */
export class Dropout implements Layer {
  readonly name: string;
  readonly op = 'dropout';
  private heap!: Heap; private n = 0; private seed = 0; private training = false;
  private readonly calls = new Float32Array(1);
  private y!: Slot; private mask!: Slot; private dx!: Slot;
  constructor(readonly rate: number) {
    if (!(typeof rate === 'number' && rate >= 0 && rate < 1)) throw new LowbitError('BAD_ARGUMENT', `dropout rate must be in [0, 1), got ${String(rate)}`);
    this.name = `dropout(${rate})`;
  }
  config(): Record<string, unknown> { return { rate: this.rate }; }
  build(heap: Heap, inShape: number[], seed: number): number[] {
    this.heap = heap; this.n = inShape.reduce((a, b) => a * b, 1); this.seed = seed >>> 0;
    this.y = new Slot(heap); this.mask = new Slot(heap); this.dx = new Slot(heap);
    return inShape;
  }
  forward(x: number, batch: number, training: boolean): number {
    this.training = training && this.rate > 0;
    if (!this.training) return x;
    const n = batch * this.n, y = this.y.get(n * 4), m = this.mask.get(n * 4);
    this.heap.wasm.dropoutForward(x, y, m, n, this.rate, (Math.imul(this.seed, 0x27d4eb2d) + this.calls[0]++) >>> 0);
    return y;
  }
  backward(dy: number, batch: number): number {
    if (!this.training) return dy;
    const n = batch * this.n, dx = this.dx.get(n * 4);
    this.heap.wasm.mulF32(dy, this.mask.get(0), dx, n);
    return dx;
  }
  params(): Param[] { return []; }
  buffers(): StateBuffer[] { return [{ name: 'dropout.calls', data: this.calls }]; }
  dispose(): void { this.y.free(); this.mask.free(); this.dx.free(); }
  /** the identity at inference */
  lower(ctx: Lowering, n: LowerNode): IntVal { return ctx.passThrough(n); }
}
