import { checkOptions } from '../errors.js';
import type { Heap } from '../memory.js';
import type { WeightQuantizer } from '../quantize/weights.js';
import { Slot, type Layer, type Param } from './layer.js';
import { LinearWeights } from './weights.js';
import type { IntVal, Lowering, LowerNode } from '../infer/lowering.js';

export interface DenseOptions {
  /** how the weights are quantized in the forward pass (default float) */
  kernelQuantizer?: WeightQuantizer;
}

/** Fully connected: y = x W^T + b, W [units][in] (one row per unit), He-normal init. */
export class Dense implements Layer {
  readonly name: string;
  readonly op = 'dense';
  inputGrad = true;
  private core!: LinearWeights;
  private inSize = 0;
  private x = 0;
  private readonly y: Slot[] = [];
  constructor(readonly units: number, readonly options: DenseOptions = {}) {
    checkOptions('Dense', options, ['kernelQuantizer']);
    const q = options.kernelQuantizer;
    this.name = `dense(${units}${q && q.kind !== 'float' ? `, ${q.label}` : ''})`;
  }

  config(): Record<string, unknown> { return { units: this.units, kernelQuantizer: this.options.kernelQuantizer }; }

  build(heap: Heap, inShape: number[], seed: number): number[] {
    this.inSize = inShape.reduce((a, b) => a * b, 1);
    this.core = new LinearWeights(heap, this.name, this.units, this.inSize, this.options.kernelQuantizer, seed);
    this.y.push(new Slot(heap), new Slot(heap));
    return [this.units];
  }

  /** The quantized view of the weights (float: a copy of w). */
  get weights(): LinearWeights { return this.core; }

  forward(x: number, batch: number): number {
    this.x = x;
    const y = this.y[0].get(batch * this.units * 4);
    this.core.forward(x, batch, y);
    return y;
  }

  backward(dy: number, batch: number): number {
    const dx = this.inputGrad ? this.y[1].get(batch * this.inSize * 4) : 0;
    this.core.backward(this.x, dy, batch, dx);
    return dx;
  }

  params(): Param[] { return this.core.params(); }
  cost() { return { weights: this.units * this.inSize, weightBits: this.core.quant.q.bits, macs: this.units * this.inSize }; }
  dispose(): void { this.core.dispose(); for (const s of this.y) s.free(); }
  /** its integer step, pending the output rule the next ops choose (src/infer/lowering.ts) */
  lower(ctx: Lowering, n: LowerNode): IntVal { return ctx.weightStep(this, n); }
}
