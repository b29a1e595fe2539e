// Parameter-free and per-channel layers: max pooling, flatten, batch norm.
import { LowbitError } from '../errors.js';
import type { Heap } from '../memory.js';
import { freeParams, param, Slot, type StateBuffer, type Layer, type Param } from './layer.js';
import type { ShardSync } from '../train/shard-sync.js';
import type { IntVal, Lowering, LowerNode } from '../infer/lowering.js';
import { bnAffine } from '../infer/fold.js';
export { ReLU } from './activations.js';

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** k x k max pooling with stride k ('valid'). */
export class MaxPool implements Layer {
  readonly name: string;
  readonly op = 'maxpool';
  private heap!: Heap; private h = 0; private w = 0; private c = 0; private oh = 0; private ow = 0;
  private y!: Slot; private arg!: Slot; private dx!: Slot;
  constructor(readonly k = 2) { this.name = `maxpool(${k})`; }
  config(): Record<string, unknown> { return { k: this.k }; }
  build(heap: Heap, inShape: number[]): number[] {
    if (inShape.length !== 3) throw new LowbitError('BAD_SHAPE', `${this.name} needs [height, width, channels] input, got [${inShape.join(', ')}]`);
    this.heap = heap; [this.h, this.w, this.c] = inShape;
    this.oh = Math.floor(this.h / this.k); this.ow = Math.floor(this.w / this.k);
    this.y = new Slot(heap); this.arg = new Slot(heap); this.dx = new Slot(heap);
    return [this.oh, this.ow, this.c];
  }
  forward(x: number, batch: number): number {
    const n = batch * this.oh * this.ow * this.c;
    const y = this.y.get(n * 4), arg = this.arg.get(n * 4);
    this.heap.wasm.maxPoolForward(x, batch, this.h, this.w, this.c, this.k, this.k, this.oh, this.ow, y, arg);
    return y;
  }
  backward(dy: number, batch: number): number {
    const xLen = batch * this.h * this.w * this.c;
    const dx = this.dx.get(xLen * 4);
    this.heap.wasm.maxPoolBackward(dy, this.arg.get(0), batch * this.oh * this.ow * this.c, dx, xLen);
    return dx;
  }
  params(): Param[] { return []; }
  dispose(): void { this.y.free(); this.arg.free(); this.dx.free(); }
  /** a max pool lowers only inside the step or threshold before it (Lowering.absorbMaxPool) */
  lower(ctx: Lowering, n: LowerNode): IntVal {
    throw new LowbitError('CANNOT_COMPILE', `${n.name}: max pooling lowers only right after conv, batch norm and an activation, as the one reader of the activation`);
  }
}

/** NHWC is contiguous: flattening only changes the shape. */
export class Flatten implements Layer {
  readonly name = 'flatten';
  readonly op = 'flatten';
  config(): Record<string, unknown> { return {}; }
  build(_heap: Heap, inShape: number[]): number[] { return [size(inShape)]; }
  forward(x: number): number { return x; }
  backward(dy: number): number { return dy; }
  params(): Param[] { return []; }
  dispose(): void {}
  /** the identity at inference */
  lower(ctx: Lowering, n: LowerNode): IntVal { return ctx.passThrough(n); }
}

