import { LowbitError } from '../errors.js';
import type { Heap } from '../memory.js';
import { freeParams, param, Slot, type Layer, type Param } from './layer.js';
import type { IntVal, Lowering, LowerNode } from '../infer/lowering.js';

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
  /** a stream op: q for q >= 0, else (q mult[c]) >> T with mult = a[c] 2^T */
  lower(ctx: Lowering, n: LowerNode): IntVal {
    const x = ctx.asStream(n.inputs[0], n.name), a = this.slopes();
    const top = Math.max(...Array.from(a, Math.abs), 1e-30), T = Math.max(0, Math.min(31, Math.floor(Math.log2((2 ** 31 - 1) / top))));
    if ((x.bound * top) / x.scale >= 2 ** 31) throw new LowbitError('CANNOT_COMPILE', `${n.name}: slopes up to ${top.toFixed(3)} can take the stream past 32 bits`);
    const at = ctx.emit({ op: 'prelu', inputs: [x.at], mult: Int32Array.from(a, (s) => Math.round(s * 2 ** T)), shift: T });
    return { kind: 'stream', at, shape: [...x.shape], scale: x.scale, bound: x.bound * Math.max(1, top) };
  }
}
