// Quantized training: the update rules, schedules, layer gradients at the quantized
// weights, qReLU layer, checkpoint round trips and resume, NaN handling.
import { describe, expect, it, beforeAll } from 'vitest';
import { type Lowbit, loadFashionMnist, SUBSET_DIR } from '../src/node/index.js';
import { Sequential } from '../src/train/sequential.js';
import { Trainer } from '../src/train/trainer.js';
import { QuantRule } from '../src/train/rules.js';
import { Sgd } from '../src/train/optimizers.js';
import { learningRate } from '../src/train/schedule.js';
import { buildLayers } from '../src/train/models.js';
import { decodeCheckpoint, encodeCheckpoint, restoreCheckpoint } from '../src/train/checkpoint.js';
import { Conv2d } from '../src/ops/conv2d.js';
import { Dense } from '../src/ops/dense.js';
import { QReLU, ReLU } from '../src/ops/activations.js';
import { BatchNorm, Flatten, MaxPool } from '../src/ops/simple.js';
import { weightQuantizers } from '../src/quantize/weights.js';
import type { ImageSet } from '../src/data/idx.js';
import { rng, randomFloats } from './reference.js';
import { runtime, expectGradientsMatch } from './helpers.js';

let lb: Lowbit;
beforeAll(async () => { lb = await runtime(); });
const f32 = (p: number, n: number) => lb.heap.read(Float32Array, p, n);

/** A dense layer on 5 inputs with quantized weights and hand-set gradients. */
function denseWith(q = weightQuantizers.binary()) {
  const d = new Dense(3, { kernelQuantizer: q });
  d.build(lb.heap, [5], 3);
  const w = d.params()[0];
  return { d, w };
}

describe('update rules', () => {
  it('BCGD: w_f <- (1 - rho) w_f + rho proj(w_f) - lr v, then w = proj(w_f)', () => {
    const { d, w } = denseWith();
    const rho = 0.1, lr = 0.5, wf = f32(w.w, w.size), wq = f32(w.quant!.wq, w.size);
    const g = randomFloats(w.size, rng(1));
    lb.heap.write(w.g, g);
    const sgd = new Sgd(lb.heap, [w], lr, 0, 0), rule = new QuantRule(lb.heap, 'bcgd', [w], { rho });
    rule.beforeStep(); sgd.step(); rule.afterStep();
    const want = wf.map((v, i) => (1 - rho) * v + rho * wq[i] - lr * g[i]);
    const got = f32(w.w, w.size);
    for (let i = 0; i < w.size; i++) expect(got[i]).toBeCloseTo(want[i], 5);
    const s = want.reduce((a, v) => a + Math.abs(v), 0) / want.length;
    expect(Array.from(f32(w.quant!.wq, w.size))).toEqual(Array.from(want, (v) => Math.fround(v >= 0 ? s : -s)).map((v) => expect.closeTo(v, 6)));
    sgd.dispose(); d.dispose();
  });

  it('BinaryConnect is BCGD without the blend; BinaryRelax relaxes, grows lambda, then quantizes exactly', () => {
    const { d, w } = denseWith(weightQuantizers.ternary());
    const wf0 = f32(w.w, w.size);
    const bc = new QuantRule(lb.heap, 'binaryconnect', [w]);
    bc.beforeStep();
    expect(Array.from(f32(w.w, w.size))).toEqual(Array.from(wf0));
    const br = new QuantRule(lb.heap, 'binaryrelax', [w], { relaxSteps: 4, lambdaStart: 1, lambdaEnd: 16, relaxSchedule: 'fixed-end' });
    const exact = f32(w.quant!.wq, w.size);
    w.quant!.project();
    const proj = f32(w.quant!.wq, w.size);
    br.reproject();
    const relaxed = f32(w.quant!.wq, w.size);
    for (let i = 0; i < w.size; i++) expect(relaxed[i]).toBeCloseTo((1 * proj[i] + wf0[i]) / 2, 6);
    expect(exact).toBeDefined();
    for (let k = 0; k < 4; k++) br.afterStep();
    expect(br.scalars.lambda).toBeCloseTo(16, 4); // geometric: 1 -> 16 over the 4 relaxed steps
    expect(br.relaxing).toBe(false);
    expect(Array.from(f32(w.quant!.wq, w.size))).toEqual(Array.from(proj));
    d.dispose();
  });

  it('schedules: cosine from lr to 0, step x0.1 at 40% and 70%', () => {
    expect(learningRate('cosine', 0.1, 0, 100)).toBeCloseTo(0.1);
    expect(learningRate('cosine', 0.1, 50, 100)).toBeCloseTo(0.05);
    expect(learningRate('cosine', 0.1, 100, 100)).toBeCloseTo(0);
    expect([0, 39, 40, 69, 70].map((t) => learningRate('step', 1, t, 100))).toEqual([1, 1, 0.1, 0.1, expect.closeTo(0.01, 9)]);
    expect(() => learningRate('linear' as never, 1, 0, 1)).toThrow(/unknown schedule 'linear'/);
  });
});

