import type { Heap } from '../memory.js';
import type { ImageSet } from '../data/idx.js';
import { Slot, type Layer, type Param } from '../layers/layer.js';
import { checkImageSet } from './check-data.js';

/** Layers in a chain over per-sample input shape `inShape`; the last layer's outputs are logits. */
export class Sequential {
  readonly outShape: number[];
  constructor(readonly heap: Heap, readonly layers: Layer[], readonly inShape: number[], seed = 1) {
    let shape = inShape;
    layers.forEach((l, i) => { shape = l.build(heap, shape, seed * 7919 + i); });
    this.outShape = shape;
    // the first layer with parameters need not compute its input gradient (nothing upstream learns)
    const first = layers.find((l) => l.params().length > 0);
    if (first && 'inputGrad' in first) first.inputGrad = false;
  }
  forward(x: number, batch: number, training: boolean): number {
    for (const l of this.layers) x = l.forward(x, batch, training);
    return x;
  }
  backward(dy: number, batch: number): void {
    for (let i = this.layers.length - 1; i >= 0 && dy; i--) dy = this.layers[i].backward(dy, batch);
  }
  params(): Param[] { return this.layers.flatMap((l) => l.params()); }

  /**
   * A Larq-style summary: weights, their storage once quantized, and multiply-accumulates per
   * sample, by weight precision ("1-bit: 819,200 weights (100 KiB), 3.6 M MACs; ...").
   */
  summary(): string {
    const by = new Map<number, { weights: number; macs: number }>();
    for (const l of this.layers) {
      const c = l.cost?.();
      if (!c) continue;
      const e = by.get(c.weightBits) ?? { weights: 0, macs: 0 };
      e.weights += c.weights; e.macs += c.macs;
      by.set(c.weightBits, e);
    }
    const kib = (bits: number) => `${(bits / 8 / 1024).toFixed(1)} KiB`;
    const total = [...by].reduce((a, [b, e]) => a + b * e.weights, 0);
    const parts = [...by].sort((a, b) => a[0] - b[0]).map(([b, e]) =>
      `${b === 32 ? 'float32' : `${b}-bit`}: ${e.weights.toLocaleString('en-US')} weights (${kib(b * e.weights)}), ${(e.macs / 1e6).toFixed(2)} M MACs`);
    return `${parts.join('; ')}; weights stored in ${kib(total)} (float32: ${kib(32 * [...by.values()].reduce((a, e) => a + e.weights, 0))})`;
  }
  dispose(): void { for (const l of this.layers) l.dispose(); }
}

export { Sgd, Adam, type Optimizer } from './optimizers.js';

/** Copies images and labels of the given indices into wasm as f32 pixels / 255 and u8 labels. */
export class Batcher {
  private readonly bytes: Slot; private readonly pixels: Slot; private readonly labels: Slot;
  readonly size: number;
  constructor(private readonly heap: Heap, private readonly data: ImageSet) {
    this.size = data.height * data.width;
    this.bytes = new Slot(heap); this.pixels = new Slot(heap); this.labels = new Slot(heap);
  }
  load(indices: ArrayLike<number>, from: number, count: number): { x: number; y: number; labels: Uint8Array } {
    const staging = new Uint8Array(count * this.size), lab = new Uint8Array(count);
    for (let i = 0; i < count; i++) { // per image, not per pixel
      const j = indices[from + i];
      staging.set(this.data.images.subarray(j * this.size, (j + 1) * this.size), i * this.size);
      lab[i] = this.data.labels[j];
    }
    const b = this.bytes.get(staging.length), x = this.pixels.get(staging.length * 4), y = this.labels.get(count);
    this.heap.write(b, staging);
    this.heap.write(y, lab);
    this.heap.wasm.bytesToF32(b, staging.length, 1 / 255, 0, x);
    return { x, y, labels: lab };
  }
  dispose(): void { this.bytes.free(); this.pixels.free(); this.labels.free(); }
}

/**
 * One training pass over images order[from .. from + count): forward in training mode, softmax
 * cross-entropy, backward, leaving the parameter gradients (of the mean loss) in the params.
 * Returns the mean loss and the number of correct classes.
 */
export function batchGradients(model: Sequential, batcher: Batcher, order: ArrayLike<number>, from: number, count: number, grad: Slot): { loss: number; hits: number } {
  const heap = model.heap, classes = model.outShape[0];
  const { x, y, labels } = batcher.load(order, from, count);
  const logits = model.forward(x, count, true);
  const g = grad.get(count * classes * 4);
  const loss = heap.wasm.softmaxCrossEntropy(logits, y, count, classes, g);
  const hits = argmaxHits(heap, logits, labels, count, classes);
  model.backward(g, count);
  return { loss, hits };
}

/** Seeded Fisher-Yates permutation of 0 .. n-1. */
export function permutation(n: number, seed: number): Uint32Array {
  let s = seed >>> 0;
  const p = Uint32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = s % (i + 1);
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

export function argmaxHits(heap: Heap, logits: number, labels: Uint8Array, count: number, classes: number): number {
  const z = heap.read(Float32Array, logits, count * classes);
  let hits = 0;
  for (let i = 0; i < count; i++) { // per image
    let best = 0;
    for (let c = 1; c < classes; c++) if (z[i * classes + c] > z[i * classes + best]) best = c;
    if (best === labels[i]) hits++;
  }
  return hits;
}

/** Accuracy of the model (inference mode) on a data set. */
export function evaluate(model: Sequential, data: ImageSet, batch = 256): number {
  const classes = model.outShape[0];
  checkImageSet(data, model.inShape, classes, 'evaluation data');
  const order = Uint32Array.from({ length: data.count }, (_, i) => i);
  const batcher = new Batcher(model.heap, data);
  let hits = 0;
  try {
    for (let from = 0; from < data.count; from += batch) {
      const count = Math.min(batch, data.count - from);
      const { x, labels } = batcher.load(order, from, count);
      hits += argmaxHits(model.heap, model.forward(x, count, false), labels, count, classes);
    }
  } finally {
    batcher.dispose();
  }
  return hits / data.count;
}
