// Optimizers over flat f32 parameter buffers in wasm (kernels: assembly/optim.ts). Their state
// (momentum, Adam moments) is exposed as named wasm tensors so checkpoints can save and restore it.
import type { Heap } from '../memory.js';
import type { Param } from '../ops/layer.js';

/** A named f32 buffer in wasm memory. */
export interface WasmTensor { name: string; ptr: number; size: number }

export interface Optimizer {
  readonly kind: 'sgd' | 'adam';
  lr: number;
  /** one update of every parameter from its gradient */
  step(): void;
  /** state to checkpoint, named `${index of the parameter}#${what}` */
  state(): WasmTensor[];
  /** scalar state to checkpoint (Adam's step count) */
  scalars: Record<string, number>;
  dispose(): void;
}

function zeros(heap: Heap, n: number): number {
  const p = heap.alloc(n * 4);
  heap.u8().fill(0, p, p + n * 4);
  return p;
}

/** SGD with momentum and L2 weight decay: v = mu v + g + wd w; w -= lr v. */
export class Sgd implements Optimizer {
  readonly kind = 'sgd';
  scalars: Record<string, number> = {};
  private readonly velocity: number[];
  constructor(readonly heap: Heap, readonly ps: Param[], public lr: number, readonly momentum = 0.9, readonly weightDecay = 0) {
    this.velocity = ps.map((p) => zeros(heap, p.size));
  }
  step(): void { this.ps.forEach((p, i) => this.heap.wasm.sgdStep(p.w, p.g, this.velocity[i], p.size, this.lr, this.momentum, this.weightDecay)); }
  state(): WasmTensor[] { return this.ps.map((p, i) => ({ name: `${i}#velocity`, ptr: this.velocity[i], size: p.size })); }
  dispose(): void { for (const v of this.velocity) this.heap.free(v); }
}

/** Adam (Kingma & Ba) with L2 weight decay added to the gradient; bias-corrected moments. */
export class Adam implements Optimizer {
  readonly kind = 'adam';
  scalars: Record<string, number> = { t: 0 };
  private readonly m: number[];
  private readonly v: number[];
  constructor(readonly heap: Heap, readonly ps: Param[], public lr: number, readonly weightDecay = 0,
              readonly beta1 = 0.9, readonly beta2 = 0.999, readonly eps = 1e-8) {
    this.m = ps.map((p) => zeros(heap, p.size));
    this.v = ps.map((p) => zeros(heap, p.size));
  }
  step(): void {
    const t = ++this.scalars.t;
    const bc1 = 1 - this.beta1 ** t, bc2 = 1 - this.beta2 ** t;
    this.ps.forEach((p, i) => this.heap.wasm.adamStep(p.w, p.g, this.m[i], this.v[i], p.size, this.lr, this.beta1, this.beta2, this.eps, this.weightDecay, bc1, bc2));
  }
  state(): WasmTensor[] {
    return this.ps.flatMap((p, i) => [{ name: `${i}#m`, ptr: this.m[i], size: p.size }, { name: `${i}#v`, ptr: this.v[i], size: p.size }]);
  }
  dispose(): void { for (const b of [...this.m, ...this.v]) this.heap.free(b); }
}
