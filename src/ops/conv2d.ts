import { checkOptions, LowbitError } from '../errors.js';
import type { Heap } from '../memory.js';
import { convOutputSize, zeroPadding } from '../kernels/conv-shape.js';
import { scoped } from '../memory.js';
import { sgemmWasm } from '../kernels/sgemm.js';
import type { WeightQuantizer } from '../quantize/weights.js';
import { Slot, type Layer, type Param } from './layer.js';
import { LinearWeights } from './weights.js';
import type { IntVal, Lowering, LowerNode } from '../infer/lowering.js';

export interface Conv2dOptions {
  /** 'same' (default, zero padding; the extra pixel bottom/right), 'valid', or explicit [top, bottom, left, right] */
  padding?: 'same' | 'valid' | [number, number, number, number];
  /** strides [vertical, horizontal] or one for both (default 1) */
  strides?: number | [number, number];
  /** channel groups (default 1; groups = input channels is a depthwise convolution) */
  groups?: number;
  /** how the weights are quantized in the forward pass (default float) */
  kernelQuantizer?: WeightQuantizer;
}

const pair = (v: number | [number, number]): [number, number] => (Array.isArray(v) ? [v[0], v[1]] : [v, v]);
const isCount = (v: unknown, min: number) => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= 4096;

/**
 * 2-D convolution, NHWC, weights [filters][kh][kw][channels / groups]; im2col + the shared weight
 * core. With groups > 1, group g maps input channels [g c/G, (g+1) c/G) to output channels
 * [g f/G, (g+1) f/G) through rows g f/G .. of the weights, one im2col + GEMM per group.
 */
export class Conv2d implements Layer {
  readonly name: string;
  readonly op = 'conv2d';
  readonly padding: 'same' | 'valid' | 'explicit';
  readonly kh: number; readonly kw: number; readonly sh: number; readonly sw: number; readonly groups: number;
  /** explicit pads [top, bottom, left, right], or null for 'same' / 'valid' */
  readonly pads: [number, number, number, number] | null;
  inputGrad = true;
  private heap!: Heap;
  private core!: LinearWeights;
  /** groups = channels = filters: the direct depthwise kernels (assembly/depthwise.ts) instead of one GEMM per group */
  private depthwise = false;
  private x = 0;
  private h = 0; private wd = 0; private c = 0; private oh = 0; private ow = 0; private padT = 0; private padL = 0;
  private readonly s: Slot[] = [];
  constructor(readonly filters: number, readonly kernel: number | [number, number], readonly options: Conv2dOptions = {}) {
    checkOptions('Conv2d', options, ['padding', 'strides', 'groups', 'kernelQuantizer']);
    [this.kh, this.kw] = pair(kernel);
    [this.sh, this.sw] = pair(options.strides ?? 1);
    this.groups = options.groups ?? 1;
    const p = options.padding ?? 'same';
    if (!isCount(filters, 1)) throw new LowbitError('BAD_ARGUMENT', `conv2d filters must be an integer in [1, 4096], got ${String(filters)}`);
    if (!isCount(this.kh, 1) || !isCount(this.kw, 1)) throw new LowbitError('BAD_ARGUMENT', `conv2d kernel must be a size or [height, width] of integers >= 1, got ${JSON.stringify(kernel)}`);
    if (!isCount(this.sh, 1) || !isCount(this.sw, 1)) throw new LowbitError('BAD_ARGUMENT', `conv2d strides must be an integer or [vertical, horizontal] >= 1, got ${JSON.stringify(options.strides)}`);
    if (!isCount(this.groups, 1) || filters % this.groups !== 0) throw new LowbitError('BAD_ARGUMENT', `conv2d groups must be a whole number dividing filters (${filters}), got ${String(options.groups)}`);
    if (Array.isArray(p)) {
      if (p.length !== 4 || !p.every((v) => isCount(v, 0))) throw new LowbitError('BAD_ARGUMENT', `conv2d explicit padding must be [top, bottom, left, right] of integers >= 0, got ${JSON.stringify(p)}`);
      this.pads = [p[0], p[1], p[2], p[3]];
      this.padding = 'explicit';
    } else if (p === 'same' || p === 'valid') {
      this.pads = null;
      this.padding = p;
    } else {
      throw new LowbitError('BAD_ARGUMENT', `conv2d padding must be 'same', 'valid' or [top, bottom, left, right], got ${JSON.stringify(p)}`);
    }
    const q = options.kernelQuantizer;
    const extras = [this.sh !== 1 || this.sw !== 1 ? `stride ${this.sh === this.sw ? this.sh : `${this.sh}x${this.sw}`}` : '', this.groups > 1 ? `${this.groups} groups` : '', q && q.kind !== 'float' ? q.label : ''].filter(Boolean);
    this.name = `conv2d(${filters}, ${this.kh}x${this.kw}, ${this.pads ? `pads ${this.pads.join('/')}` : this.padding}${extras.map((e) => `, ${e}`).join('')})`;
  }

