import { checkOptions, LowbitError } from '../errors.js';
import type { Heap } from '../memory.js';
import { convOutputSize, zeroPadding } from '../kernels/conv-shape.js';
import type { WeightQuantizer } from '../quantize/weights.js';
import { Slot, type Layer, type Param } from './layer.js';
import { LinearWeights } from './weights.js';

export interface Conv2dOptions {
  /** 'same' (default, zero padding) or 'valid' */
  padding?: 'same' | 'valid';
  /** how the weights are quantized in the forward pass (default float) */
  kernelQuantizer?: WeightQuantizer;
}

/** 2-D convolution, NHWC, weights [filters][k][k][c], stride 1; im2col + the shared weight core. */
export class Conv2d implements Layer {
  readonly name: string;
  readonly padding: 'same' | 'valid';
  inputGrad = true;
  private heap!: Heap;
  private core!: LinearWeights;
  private h = 0; private wd = 0; private c = 0; private oh = 0; private ow = 0; private padT = 0; private padL = 0;
  private readonly s: Slot[] = [];
  constructor(readonly filters: number, readonly kernel: number, readonly options: Conv2dOptions = {}) {
    checkOptions('Conv2d', options, ['padding', 'kernelQuantizer']);
    this.padding = options.padding ?? 'same';
    const q = options.kernelQuantizer;
    this.name = `conv2d(${filters}, ${kernel}x${kernel}, ${this.padding}${q && q.kind !== 'float' ? `, ${q.label}` : ''})`;
  }

  build(heap: Heap, inShape: number[], seed: number): number[] {
    if (inShape.length !== 3) throw new LowbitError('BAD_SHAPE', `${this.name} needs [height, width, channels] input, got [${inShape.join(', ')}]`);
    this.heap = heap;
    [this.h, this.wd, this.c] = inShape;
    const g = convOutputSize(this.h, this.wd, this.kernel, this.kernel, 1, 1, zeroPadding(this.padding));
    ({ oh: this.oh, ow: this.ow, padT: this.padT, padL: this.padL } = g);
    this.core = new LinearWeights(heap, this.name, this.filters, this.kernel * this.kernel * this.c, this.options.kernelQuantizer, seed);
    for (let i = 0; i < 4; i++) this.s.push(new Slot(heap));
    return [this.oh, this.ow, this.filters];
  }

  get weights(): LinearWeights { return this.core; }

  forward(x: number, batch: number): number {
    const wasm = this.heap.wasm, M = batch * this.oh * this.ow, K = this.core.K;
    const col = this.s[0].get(M * K * 4);
    wasm.im2colF32(x, batch, this.h, this.wd, this.c, this.kernel, this.kernel, 1, 1, this.padT, this.padL, this.oh, this.ow, col);
    const y = this.s[1].get(M * this.filters * 4);
    this.core.forward(col, M, y);
    return y;
  }

  backward(dy: number, batch: number): number {
    const wasm = this.heap.wasm, M = batch * this.oh * this.ow, K = this.core.K;
    const col = this.s[0].get(M * K * 4); // from forward
    const dcol = this.inputGrad ? this.s[2].get(M * K * 4) : 0;
    this.core.backward(col, dy, M, dcol);
    if (!dcol) return 0;
    const dx = this.s[3].get(batch * this.h * this.wd * this.c * 4);
    wasm.col2imF32(dcol, batch, this.h, this.wd, this.c, this.kernel, this.kernel, 1, 1, this.padT, this.padL, this.oh, this.ow, dx);
    return dx;
  }

  params(): Param[] { return this.core.params(); }
  cost() { return { weights: this.filters * this.core.K, weightBits: this.core.quant.q.bits, macs: this.oh * this.ow * this.filters * this.core.K }; }
  dispose(): void { this.core.dispose(); for (const s of this.s) s.free(); }
}
