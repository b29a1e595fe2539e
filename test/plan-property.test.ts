// Random valid plans: models of random depth, widths (multiples of 64 and not), bit widths and
// activations (sign bits, 1..8-bit codes), briefly trained so batch-norm statistics are real, a
// random third of the channels flipped (negative gamma), compiled and run by the Engine. For each:
// every logit is finite, a batch predicts what one image at a time predicts, and the integer plan
// agrees with the fake-quantized float model on the classes of 64 test images.
import { describe, expect, it, beforeAll } from 'vitest';
import { type Lowbit, loadFashionMnist, SUBSET_DIR, Sequential, Trainer, compile, Engine, encodeModel, Conv2d, Dense, BatchNorm, QReLU, Sign, MaxPool, Flatten, weightQuantizers } from '../src/node/index.js';
import type { Layer } from '../src/ops/layer.js';
import { Batcher } from '../src/train/sequential.js';
import { rng } from './reference.js';
import { runtime } from './helpers.js';

let lb: Lowbit;
beforeAll(async () => { lb = await runtime(); });

function randomLayers(r: () => number): { layers: Layer[]; label: string } {
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)];
  const wq = (bits: number) => (bits === 1 ? weightQuantizers.binary({ perChannel: r() < 0.5 }) : bits === 2 ? weightQuantizers.ternary() : weightQuantizers.uniform(bits));
  const act = (bits: number): Layer => (bits === 1 ? new Sign() : new QReLU({ bits }));
  const layers: Layer[] = [], parts: string[] = [];
  const conv = r() < 0.5;
  if (conv) {
    const c = pick([8, 16, 33, 64]), a = pick([1, 2, 4, 8]);
    layers.push(new Conv2d(c, 3, { kernelQuantizer: wq(8), padding: pick(['same', 'valid'] as const) }), new BatchNorm(), act(a), new MaxPool(2));
    parts.push(`conv${c}/8W${a}A`);
    const c2 = pick([16, 40, 64]), w2 = pick([1, 2, 4, 8]), a2 = pick([1, 2, 4, 8]);
    layers.push(new Conv2d(c2, 3, { kernelQuantizer: wq(w2) }), new BatchNorm(), act(a2), new MaxPool(2));
    parts.push(`conv${c2}/${w2}W${a2}A`);
    if (a2 === 1 && c2 % 64) parts.push('(binary dense after it needs 64-channel multiples)');
  }
  layers.push(new Flatten());
  const depth = 1 + Math.floor(r() * 2);
  for (let d = 0; d < depth; d++) {
    const u = pick([20, 64, 100, 128]), w = d === 0 && !conv ? 8 : pick([1, 2, 4, 8]), a = pick([1, 2, 4, 8]);
    layers.push(new Dense(u, { kernelQuantizer: wq(w) }), new BatchNorm(), act(a));
    parts.push(`dense${u}/${w}W${a}A`);
  }
  layers.push(new Dense(10, { kernelQuantizer: wq(8) }));
  return { layers, label: parts.join(' ') };
}

describe('random valid plans', () => {
  it('30 random models: finite logits, batch = one at a time, and the plan agrees with the float model', async () => {
    const data = await loadFashionMnist(SUBSET_DIR), r = rng(404), n = 64;
    const img = data.test.images.subarray(0, n * 784);
    let checked = 0;
    for (let trial = 0; trial < 30; trial++) {
      const { layers, label } = randomLayers(r);
      const model = new Sequential(lb.heap, layers, [28, 28, 1], trial);
      const t = new Trainer(model, { epochs: 1, batch: 32, lr: 0.05, optimizer: 'bcgd', seed: trial }, 128);
      t.runEpoch({ ...data.train, count: 128 });
      for (const layer of model.layers) {
        if (!(layer instanceof BatchNorm)) continue;
        const gamma = layer.params()[0], g = lb.heap.read(Float32Array, gamma.w, gamma.size);
        for (let c = 0; c < g.length; c++) if (r() < 1 / 3) g[c] = -g[c];
        lb.heap.write(gamma.w, g);
      }
      let plan;
      try { plan = compile(model, data.classes); } catch (e) {
        // the one combination compile refuses: binary weights on pixels or sign bits not from 64-channel multiples
        expect((e as Error).message, label).toMatch(/binary weights on raw pixels|64-channel/);
        t.dispose(); model.dispose();
        continue;
      }
      let engine;
      try { engine = await Engine.load(encodeModel(plan), { runtime: lb }); } catch (e) {
        expect((e as Error).message, label).toMatch(/a binary dense layer reads sign bits of 64-channel multiples/);
        t.dispose(); model.dispose();
        continue;
      }
      const z = engine.logits(img, n), batch = engine.predict(img, n);
      expect(z.every(Number.isFinite), label).toBe(true);
      for (let i = 0; i < n; i++) expect(engine.predict(img.subarray(i * 784, (i + 1) * 784), 1)[0], `${label} image ${i}`).toBe(batch[i]);
      const b = new Batcher(lb.heap, data.test), { x } = b.load(Uint32Array.from({ length: n }, (_, i) => i), 0, n);
      const f = lb.heap.read(Float32Array, model.forward(x, n, false), n * 10);
      b.dispose();
      let same = 0;
      for (let i = 0; i < n; i++) {
        let best = 0;
        for (let c = 1; c < 10; c++) if (f[i * 10 + c] > f[i * 10 + best]) best = c;
        if (best === batch[i]) same++;
      }
      expect(same / n, label).toBeGreaterThanOrEqual(0.95);
      engine.dispose(); t.dispose(); model.dispose();
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(20);
  }, 120_000);
});