  config(): Record<string, unknown> {
    return { filters: this.filters, kernel: this.kernel, padding: this.pads ?? this.padding, strides: [this.sh, this.sw], groups: this.groups, kernelQuantizer: this.options.kernelQuantizer };
  }

  build(heap: Heap, inShape: number[], seed: number): number[] {
    if (inShape.length !== 3) throw new LowbitError('BAD_SHAPE', `${this.name} needs [height, width, channels] input, got [${inShape.join(', ')}]`);
    this.heap = heap;
    [this.h, this.wd, this.c] = inShape;
    if (this.c % this.groups !== 0) throw new LowbitError('BAD_SHAPE', `${this.name}: ${this.c} input channels do not split into ${this.groups} groups`);
    if (this.pads) {
      const [t, b, l, r] = this.pads;
      const hh = this.h + t + b, ww = this.wd + l + r;
      if (this.kh > hh || this.kw > ww) throw new LowbitError('BAD_SHAPE', `${this.name}: kernel ${this.kh}x${this.kw} is larger than the padded ${hh}x${ww} input`);
      this.oh = Math.floor((hh - this.kh) / this.sh) + 1; this.ow = Math.floor((ww - this.kw) / this.sw) + 1; this.padT = t; this.padL = l;
    } else {
      const g = convOutputSize(this.h, this.wd, this.kh, this.kw, this.sh, this.sw, zeroPadding(this.padding as 'same' | 'valid'));
      ({ oh: this.oh, ow: this.ow, padT: this.padT, padL: this.padL } = g);
    }
    this.core = new LinearWeights(heap, this.name, this.filters, this.kh * this.kw * (this.c / this.groups), this.options.kernelQuantizer, seed);
    this.depthwise = this.groups > 1 && this.groups === this.c && this.filters === this.c;
    for (let i = 0; i < 6; i++) this.s.push(new Slot(heap));
    return [this.oh, this.ow, this.filters];
  }

  get weights(): LinearWeights { return this.core; }

  forward(x: number, batch: number): number {
    const wasm = this.heap.wasm, M = batch * this.oh * this.ow, K = this.core.K, G = this.groups;
    const col = this.depthwise ? 0 : this.s[0].get(M * K * G * 4), y = this.s[1].get(M * this.filters * 4);
    if (G === 1) {
      wasm.im2colF32(x, batch, this.h, this.wd, this.c, this.kh, this.kw, this.sh, this.sw, this.padT, this.padL, this.oh, this.ow, col);
      this.core.forward(col, M, y);
      return y;
    }
    if (this.depthwise) {
      const wt = this.s[5].get(K * this.c * 4);
      wasm.transposeF32(this.core.used, this.c, K, wt); // [c][taps] -> [taps][c]
      this.x = x;
      wasm.depthwiseForward(x, batch, this.h, this.wd, this.c, this.kh, this.kw, this.sh, this.sw, this.padT, this.padL, this.oh, this.ow, wt, y);
      wasm.addBias(y, M, this.filters, this.core.b.w);
      return y;
    }
    const cg = this.c / G, fg = this.filters / G, yg = this.s[4].get(M * fg * 4), wt = this.s[5].get(K * fg * 4);
    for (let g = 0; g < G; g++) {
      const colG = col + g * M * K * 4;
      wasm.im2colSliceF32(x, batch, this.h, this.wd, this.c, g * cg, cg, this.kh, this.kw, this.sh, this.sw, this.padT, this.padL, this.oh, this.ow, colG, 1, 1);
      wasm.transposeF32(this.core.used + g * fg * K * 4, fg, K, wt);
      scoped(this.heap, (arena) => sgemmWasm(this.heap, arena, colG, wt, M, fg, K, yg));
      wasm.copyChannels(yg, M, fg, y, this.filters, g * fg);
    }
    wasm.addBias(y, M, this.filters, this.core.b.w);
    return y;
  }

