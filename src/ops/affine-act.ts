// Trained affine activation quantizer (docs/algorithms.md, section 5): x_hat = s (q - z) with codes
// q in 0 .. 2^bits - 1, one trained scale s and offset b (z = round(-b / s)) per tensor. The
// kernels are the weight map's (assembly/quant.ts), run as one group over the batch.
import { LowbitError, checkOptions } from '../errors.js';
import type { Heap } from '../memory.js';
import { affineZeroPoint, keepAffineMap, scaleMapGradients } from '../quantize/weights.js';
export { roundHalfEven } from '../quantize/weights.js';
import { initialAlpha } from './activations.js';
import { freeParams, param, Slot, type Layer, type Param } from './layer.js';
import type { IntVal, Lowering, LowerNode } from '../infer/lowering.js';
import { roundThresholds } from '../infer/fold.js';

export interface AffineActOptions {
  /** code bits, 2..8 */
  bits: number;
  /** initial scale; default the quantized ReLU's initial step for these bits */
  scale?: number;
  /** initial offset in [-L scale, 0]; default 0 (zero point 0: a clipped ReLU) */
  offset?: number;
}

export class AffineAct implements Layer {
  readonly op = 'affineact';
  readonly name: string;
  readonly bits: number;
  private heap!: Heap; private n = 0; private x = 0;
  private s!: Param; private b!: Param;
  private y!: Slot; private dx!: Slot;
  constructor(readonly options: AffineActOptions) {
    checkOptions('AffineAct', options, ['bits', 'scale', 'offset']);
    const b = options.bits;
    if (!Number.isInteger(b) || b < 2 || b > 8) throw new LowbitError('BAD_ARGUMENT', `affine activation bits must be an integer in [2, 8], got ${b}`);
    for (const k of ['scale', 'offset'] as const) {
      const v = options[k];
      if (v !== undefined && !Number.isFinite(v)) throw new LowbitError('BAD_ARGUMENT', `affine activation ${k} must be a finite number, got ${v}`);
    }
    if (options.scale !== undefined && !(options.scale > 0)) throw new LowbitError('BAD_ARGUMENT', `affine activation scale must be positive, got ${options.scale}`);
    this.bits = b;
    this.name = `affineact(${b}-bit)`;
  }
  config(): Record<string, unknown> { return { ...this.options }; }
  build(heap: Heap, inShape: number[]): number[] {
    this.heap = heap; this.n = inShape.reduce((a, v) => a * v, 1);
    this.s = param(heap, 'affineact.scale', Float32Array.of(this.options.scale ?? initialAlpha(this.bits)));
    this.b = param(heap, 'affineact.offset', Float32Array.of(this.options.offset ?? 0));
    this.y = new Slot(heap); this.dx = new Slot(heap);
    return inShape;
  }
  /** the map in use: scale s and integer zero point z */
  get map(): { scale: number; zero: number } {
    keepAffineMap(this.heap, this.s.w, this.b.w, 1, this.bits);
    const s = this.heap.read(Float32Array, this.s.w, 1)[0], b = this.heap.read(Float32Array, this.b.w, 1)[0];
    return { scale: s, zero: affineZeroPoint(s, b, this.bits) };
  }
  forward(x: number, batch: number): number {
    this.x = x;
    keepAffineMap(this.heap, this.s.w, this.b.w, 1, this.bits);
    const y = this.y.get(batch * this.n * 4);
    this.heap.wasm.affineQuantForward(x, y, 1, batch * this.n, this.bits, this.s.w, this.b.w);
    return y;
  }
  backward(dy: number, batch: number): number {
    const dx = this.dx.get(batch * this.n * 4);
    this.heap.wasm.affineQuantBackward(this.x, dy, dx, 1, batch * this.n, this.bits, this.s.w, this.b.w, this.s.g, this.b.g);
    scaleMapGradients(this.heap, [this.s, this.b], 1, this.n, this.bits);
    return dx;
  }
  params(): Param[] { return [this.s, this.b]; }
  dispose(): void { freeParams(this.heap, [this.s, this.b]); this.y.free(); this.dx.free(); }
  /** thresholds on the sums before it: code = clip(round(y / s) + z, 0, L) */
  lower(ctx: Lowering, n: LowerNode): IntVal {
    const { scale, zero } = this.map, levels = 2 ** this.bits - 1;
    return ctx.activation(n, { kind: 'codes', bits: this.bits, scale, zero, fold: (A, B) => roundThresholds(A, B, scale, zero, levels) });
  }
}