describe('quantized layers', () => {
  // qReLU and sign are piecewise constant (their straight-through gradients are no derivative), so
  // this model keeps ReLU: it checks that every quantized layer differentiates at the weights it used
  it('backward gives d loss / d w at the quantized weights the forward pass used (finite differences on w)', () => {
    const classes = 4;
    const layers = [new Conv2d(3, 3, { kernelQuantizer: weightQuantizers.binary({ perChannel: true }) }), new BatchNorm(), new MaxPool(2), new Flatten(),
      new Dense(5, { kernelQuantizer: weightQuantizers.ternary() }), new ReLU(), new Dense(classes, { kernelQuantizer: weightQuantizers.uniform(4) })];
    const model = new Sequential(lb.heap, layers, [6, 6, 2], 5);
    const checked = expectGradientsMatch(lb, model, [6, 6, 2], 3, 7, (p) => p.quant?.wq);
    expect(checked).toBeGreaterThan(15);
    model.dispose();
  });

  it('qReLU clamps alpha to [1e-3, 5] and writes rate * d alpha clipped to [-1, 1]', () => {
    const q = new QReLU({ bits: 2, alpha: 9, alphaRate: 1 });
    q.build(lb.heap, [4]);
    const x = lb.heap.alloc(16), dy = lb.heap.alloc(16);
    lb.heap.write(x, Float32Array.of(-1, 1, 20, 100));
    lb.heap.write(dy, Float32Array.of(1, 1, 1, 1));
    q.forward(x, 1);
    expect(q.value).toBe(5);
    q.backward(dy, 1);
    expect(f32(q.params()[0].g, 1)[0]).toBe(1); // 2 (inside) + 3 (above) = 5, clipped to 1
    expect(() => new QReLU({ bits: 9 })).toThrow(/qrelu bits must be an integer in \[1, 8\], got 9/);
    q.dispose();
  });

  it("BinaryRelax's per-epoch schedule: lambda *= growth after each epoch of phase 1, then exact weights at the phase-2 learning rate", () => {
    const data = { images: new Uint8Array(6 * 4), labels: Uint8Array.of(0, 1, 2, 0, 1, 2), count: 6, height: 2, width: 2 };
    for (const [growth, relaxEpochs, factor] of [[1.04, 2, 0.01], [1.5, 1, 0.1]] as const) {
      const model = new Sequential(lb.heap, [new Flatten(), new Dense(3, { kernelQuantizer: weightQuantizers.binary() })], [2, 2, 1], 1);
      const t = new Trainer(model, { epochs: 4, batch: 2, lr: 0.1, optimizer: 'binaryrelax', schedule: 'constant', seed: 1, relaxEpochs, relaxGrowth: growth, phase2LrFactor: factor }, 6);
      const seen: [number, number, boolean, number][] = [];
      for (let e = 0; e < 4; e++) t.runEpoch(data, (p) => seen.push([p.epoch, t.rule.scalars.lambda, t.rule.relaxing, p.lr]));
      seen.forEach(([epoch, lambda, relaxing, lr], i) => {
        const step = i + 1;
        // after step s (3 steps an epoch): lambda = growth^(completed phase-1 epochs)
        expect(lambda, `step ${step}`).toBeCloseTo(growth ** Math.min(relaxEpochs, Math.floor(step / 3)), 10);
        expect(relaxing, `step ${step}`).toBe(step < relaxEpochs * 3);
        expect(lr, `step ${step} (epoch ${epoch})`).toBeCloseTo(step <= relaxEpochs * 3 ? 0.1 : 0.1 * factor, 12);
      });
      t.dispose(); model.dispose();
    }
    // 'fixed-end' keeps the compressed continuation: lambda reaches 1.04^150 at the end of phase 1, no lr change
    const model = new Sequential(lb.heap, [new Flatten(), new Dense(3, { kernelQuantizer: weightQuantizers.binary() })], [2, 2, 1], 1);
    const t = new Trainer(model, { epochs: 2, batch: 2, lr: 0.1, optimizer: 'binaryrelax', schedule: 'constant', seed: 1, relaxEpochs: 1, relaxSchedule: 'fixed-end' }, 6);
    t.runEpoch(data);
    expect(t.rule.scalars.lambda).toBeCloseTo(1.04 ** 150, 6);
    expect(t.runEpoch(data).lr).toBe(0.1);
    t.dispose(); model.dispose();
  });

  it('qReLU alpha gradient: 0 at or below zero, 2^(b-1) (3-valued) or 0 (2-valued) inside, 2^b - 1 above, times the rate', () => {
    for (const [bits, alphaGrad] of [[3, '3-valued'], [3, '2-valued'], [4, '3-valued'], [2, '2-valued']] as const) {
      const q = new QReLU({ bits, alpha: 1, alphaGrad, alphaRate: 0.01 }), L = 2 ** bits - 1;
      q.build(lb.heap, [5]);
      const x = lb.heap.alloc(32), dy = lb.heap.alloc(32);
      lb.heap.write(x, Float32Array.of(-1, 0.5, L - 0.5, 100, 0));
      lb.heap.write(dy, Float32Array.of(3, 0.5, 2, 1, 5));
      q.forward(x, 1);
      q.backward(dy, 1);
      const inside = alphaGrad === '3-valued' ? 2 ** (bits - 1) : 0;
      expect(f32(q.params()[0].g, 1)[0], `${bits} bits ${alphaGrad}`).toBeCloseTo(0.01 * ((0.5 + 2) * inside + 1 * L), 6);
      q.dispose();
    }
    // the rate and the clip are options
    const q = new QReLU({ bits: 2, alpha: 1, alphaRate: 0.5, alphaClip: 0.25 });
    q.build(lb.heap, [2]);
    const x = lb.heap.alloc(8), dy = lb.heap.alloc(8);
    lb.heap.write(x, Float32Array.of(0.5, 100)); lb.heap.write(dy, Float32Array.of(0.1, 0.1));
    q.forward(x, 1); q.backward(dy, 1);
    expect(f32(q.params()[0].g, 1)[0]).toBeCloseTo(0.25, 6); // 0.5 * (0.1 * 2 + 0.1 * 3) = 0.25, at the clip
    lb.heap.write(dy, Float32Array.of(0.1, 0));
    q.backward(dy, 1);
    expect(f32(q.params()[0].g, 1)[0]).toBeCloseTo(0.1, 6);
    q.dispose();
  });
});