  backward(dy: number, batch: number): number {
    const wasm = this.heap.wasm, M = batch * this.oh * this.ow, K = this.core.K, G = this.groups;
    const col = this.depthwise ? 0 : this.s[0].get(M * K * G * 4); // from forward
    const dxLen = batch * this.h * this.wd * this.c;
    if (G === 1) {
      const dcol = this.inputGrad ? this.s[2].get(M * K * 4) : 0;
      this.core.backward(col, dy, M, dcol);
      if (!dcol) return 0;
      const dx = this.s[3].get(dxLen * 4);
      wasm.col2imF32(dcol, batch, this.h, this.wd, this.c, this.kh, this.kw, this.sh, this.sw, this.padT, this.padL, this.oh, this.ow, dx);
      return dx;
    }
    if (this.depthwise) {
      const wt = this.s[5].get(K * this.c * 4), dwt = this.s[4].get(K * this.c * 4), dx = this.inputGrad ? this.s[3].get(dxLen * 4) : 0;
      wasm.depthwiseBackward(this.x, dy, batch, this.h, this.wd, this.c, this.kh, this.kw, this.sh, this.sw, this.padT, this.padL, this.oh, this.ow, wt, dx, dwt);
      wasm.transposeF32(dwt, K, this.c, this.core.w.g);
      wasm.columnSums(dy, M, this.filters, this.core.b.g);
      this.core.quant.backward();
      return dx;
    }
    const cg = this.c / G, fg = this.filters / G, dyg = this.s[4].get(M * fg * 4), dygT = this.s[5].get(M * fg * 4);
    const dcol = this.inputGrad ? this.s[2].get(M * K * 4) : 0, dx = this.inputGrad ? this.s[3].get(dxLen * 4) : 0;
    if (dx) this.heap.u8().fill(0, dx, dx + dxLen * 4);
    for (let g = 0; g < G; g++) {
      const colG = col + g * M * K * 4;
      wasm.sliceChannels(dy, M, this.filters, g * fg, fg, dyg);
      wasm.transposeF32(dyg, M, fg, dygT);
      scoped(this.heap, (arena) => {
        sgemmWasm(this.heap, arena, dygT, colG, fg, K, M, this.core.w.g + g * fg * K * 4); // dW_g = dy_g^T col_g
        if (dcol) sgemmWasm(this.heap, arena, dyg, this.core.used + g * fg * K * 4, M, K, fg, dcol); // dcol_g = dy_g W_g
      });
      if (dcol) wasm.col2imSliceF32(dcol, batch, this.h, this.wd, this.c, g * cg, cg, this.kh, this.kw, this.sh, this.sw, this.padT, this.padL, this.oh, this.ow, dx);
    }
    wasm.columnSums(dy, M, this.filters, this.core.b.g);
    this.core.quant.backward();
    return dx;
  }

  params(): Param[] { return this.core.params(); }
  cost() { return { weights: this.filters * this.core.K, weightBits: this.core.quant.q.bits, macs: this.oh * this.ow * this.filters * this.core.K }; }
  dispose(): void { this.core.dispose(); for (const s of this.s) s.free(); }
  /** its integer step, pending the output rule the next ops choose (src/infer/lowering.ts) */
  lower(ctx: Lowering, n: LowerNode): IntVal { return ctx.weightStep(this, n); }
}