/** Batch norm over the last dimension; running statistics (momentum 0.9) serve inference. */
export class BatchNorm implements Layer {
  readonly name = 'batchnorm';
  readonly op = 'batchnorm';
  private heap!: Heap; private c = 0; private per = 0; private x = 0;
  private gamma!: Param; private beta!: Param;
  private mean = 0; private invStd = 0; private runMean = 0; private runInv = 0;
  private runningMean!: Float32Array; private runningVar!: Float32Array;
  private y!: Slot; private dx!: Slot; private sums = 0;
  /** data-parallel training: the statistics and their gradient sums are the whole batch's, summed across shards */
  sync?: ShardSync;
  constructor(readonly eps = 1e-3, readonly momentum = 0.9) {}
  get channels(): number { return this.c; }
  config(): Record<string, unknown> { return { eps: this.eps, momentum: this.momentum }; }
  build(heap: Heap, inShape: number[]): number[] {
    this.heap = heap; this.c = inShape[inShape.length - 1]; this.per = size(inShape) / this.c;
    this.gamma = param(heap, 'batchnorm.gamma', new Float32Array(this.c).fill(1));
    this.beta = param(heap, 'batchnorm.beta', new Float32Array(this.c));
    this.mean = heap.alloc(this.c * 4); this.invStd = heap.alloc(this.c * 4); this.sums = heap.alloc(this.c * 8);
    this.runMean = heap.alloc(this.c * 4); this.runInv = heap.alloc(this.c * 4);
    this.runningMean = new Float32Array(this.c); this.runningVar = new Float32Array(this.c).fill(1);
    this.y = new Slot(heap); this.dx = new Slot(heap);
    return inShape;
  }
  forward(x: number, batch: number, training: boolean): number {
    this.x = x;
    const rows = batch * this.per, y = this.y.get(rows * this.c * 4), h = this.heap;
    if (training) {
      if (this.sync) this.syncedStats(x, rows);
      h.wasm.batchNormForward(x, rows, this.c, this.gamma.w, this.beta.w, this.eps, this.sync ? 1 : 0, this.mean, this.invStd, y);
      const m = h.read(Float32Array, this.mean, this.c), inv = h.read(Float32Array, this.invStd, this.c);
      for (let i = 0; i < this.c; i++) { // per channel, not per element
        this.runningMean[i] = this.momentum * this.runningMean[i] + (1 - this.momentum) * m[i];
        this.runningVar[i] = this.momentum * this.runningVar[i] + (1 - this.momentum) * (1 / (inv[i] * inv[i]) - this.eps);
      }
    } else {
      h.write(this.runMean, this.runningMean);
      h.write(this.runInv, this.runningVar.map((v) => 1 / Math.sqrt(v + this.eps)));
      h.wasm.batchNormForward(x, rows, this.c, this.gamma.w, this.beta.w, this.eps, 1, this.runMean, this.runInv, y);
    }
    return y;
  }
  backward(dy: number, batch: number): number {
    const rows = batch * this.per, dx = this.dx.get(rows * this.c * 4), w = this.heap.wasm, c = this.c;
    if (!this.sync) {
      w.batchNormBackward(this.x, dy, rows, c, this.gamma.w, this.mean, this.invStd, dx, this.gamma.g, this.beta.g);
      return dx;
    }
    // this shard's gradients stay its own (the trainer blends them by shard size); dx needs the
    // batch's sums: with dy in this shard's scale (its loss is a mean over its images), the batch's
    // are sum_s share_s sums_s, and dx in this shard's scale takes them times 1 / share
    w.batchNormBackwardSums(this.x, dy, rows, c, this.mean, this.invStd, this.gamma.g, this.beta.g);
    const share = this.sync.share, local = new Float32Array(2 * c);
    local.set(this.heap.read(Float32Array, this.gamma.g, c)); local.set(this.heap.read(Float32Array, this.beta.g, c), c);
    const batchSums = this.sync.sum(local.map((v) => v * share)).map((v) => v / share);
    this.heap.write(this.sums, batchSums);
    w.batchNormBackwardDx(this.x, dy, rows, c, this.gamma.w, this.mean, this.invStd, this.sums, this.sums + c * 4, 1 / (this.sync.job.total * this.per), dx);
    return dx;
  }

  /** The whole batch's mean and 1 / sqrt(var + eps), from per-shard sums (two passes, as one thread computes them). */
  private syncedStats(x: number, rows: number): void {
    const h = this.heap, c = this.c, s = this.sync!, inv = Math.fround(1 / (s.job.total * this.per));
    h.wasm.batchNormSums(x, rows, c, 0, this.mean);
    h.write(this.mean, s.sum(h.read(Float32Array, this.mean, c)).map((v) => v * inv));
    h.wasm.batchNormSums(x, rows, c, this.mean, this.invStd);
    h.write(this.invStd, s.sum(h.read(Float32Array, this.invStd, c)).map((v) => 1 / Math.sqrt(Math.fround(v * inv) + this.eps)));
  }
  params(): Param[] { return [this.gamma, this.beta]; }
  /** gamma, beta and the running statistics, for compiling to integer thresholds */
  stats(): { gamma: Float32Array; beta: Float32Array; mean: Float32Array; variance: Float32Array; eps: number } {
    return { gamma: this.heap.read(Float32Array, this.gamma.w, this.c), beta: this.heap.read(Float32Array, this.beta.w, this.c),
      mean: this.runningMean.slice(), variance: this.runningVar.slice(), eps: this.eps };
  }
  buffers(): StateBuffer[] { return [{ name: 'batchnorm.runningMean', data: this.runningMean }, { name: 'batchnorm.runningVar', data: this.runningVar }]; }
  dispose(): void {
    freeParams(this.heap, this.params());
    for (const p of [this.mean, this.invStd, this.runMean, this.runInv, this.sums]) this.heap.free(p);
    this.y.free(); this.dx.free();
  }
  /** folded into the weight layer's sums before it, or a per-channel affine view of a stream */
  lower(ctx: Lowering, n: LowerNode): IntVal {
    const x = ctx.forChannelOp(n.inputs[0], n.name), { g, shift } = bnAffine(this, this.c);
    if (x.kind === 'pending' || x.kind === 'affine') return { ...x, A: x.A.map((a, c) => a * g[c]), B: x.B.map((b, c) => b * g[c] + shift[c]) };
    if (x.kind === 'stream') return { kind: 'affine', src: x, A: g.map((a) => a * x.scale), B: shift };
    throw new LowbitError('CANNOT_COMPILE', `${n.name}: batch norm on ${x.kind} has no integer form; put it after a weight layer or on a residual stream`);
  }
}