function tinySet(data: ImageSet, count: number): ImageSet { return { ...data, count }; }

describe('model summary', () => {
  it('counts weights, storage and MACs by weight precision', () => {
    const m = new Sequential(lb.heap, buildLayers({ arch: 'cnn', wbits: 1, abits: 4 }), [28, 28, 1], 1);
    // conv 32 (8-bit, 3x3x1) on 28x28, conv 64 (1-bit, 3x3x32) on 14x14, dense 3136 -> 256 (1-bit), dense 256 -> 10 (8-bit)
    const w1 = 64 * 9 * 32 + 3136 * 256, w8 = 32 * 9 + 256 * 10;
    const macs1 = 14 * 14 * 64 * 288 + 3136 * 256, macs8 = 28 * 28 * 32 * 9 + 2560;
    const s = m.summary();
    expect(s).toContain(`1-bit: ${w1.toLocaleString('en-US')} weights (${(w1 / 8 / 1024).toFixed(1)} KiB), ${(macs1 / 1e6).toFixed(2)} M MACs`);
    expect(s).toContain(`8-bit: ${w8.toLocaleString('en-US')} weights (${(w8 / 1024).toFixed(1)} KiB), ${(macs8 / 1e6).toFixed(2)} M MACs`);
    m.dispose();
  });
});

