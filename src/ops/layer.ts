import type { Heap } from '../memory.js';
import type { QuantizedWeight } from '../quantize/weights.js';
import type { IntVal, Lowering, LowerNode } from '../infer/lowering.js';

/** A trainable f32 tensor in wasm memory: values w and gradient g, `size` elements each. */
export interface Param {
  name: string;
  w: number;
  g: number;
  size: number;
  /** set on quantized weights: the forward / backward passes use `quant.wq`, the optimizer updates `w` */
  quant?: QuantizedWeight;
}

/** Non-trainable state a layer keeps in JavaScript (batch norm's running statistics), for checkpoints. */
export interface StateBuffer {
  name: string;
  data: Float32Array;
}

/**
 * A layer over NHWC batches in wasm memory. forward / backward take and return pointers to f32
 * buffers the layer owns (valid until its next call); TypeScript only passes them along.
 */
export interface Layer {
  readonly name: string;
  /** the op's registry key (src/ops/registry.ts) */
  readonly op: string;
  /** the constructor arguments that rebuild this layer through the registry (JSON values only) */
  config(): Record<string, unknown>;
  /** Allocate parameters for this per-sample input shape; returns the per-sample output shape. */
  build(heap: Heap, inShape: number[], seed: number): number[];
  forward(x: number, batch: number, training: boolean): number;
  /** dy: gradient of the output; accumulates parameter gradients (overwritten each call); returns dx. */
  backward(dy: number, batch: number): number;
  params(): Param[];
  /** non-trainable state to checkpoint (default none) */
  buffers?(): StateBuffer[];
  /** weights and multiply-accumulates per sample, for summaries (layers with weights only) */
  cost?(): { weights: number; weightBits: number; macs: number };
  /** false for a model's first layer: backward need not compute the input gradient (returns 0) */
  inputGrad?: boolean;
  /** its rule in the integer plan (src/infer/lowering.ts): what its output is at inference; an op without one cannot be exported */
  lower?(ctx: Lowering, node: LowerNode): IntVal;
  dispose(): void;
}

/**
 * An op over several inputs of the same batch (residual add, concat): like Layer, but forward takes
 * one pointer per input and backward returns one gradient pointer per input.
 */
export interface MergeLayer {
  readonly name: string;
  readonly op: string;
  readonly merge: true;
  config(): Record<string, unknown>;
  build(heap: Heap, inShapes: number[][], seed: number): number[];
  forward(xs: number[], batch: number, training: boolean): number;
  backward(dy: number, batch: number): number[];
  params(): Param[];
  buffers?(): StateBuffer[];
  cost?(): { weights: number; weightBits: number; macs: number };
  /** its rule in the integer plan (src/infer/lowering.ts): what its output is at inference; an op without one cannot be exported */
  lower?(ctx: Lowering, node: LowerNode): IntVal;
  dispose(): void;
}

export type AnyLayer = Layer | MergeLayer;

export const isMerge = (l: AnyLayer): l is MergeLayer => (l as MergeLayer).merge === true;

/** A wasm buffer that grows to the largest size asked for (per-batch activations). */
export class Slot {
  /** where the buffer is and how many bytes it holds (read by engine pools sharing one memory) */
  ptr = 0;
  bytes = 0;
  constructor(private readonly heap: Heap) {}
  get(bytes: number): number {
    if (bytes > this.bytes) {
      if (this.ptr) this.heap.free(this.ptr);
      this.ptr = this.heap.alloc(bytes);
      this.bytes = bytes;
    }
    return this.ptr;
  }
  free(): void {
    if (this.ptr) this.heap.free(this.ptr);
    this.ptr = 0;
    this.bytes = 0;
  }
}

/** Deterministic normal samples (mulberry32 + Box-Muller) for weight initialisation. */
export function normals(n: number, seed: number, std: number): Float32Array {
  let s = seed >>> 0;
  const u = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = std * Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()); // init only
  return out;
}

/** Allocate a parameter (values from `init`, zero gradient). */
export function param(heap: Heap, name: string, init: Float32Array): Param {
  const w = heap.alloc(init.byteLength), g = heap.alloc(init.byteLength);
  heap.write(w, init);
  heap.u8().fill(0, g, g + init.byteLength);
  return { name, w, g, size: init.length };
}

export function freeParams(heap: Heap, ps: Param[]): void {
  for (const p of ps) { heap.free(p.w); heap.free(p.g); }
}
