import { LowbitError } from '../errors.js';
import type { Heap } from '../memory.js';
import type { Layer, Param } from './layer.js';
import type { IntVal, Lowering, LowerNode } from '../infer/lowering.js';

/** A new per-sample shape over the same values (row-major, so no data moves); one entry may be -1. */
export class Reshape implements Layer {
  readonly name: string;
  readonly op = 'reshape';
  constructor(readonly shape: number[]) {
    if (!Array.isArray(shape) || shape.length < 1 || shape.length > 4 || !shape.every((d) => Number.isInteger(d) && (d >= 1 || d === -1)) || shape.filter((d) => d === -1).length > 1) {
      throw new LowbitError('BAD_ARGUMENT', `reshape takes 1 to 4 dimensions >= 1 (one may be -1), got ${JSON.stringify(shape)}`);
    }
    this.name = `reshape(${shape.join('x')})`;
  }
  config(): Record<string, unknown> { return { shape: this.shape }; }
  build(_heap: Heap, inShape: number[]): number[] {
    const n = inShape.reduce((a, b) => a * b, 1), known = this.shape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
    const out = this.shape.map((d) => (d === -1 ? n / known : d));
    if (out.reduce((a, b) => a * b, 1) !== n || !out.every(Number.isInteger)) throw new LowbitError('BAD_SHAPE', `${this.name}: cannot hold the ${n} values of shape [${inShape.join(', ')}]`);
    return out;
  }
  forward(x: number): number { return x; }
  backward(dy: number): number { return dy; }
  params(): Param[] { return []; }
  dispose(): void {}
  /** the identity at inference */
  lower(ctx: Lowering, n: LowerNode): IntVal { return ctx.passThrough(n); }
}
