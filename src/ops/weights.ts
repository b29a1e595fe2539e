// The weight-carrying core shared by Dense and Conv2d: weights [out][K] (row-major, one output
// channel per row, so a per-channel quantizer sees contiguous groups), bias [out], inputs as rows
// X [M][K] (Dense: one row per sample; Conv2d: one im2col row per output pixel).
//   forward   Y [M][out]  = X Wq^T + b
//   backward  dW [out][K] = dY^T X,  db = column sums of dY,  dX [M][K] = dY Wq
import { scoped, type Heap } from '../memory.js';
import { sgemmWasm } from '../kernels/sgemm.js';
import { QuantizedWeight, weightQuantizers, type WeightQuantizer } from '../quantize/weights.js';
import { freeParams, normals, param, Slot, type Param } from './layer.js';

export class LinearWeights {
  readonly w: Param;
  readonly b: Param;
  readonly quant: QuantizedWeight;
  private readonly wt: Slot;
  private readonly dyt: Slot;

  constructor(private readonly heap: Heap, name: string, readonly out: number, readonly K: number, q: WeightQuantizer | undefined, seed: number) {
    this.w = param(heap, `${name}.w`, normals(out * K, seed, Math.sqrt(2 / K))); // He-normal
    this.b = param(heap, `${name}.b`, new Float32Array(out));
    this.quant = new QuantizedWeight(heap, q ?? weightQuantizers.float(), this.w, out);
    if (this.quant.q.kind !== 'float') this.w.quant = this.quant;
    this.wt = new Slot(heap);
    this.dyt = new Slot(heap);
  }

  /** The weights the passes use: proj_Q(w_f), or w_f itself in float. */
  get used(): number { return this.quant.q.kind === 'float' ? this.w.w : this.quant.wq; }

  forward(x: number, M: number, y: number): void {
    const wasm = this.heap.wasm, wt = this.wt.get(this.K * this.out * 4);
    wasm.transposeF32(this.used, this.out, this.K, wt);
    scoped(this.heap, (arena) => sgemmWasm(this.heap, arena, x, wt, M, this.out, this.K, y));
    wasm.addBias(y, M, this.out, this.b.w);
  }

  /** Parameter gradients from dy; dx (M x K) too unless dx is 0. */
  backward(x: number, dy: number, M: number, dx: number): void {
    const wasm = this.heap.wasm, dyt = this.dyt.get(this.out * M * 4);
    wasm.transposeF32(dy, M, this.out, dyt);
    scoped(this.heap, (arena) => {
      sgemmWasm(this.heap, arena, dyt, x, this.out, this.K, M, this.w.g);
      if (dx) sgemmWasm(this.heap, arena, dy, this.used, M, this.K, this.out, dx);
    });
    wasm.columnSums(dy, M, this.out, this.b.g);
    this.quant.backward();
  }

  params(): Param[] { return [this.w, this.b, ...this.quant.extra]; }

  dispose(): void {
    freeParams(this.heap, [this.w, this.b]);
    this.quant.dispose();
    this.wt.free();
    this.dyt.free();
  }
}
