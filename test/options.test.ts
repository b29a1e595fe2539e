// Unknown or unsupported option keys are refused by name across the API, never silently ignored.
import { describe, expect, it, beforeAll } from 'vitest';
import { type Lowbit, init, Engine, Conv2d, Dense, QReLU, Sequential, Trainer, weightQuantizers, LowbitError } from '../src/node/index.js';
import { runtime } from './helpers.js';

let lb: Lowbit;
beforeAll(async () => { lb = await runtime(); });

function refused(fn: () => unknown, msg: RegExp): void {
  let err: unknown;
  try { fn(); } catch (e) { err = e; }
  expect(err, String(msg)).toBeInstanceOf(LowbitError);
  expect((err as LowbitError).code).toBe('BAD_ARGUMENT');
  expect((err as Error).message).toMatch(msg);
}

describe('option keys', () => {
  it('conv kernels refuse dilations, pads, group and misspellings, naming the allowed keys', () => {
    const conv = { height: 3, width: 3, channels: 1, filters: 1, kernelSize: 3 };
    const x = new Uint8Array(9), w = new Int8Array(9);
    expect(lb.kernels.affineConv2d(x, 0, w, 0, conv)).toHaveLength(1);
    refused(() => lb.kernels.affineConv2d(x, 0, w, 0, { ...conv, dilations: 2 } as never), /affineConv2d: option 'dilations': dilated convolutions are not supported; the options are batch, height, width, channels, filters, kernelSize, strides, padding, out, wBits/);
    refused(() => lb.kernels.affineConv2d(x, 0, w, 0, { ...conv, pads: [1, 1, 1, 1] } as never), /option 'pads': explicit pads are not supported/);
    refused(() => lb.kernels.affineConv2d(x, 0, w, 0, { ...conv, group: 1 } as never), /option 'group': grouped convolutions/);
    refused(() => lb.kernels.binaryConv2d(new Uint32Array(18), new Uint32Array(18), { ...conv, stride: 2 } as never), /binaryConv2d: unknown option 'stride'/);
    refused(() => lb.kernels.bitserialConv2d(x, 2, new Uint32Array(18), { ...conv, padd: 'same' } as never), /bitserialConv2d: unknown option 'padd'/);
    refused(() => lb.kernels.conv2dF32(new Float32Array(9), new Float32Array(9), { ...conv, out: new Float32Array(1) } as never), /conv2dF32: unknown option 'out'/);
  });

  it('requantize, thresholds, init, Engine.load, layers, quantizers and the Trainer refuse unknown keys', async () => {
    refused(() => lb.kernels.requantize(new Int32Array(1), 1, 1, { multiplier: 0.5, zeroPoint: 0, rounding: 'even' } as never), /requantize: unknown option 'rounding'/);
    refused(() => lb.kernels.thresholdPack(new Int32Array(1), 1, 1, { thresholds: new Int32Array(1), flips: new Uint8Array(1) } as never), /threshold: unknown option 'flips'/);
    await expect(init(undefined, { buld: 'baseline' } as never)).rejects.toThrow(/init: unknown option 'buld'; the options are build/);
    await expect(Engine.load(new Uint8Array(16), { runtime: lb, thread: 2 } as never)).rejects.toThrow(/Engine.load: unknown option 'thread'; the options are runtime, threads/);
    await expect(Engine.load(new Uint8Array(16), { runtime: lb, threads: 2 })).rejects.toThrow(/threads and runtime exclude each other/);
    await expect(Engine.load(new Uint8Array(16), { threads: 0 })).rejects.toThrow(/threads must be an integer in \[1, 256\], got 0/);
    refused(() => new Conv2d(8, 3, { padding: 'same', stride: 2 } as never), /Conv2d: unknown option 'stride'; the options are padding, strides, groups, kernelQuantizer/);
    refused(() => new Dense(8, { quantizer: weightQuantizers.binary() } as never), /Dense: unknown option 'quantizer'/);
    refused(() => new QReLU({ bits: 2, alpha_grad: '2-valued' } as never), /QReLU: unknown option 'alpha_grad'/);
    refused(() => weightQuantizers.uniform(4, { per_channel: true } as never), /weightQuantizers.uniform: unknown option 'per_channel'/);
    const model = new Sequential(lb.heap, [new Dense(2)], [2], 1);
    refused(() => new Trainer(model, { epochs: 1, batch: 2, lr: 0.1, optimizer: 'sgd', seed: 1, learningRate: 0.1 } as never, 4), /Trainer: unknown option 'learningRate'/);
    model.dispose();
  });
});

describe('training data is checked against the model before training', () => {
  it('names both sides of every mismatch', async () => {
    const { Sequential, Trainer, Dense, Flatten, evaluate } = await import('../src/node/index.js');
    const model = new Sequential(lb.heap, [new Flatten(), new Dense(3)], [2, 2, 1], 1);
    const t = new Trainer(model, { epochs: 1, batch: 2, lr: 0.1, optimizer: 'sgd', seed: 1 }, 4);
    const good = { images: new Uint8Array(16), labels: Uint8Array.of(0, 1, 2, 0), count: 4, height: 2, width: 2 };
    expect(t.runEpoch(good).epoch).toBe(1);
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ labels: Uint8Array.of(0, 1, 7, 0) }, /training data: label 7 at index 2 is not a class of the model \(it has 3 outputs: 0..2\)/],
      [{ height: 3, images: new Uint8Array(24) }, /training data: the images are 3x2x1 but the model takes 2x2x1/],
      [{ count: 5 }, /training data: count 5 needs 20 pixel bytes \(2x2 each\) but images has 16/],
      [{ images: new Uint8Array(20), count: 5 }, /training data: count 5 but labels has 4/],
      [{ images: new Float32Array(16) }, /training data: images must be a Uint8Array of u8 pixels, got Float32Array/],
      [{ labels: [0, 1, 2, 0] }, /training data: labels must be a Uint8Array of class indices, got Array/],
      [{ count: 0 }, /training data: count must be a positive integer, got 0/],
    ];
    for (const [change, msg] of cases) {
      let err: unknown;
      try { t.runEpoch({ ...good, ...change } as never); } catch (e) { err = e; }
      expect(err, String(msg)).toBeInstanceOf(LowbitError);
      expect((err as Error).message).toMatch(msg);
    }
    expect(() => evaluate(model, { ...good, labels: Uint8Array.of(3, 0, 0, 0) })).toThrow(/evaluation data: label 3 at index 0/);
    t.dispose(); model.dispose();
  });
});