describe('training runs', () => {
  it('resuming from a checkpoint continues bit-identically (BinaryRelax 1W2A, Adam-free SGD state included)', async () => {
    const data = await loadFashionMnist(SUBSET_DIR), train = tinySet(data.train, 256);
    const arch = { arch: 'cnn' as const, wbits: 1, abits: 2 };
    const opts = { epochs: 2, batch: 64, lr: 0.05, optimizer: 'binaryrelax' as const, seed: 7 };
    const make = () => { const m = new Sequential(lb.heap, buildLayers(arch), [28, 28, 1], 7); return { m, t: new Trainer(m, opts, train.count) }; };
    const a = make();
    a.t.runEpoch(train); a.t.runEpoch(train);
    const b = make();
    b.t.runEpoch(train);
    const bytes = encodeCheckpoint(b.t, { arch });
    b.t.dispose(); b.m.dispose();
    const c = make();
    restoreCheckpoint(c.t, lb.heap, decodeCheckpoint(bytes));
    expect(c.t.epoch).toBe(1);
    c.t.runEpoch(train);
    const wa = a.t.tensors(), wc = c.t.tensors();
    expect(wc.map((t) => t.name)).toEqual(wa.map((t) => t.name));
    wa.forEach((t, i) => expect(f32(wc[i].ptr, t.size), t.name).toEqual(f32(t.ptr, t.size)));
    const test = tinySet(data.test, 200);
    expect(c.t.evaluate(test)).toBe(a.t.evaluate(test));
    for (const x of [a, c]) { x.t.dispose(); x.m.dispose(); }
  });

  it('a corrupt, truncated or mismatched checkpoint is refused with BAD_CHECKPOINT', () => {
    const m = new Sequential(lb.heap, buildLayers({ arch: 'mlp', wbits: 1, abits: 1 }), [28, 28, 1], 1);
    const t = new Trainer(m, { epochs: 1, batch: 8, lr: 0.1, optimizer: 'bcgd', seed: 1 }, 8);
    const good = encodeCheckpoint(t, {});
    const flipped = good.slice(); flipped[flipped.length - 5] ^= 0x10;
    expect(() => decodeCheckpoint(flipped)).toThrow(/checksum mismatch/);
    expect(() => decodeCheckpoint(good.subarray(0, good.length - 4))).toThrow(/truncated or corrupt/);
    expect(() => decodeCheckpoint(good.subarray(0, 40))).toThrow(/truncated|corrupt|does not parse/);
    const magic = good.slice(); magic[0] = 0x4e;
    expect(() => decodeCheckpoint(magic)).toThrow(/bad magic/);
    const other = new Sequential(lb.heap, buildLayers({ arch: 'mlp', wbits: 32, abits: 32 }), [28, 28, 1], 1);
    const to = new Trainer(other, { epochs: 1, batch: 8, lr: 0.1, optimizer: 'adam', seed: 1 }, 8);
    expect(() => restoreCheckpoint(to, lb.heap, decodeCheckpoint(good))).toThrow(/counter 'optimizer.t' is missing|has no tensor|holds \d+ tensors/);
    for (const x of [t, to]) x.dispose();
    m.dispose(); other.dispose();
  });

  it('a NaN loss stops training with NAN_LOSS naming the epoch and batch', async () => {
    const data = await loadFashionMnist(SUBSET_DIR);
    const m = new Sequential(lb.heap, buildLayers({ arch: 'mlp', wbits: 32, abits: 32 }), [28, 28, 1], 1);
    const t = new Trainer(m, { epochs: 1, batch: 32, lr: 1e30, optimizer: 'sgd', seed: 1, schedule: 'constant' }, 320);
    expect(() => t.runEpoch(tinySet(data.train, 320))).toThrow(/the loss became (NaN|Infinity) in epoch 1, batch \d+: training stopped; lower the learning rate/);
    t.dispose(); m.dispose();
  });
});
