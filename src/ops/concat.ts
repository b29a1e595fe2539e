import { LowbitError } from '../errors.js';
import type { Heap } from '../memory.js';
import { Slot, type MergeLayer, type Param } from './layer.js';
import type { IntVal, Lowering, LowerNode } from '../infer/lowering.js';

/** Concatenation along the channel (last) axis; the other dimensions must agree. */
export class Concat implements MergeLayer {
  readonly name = 'concat';
  readonly op = 'concat';
  readonly merge = true as const;
  private heap!: Heap; private rows = 0; private widths: number[] = []; private total = 0;
  private y!: Slot; private readonly dx: Slot[] = [];
  config(): Record<string, unknown> { return {}; }
  build(heap: Heap, inShapes: number[][]): number[] {
    if (inShapes.length < 2) throw new LowbitError('BAD_SHAPE', `concat needs at least two inputs, got ${inShapes.length}`);
    const lead = (s: number[]) => s.slice(0, -1).join(', ');
    for (const s of inShapes) {
      if (s.length !== inShapes[0].length || lead(s) !== lead(inShapes[0])) throw new LowbitError('BAD_SHAPE', `concat joins the last axis; the others must agree, got ${inShapes.map((x) => `[${x.join(', ')}]`).join(' and ')}`);
    }
    this.heap = heap;
    this.rows = inShapes[0].slice(0, -1).reduce((a, b) => a * b, 1);
    this.widths = inShapes.map((s) => s[s.length - 1]);
    this.total = this.widths.reduce((a, b) => a + b, 0);
    this.y = new Slot(heap);
    for (let i = 0; i < inShapes.length; i++) this.dx.push(new Slot(heap));
    return [...inShapes[0].slice(0, -1), this.total];
  }
  forward(xs: number[], batch: number): number {
    const rows = batch * this.rows, y = this.y.get(rows * this.total * 4);
    let off = 0;
    xs.forEach((x, i) => { this.heap.wasm.copyChannels(x, rows, this.widths[i], y, this.total, off); off += this.widths[i]; });
    return y;
  }
  backward(dy: number, batch: number): number[] {
    const rows = batch * this.rows;
    let off = 0;
    return this.widths.map((w, i) => {
      const dx = this.dx[i].get(rows * w * 4);
      this.heap.wasm.sliceChannels(dy, rows, this.total, off, w, dx);
      off += w;
      return dx;
    });
  }
  params(): Param[] { return []; }
  dispose(): void { this.y.free(); for (const s of this.dx) s.free(); }
  /** streams of one scale, joined along channels */
  lower(ctx: Lowering, n: LowerNode): IntVal {
    const xs = n.inputs.map((v) => ctx.asStream(v, n.name));
    if (!xs.every((x) => x.scale === xs[0].scale)) throw new LowbitError('CANNOT_COMPILE', `${n.name}: joins streams of different scales (${xs.map((x) => x.scale.toExponential(3)).join(', ')}); the integer concat needs one scale`);
    const at = ctx.emit({ op: 'concat', inputs: xs.map((x) => x.at) });
    return { kind: 'stream', at, shape: [xs[0].shape[0], xs[0].shape[1], xs.reduce((a, x) => a + x.shape[2], 0)], scale: xs[0].scale, bound: Math.max(...xs.map((x) => x.bound)) };
  }
}
