import { expect } from 'vitest';
import { init, type Lowbit } from '../src/node/index.js';
import type { Model } from '../src/graph/model.js';
import type { ImageSet } from '../src/data/idx.js';
import { Batcher } from '../src/train/sequential.js';
import type { Param } from '../src/ops/layer.js';
import { rng, randomFloats } from './reference.js';

let shared: Promise<Lowbit> | null = null;

/** One runtime shared by a test file. */
export function runtime(): Promise<Lowbit> {
  shared ??= init();
  return shared;
}

/**
 * Fill free heap memory with junk, so a kernel that skips writing part of its output returns junk
 * rather than a lucky zero (the next allocations reuse these blocks).
 */
export function poisonHeap(lb: Lowbit, bytes = 4 << 20): void {
  const p = lb.heap.alloc(bytes);
  lb.heap.u8().fill(0xa5, p, p + bytes);
  lb.heap.free(p);
}

/**
 * Central differences through a whole model: a seeded batch of 3 inputs of `inShape` with labels
 * [0, 3, 1] (classes >= 4), softmax cross-entropy, one backward pass; then for about `samples`
 * entries of each parameter, perturb the buffer the forward pass reads (`buffer(p)`: p.w, or the
 * quantized copy; undefined skips p) by +-1e-3 and compare with the gradient in p.g.
 * Returns how many entries were checked.
 */
export function expectGradientsMatch(lb: Lowbit, model: Model, inShape: number[], seed: number, samples: number,
                                     buffer: (p: Param) => number | undefined): number {
  const batch = 3, classes = model.outShape[0], n = inShape.reduce((a, b) => a * b, 1);
  const x = lb.heap.alloc(batch * n * 4), y = lb.heap.alloc(batch), g = lb.heap.alloc(batch * classes * 4);
  lb.heap.write(x, randomFloats(batch * n, rng(seed)));
  lb.heap.write(y, new Uint8Array([0, 3, 1]));
  const loss = () => lb.wasm.softmaxCrossEntropy(model.forward(x, batch, true), y, batch, classes, g);
  loss();
  model.backward(g, batch);
  const f32 = (p: number, len: number) => lb.heap.read(Float32Array, p, len);
  let checked = 0;
  for (const p of model.params()) {
    const ptr = buffer(p);
    if (ptr === undefined) continue;
    const grad = f32(p.g, p.size), w = f32(ptr, p.size), h = 1e-3; // small enough to cross few ReLU / max-pool kinks
    for (let j = 0; j < p.size; j += Math.max(1, Math.floor(p.size / samples))) {
      const at = (v: number) => { const ww = w.slice(); ww[j] = v; lb.heap.write(ptr, ww); return loss(); };
      const num = (at(w[j] + h) - at(w[j] - h)) / (2 * h);
      lb.heap.write(ptr, w);
      expect(Math.abs(grad[j] - num), `${p.name}[${j}]: backward ${grad[j]}, finite difference ${num}`).toBeLessThan(5e-3 + 5e-2 * Math.abs(num));
      checked++;
    }
  }
  for (const p of [x, y, g]) lb.heap.free(p);
  return checked;
}

/** The class the model (inference mode) gives each image, 500 images per forward pass. */
export function floatPredictions(lb: Lowbit, model: Model, images: ImageSet): Int32Array {
  const n = images.count, classes = model.outShape[0], out = new Int32Array(n), b = new Batcher(lb.heap, images);
  try {
    for (let from = 0; from < n; from += 500) {
      const m = Math.min(500, n - from);
      const { x } = b.load(Uint32Array.from({ length: m }, (_, i) => from + i), 0, m);
      const z = lb.heap.read(Float32Array, model.forward(x, m, false), m * classes);
      for (let i = 0; i < m; i++) {
        let best = 0;
        for (let c = 1; c < classes; c++) if (z[i * classes + c] > z[i * classes + best]) best = c;
        out[from + i] = best;
      }
    }
  } finally {
    b.dispose();
  }
  return out;
}
