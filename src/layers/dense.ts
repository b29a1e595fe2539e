import { scoped, type Heap } from '../memory.js';
import { sgemmWasm } from '../kernels/sgemm.js';
import { freeParams, normals, param, Slot, type Layer, type Param } from './layer.js';

/** Fully connected: y = x W + b, W [in][units] (row-major, ONNX MatMul layout), He-normal init. */
export class Dense implements Layer {
  readonly name: string;
  private heap!: Heap;
  private w!: Param;
  private b!: Param;
  private inSize = 0;
  private x = 0;
  private readonly out: Slot[] = [];
  constructor(readonly units: number) { this.name = `dense(${units})`; }

  build(heap: Heap, inShape: number[], seed: number): number[] {
    this.heap = heap;
    this.inSize = inShape.reduce((a, b) => a * b, 1);
    this.w = param(heap, `${this.name}.w`, normals(this.inSize * this.units, seed, Math.sqrt(2 / this.inSize)));
    this.b = param(heap, `${this.name}.b`, new Float32Array(this.units));
    this.out.push(new Slot(heap), new Slot(heap), new Slot(heap), new Slot(heap));
    return [this.units];
  }

  forward(x: number, batch: number, _training: boolean): number {
    this.x = x;
    const y = this.out[0].get(batch * this.units * 4);
    scoped(this.heap, (arena) => sgemmWasm(this.heap, arena, x, this.w.w, batch, this.units, this.inSize, y));
    this.heap.wasm.addBias(y, batch, this.units, this.b.w);
    return y;
  }

  backward(dy: number, batch: number): number {
    const wasm = this.heap.wasm;
    const xt = this.out[1].get(this.inSize * batch * 4);
    wasm.transposeF32(this.x, batch, this.inSize, xt);
    const wt = this.out[2].get(this.units * this.inSize * 4);
    wasm.transposeF32(this.w.w, this.inSize, this.units, wt);
    const dx = this.out[3].get(batch * this.inSize * 4);
    scoped(this.heap, (arena) => {
      sgemmWasm(this.heap, arena, xt, dy, this.inSize, this.units, batch, this.w.g); // dW = x^T dy
      sgemmWasm(this.heap, arena, dy, wt, batch, this.inSize, this.units, dx); // dx = dy W^T
    });
    wasm.columnSums(dy, batch, this.units, this.b.g);
    return dx;
  }

  params(): Param[] { return [this.w, this.b]; }
  dispose(): void { freeParams(this.heap, this.params()); for (const s of this.out) s.free(); }
}
