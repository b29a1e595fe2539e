import { LowbitError } from '../errors.js';
import { scoped, type Heap } from '../memory.js';
import { convOutputSize, zeroPadding } from '../kernels/conv-shape.js';
import { sgemmWasm } from '../kernels/sgemm.js';
import { freeParams, normals, param, Slot, type Layer, type Param } from './layer.js';

/** f32 2-D convolution, NHWC, weights [filters][k][k][c], stride 1, 'same' or 'valid'; He-normal init. */
export class Conv2d implements Layer {
  readonly name: string;
  private heap!: Heap;
  private w!: Param;
  private b!: Param;
  private h = 0; private wd = 0; private c = 0; private oh = 0; private ow = 0; private padT = 0; private padL = 0;
  private readonly s: Slot[] = [];
  constructor(readonly filters: number, readonly kernel: number, readonly padding: 'same' | 'valid' = 'same') {
    this.name = `conv2d(${filters}, ${kernel}x${kernel}, ${padding})`;
  }

  build(heap: Heap, inShape: number[], seed: number): number[] {
    if (inShape.length !== 3) throw new LowbitError('BAD_SHAPE', `${this.name} needs [height, width, channels] input, got [${inShape.join(', ')}]`);
    this.heap = heap;
    [this.h, this.wd, this.c] = inShape;
    const g = convOutputSize(this.h, this.wd, this.kernel, this.kernel, 1, 1, zeroPadding(this.padding));
    ({ oh: this.oh, ow: this.ow, padT: this.padT, padL: this.padL } = g);
    const K = this.kernel * this.kernel * this.c;
    this.w = param(heap, `${this.name}.w`, normals(this.filters * K, seed, Math.sqrt(2 / K)));
    this.b = param(heap, `${this.name}.b`, new Float32Array(this.filters));
    for (let i = 0; i < 6; i++) this.s.push(new Slot(heap));
    return [this.oh, this.ow, this.filters];
  }

  private get K() { return this.kernel * this.kernel * this.c; }

  forward(x: number, batch: number, _training: boolean): number {
    const wasm = this.heap.wasm, M = batch * this.oh * this.ow, K = this.K;
    const col = this.s[0].get(M * K * 4);
    wasm.im2colF32(x, batch, this.h, this.wd, this.c, this.kernel, this.kernel, 1, 1, this.padT, this.padL, this.oh, this.ow, col);
    const wt = this.s[1].get(K * this.filters * 4);
    wasm.transposeF32(this.w.w, this.filters, K, wt);
    const y = this.s[2].get(M * this.filters * 4);
    scoped(this.heap, (arena) => sgemmWasm(this.heap, arena, col, wt, M, this.filters, K, y));
    wasm.addBias(y, M, this.filters, this.b.w);
    return y;
  }

  backward(dy: number, batch: number): number {
    const wasm = this.heap.wasm, M = batch * this.oh * this.ow, K = this.K;
    const col = this.s[0].get(M * K * 4); // from forward
    const dyt = this.s[3].get(this.filters * M * 4);
    wasm.transposeF32(dy, M, this.filters, dyt);
    const dcol = this.s[4].get(M * K * 4);
    scoped(this.heap, (arena) => {
      sgemmWasm(this.heap, arena, dyt, col, this.filters, K, M, this.w.g); // dW = dy^T col
      sgemmWasm(this.heap, arena, dy, this.w.w, M, K, this.filters, dcol); // dcol = dy W
    });
    wasm.columnSums(dy, M, this.filters, this.b.g);
    const dx = this.s[5].get(batch * this.h * this.wd * this.c * 4);
    wasm.col2imF32(dcol, batch, this.h, this.wd, this.c, this.kernel, this.kernel, 1, 1, this.padT, this.padL, this.oh, this.ow, dx);
    return dx;
  }

  params(): Param[] { return [this.w, this.b]; }
  dispose(): void { freeParams(this.heap, this.params()); for (const s of this.s) s.free(); }
}
