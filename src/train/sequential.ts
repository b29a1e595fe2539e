import type { Heap } from '../memory.js';
import type { ImageSet } from '../data/idx.js';
import { LowbitError } from '../errors.js';
import { isMerge, Slot, type Layer } from '../ops/layer.js';
import { Model } from '../graph/model.js';
import { checkImageSet } from './check-data.js';
import { copyImage, type Augment } from './augment.js';

/** Layers in a chain over per-sample input shape `inShape`: sugar for a one-input, one-output graph Model. */
export class Sequential extends Model {
  constructor(heap: Heap, layers: Layer[], inShape: number[], seed = 1) {
    if (!Array.isArray(layers) || layers.length < 1) throw new LowbitError('BAD_ARGUMENT', 'Sequential needs a non-empty array of layers');
    const bad = layers.find((l) => !l || typeof l.build !== 'function' || isMerge(l));
    if (bad !== undefined) throw new LowbitError('BAD_ARGUMENT', `Sequential takes one-input layers; ${bad?.name ?? String(bad)} is not one (build merges with input() and apply())`);
    const nodes = layers.map((layer, i) => ({ layer, inputs: [i] }));
    super(heap, { inputShapes: [inShape], nodes, outputs: [layers.length] }, seed);
  }
}

export { Sgd, Adam, type Optimizer } from './optimizers.js';

/** Copies images and labels of the given indices into wasm as f32 pixels / 255 and u8 labels. */
export class Batcher {
  private readonly bytes: Slot; private readonly pixels: Slot; private readonly labels: Slot;
  readonly size: number;
  constructor(private readonly heap: Heap, private readonly data: ImageSet, private readonly augment?: Augment) {
    this.size = data.height * data.width;
    this.bytes = new Slot(heap); this.pixels = new Slot(heap); this.labels = new Slot(heap);
  }
  load(indices: ArrayLike<number>, from: number, count: number): { x: number; y: number; labels: Uint8Array } {
    const staging = new Uint8Array(count * this.size), lab = new Uint8Array(count);
    for (let i = 0; i < count; i++) { // per image, not per pixel
      const j = indices[from + i];
      copyImage(this.data, j, staging.subarray(i * this.size, (i + 1) * this.size), this.augment);
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
export function batchGradients(model: Model, batcher: Batcher, order: ArrayLike<number>, from: number, count: number, grad: Slot): { loss: number; hits: number } {
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
export function evaluate(model: Model, data: ImageSet, batch = 256): number {
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
