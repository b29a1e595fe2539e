import { LowbitError } from '../errors.js';
import type { Heap } from '../memory.js';
import { Slot, type MergeLayer, type Param } from './layer.js';
import type { IntVal, Lowering, LowerNode } from '../infer/lowering.js';

/** Elementwise sum of two or more inputs of one shape (a residual connection); dx_i = dy. */
export class Add implements MergeLayer {
  readonly name = 'add';
  readonly op = 'add';
  readonly merge = true as const;
  private heap!: Heap; private n = 0; private inputs = 0;
  private y!: Slot;
  config(): Record<string, unknown> { return {}; }
  build(heap: Heap, inShapes: number[][]): number[] {
    if (inShapes.length < 2) throw new LowbitError('BAD_SHAPE', `add needs at least two inputs, got ${inShapes.length}`);
    const s0 = inShapes[0].join(', ');
    for (const s of inShapes) if (s.join(', ') !== s0) throw new LowbitError('BAD_SHAPE', `add needs inputs of one shape, got ${inShapes.map((s) => `[${s.join(', ')}]`).join(' and ')}`);
    this.heap = heap; this.n = inShapes[0].reduce((a, b) => a * b, 1); this.inputs = inShapes.length;
    this.y = new Slot(heap);
    return inShapes[0];
  }
  forward(xs: number[], batch: number): number {
    const n = batch * this.n, y = this.y.get(n * 4);
    this.heap.wasm.addF32(xs[0], xs[1], y, n);
    for (let i = 2; i < xs.length; i++) this.heap.wasm.addF32(y, xs[i], y, n);
    return y;
  }
  backward(dy: number): number[] { return Array.from({ length: this.inputs }, () => dy); }
  params(): Param[] { return []; }
  dispose(): void { this.y.free(); }
  /** the integer sum of its streams, rescaled by powers of two to one scale */
  lower(ctx: Lowering, n: LowerNode): IntVal { return ctx.addStreams(n.inputs.map((v) => ctx.asStream(v, n.name)), n.name); }
}
