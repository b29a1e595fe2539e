// Standard ONNX int8 models (QDQ and QOperator forms), built here, imported by lowbit and run by
// onnxruntime-node on the same inputs: the integer outputs must be equal (QLinear requantization
// rounds half to even in both; a sum that lands exactly on a tie may round apart).
import { describe, expect, it, beforeAll } from 'vitest';
import * as ort from 'onnxruntime-node';
import { type Lowbit, Engine, importOnnxModel } from '../src/node/index.js';
// @ts-expect-error: a plain .mjs helper shared with the benchmarks
import { onnxModel, DT } from '../bench/onnx.mjs';
import { rng } from './reference.js';
import { runtime } from './helpers.js';

let lb: Lowbit;
beforeAll(async () => { lb = await runtime(); });

const r = rng(11);
const i8 = (n: number) => Int8Array.from({ length: n }, () => Math.floor(r() * 255) - 127);
const f = (name: string, v: number) => ({ name, type: DT.FLOAT, dims: [], data: Float32Array.of(v) });
const u8 = (name: string, v: number) => ({ name, type: DT.UINT8, dims: [], data: Uint8Array.of(v) });
const s8 = (name: string, v: number) => ({ name, type: DT.INT8, dims: [], data: Int8Array.of(v) });

async function both(model: Uint8Array, x: Float32Array, inDims: number[], count: number) {
  const { model: lbm, summary, floatNodes } = importOnnxModel(model);
  const eng = await Engine.load(lbm, { runtime: lb });
  const ours = eng.run(x, count);
  eng.dispose();
  const sess = await ort.InferenceSession.create(model);
  const out = await sess.run({ x: new ort.Tensor('float32', x, [count, ...inDims]) });
  const theirs = Float32Array.from(Object.values(out)[0].data as ArrayLike<number>, Number);
  return { ours, theirs, summary, floatNodes };
}

describe('int8 ONNX models against onnxruntime-node', () => {
  it('QOperator: QuantizeLinear -> QLinearMatMul -> QLinearMatMul -> DequantizeLinear (uint8 activations, int8 weights, per-column weight scales)', async () => {
    const K = 37, H = 19, N = 6, count = 50;
    const model = onnxModel({
      nodes: [
        { op: 'QuantizeLinear', inputs: ['x', 'xs', 'xz'], outputs: ['xq'] },
        { op: 'QLinearMatMul', inputs: ['xq', 'xs', 'xz', 'w1', 'w1s', 'w1z', 'hs', 'hz'], outputs: ['hq'] },
        { op: 'QLinearMatMul', inputs: ['hq', 'hs', 'hz', 'w2', 'w2s', 'w2z', 'ys', 'yz'], outputs: ['yq'] },
        { op: 'DequantizeLinear', inputs: ['yq', 'ys', 'yz'], outputs: ['y'] },
      ],
      inputs: [{ name: 'x', type: DT.FLOAT, dims: [count, K] }], outputs: [{ name: 'y', type: DT.FLOAT, dims: [count, N] }],
      initializers: [
        f('xs', 0.02), u8('xz', 128), f('hs', 0.37), u8('hz', 3), f('ys', 0.21), u8('yz', 120),
        { name: 'w1', type: DT.INT8, dims: [K, H], data: i8(K * H) }, { name: 'w1s', type: DT.FLOAT, dims: [H], data: Float32Array.from({ length: H }, () => 0.001 + r() * 0.004) }, { name: 'w1z', type: DT.INT8, dims: [H], data: new Int8Array(H) },
        { name: 'w2', type: DT.INT8, dims: [H, N], data: i8(H * N) }, f('w2s', 0.0031), s8('w2z', 0),
      ],
    });
    const x = Float32Array.from({ length: count * K }, () => (r() * 2 - 1) * 2.3);
    const { ours, theirs, summary, floatNodes } = await both(model, x, [K], count);
    expect(floatNodes).toEqual(['output y (dequantize codes)']);
    expect(summary.join('\n')).toMatch(/integer dense .* x 8-bit codes, 19 outputs/);
    let same = 0;
    for (let i = 0; i < ours.length; i++) same += Math.abs(ours[i] - theirs[i]) < 1e-4 ? 1 : 0; // the same code (codes are 0.2 apart)
    console.log(`equal codes: ${same}/${ours.length}`);
    expect(same / ours.length).toBeGreaterThanOrEqual(0.99); // a requantization exactly on a tie may round apart
    for (let i = 0; i < ours.length; i++) expect(Math.abs(ours[i] - theirs[i])).toBeLessThanOrEqual(0.21 + 1e-6); // never more than one code
  });

  it('QDQ: QuantizeLinear/DequantizeLinear around a MatMul with DequantizeLinear int8 weights, Add bias, Relu: the fake-quantized float graph', async () => {
    const K = 24, N = 10, count = 40;
    const model = onnxModel({
      nodes: [
        { op: 'QuantizeLinear', inputs: ['x', 'xs', 'xz'], outputs: ['xq'] },
        { op: 'DequantizeLinear', inputs: ['xq', 'xs', 'xz'], outputs: ['xd'] },
        { op: 'DequantizeLinear', inputs: ['w', 'ws', 'wz'], outputs: ['wd'] },
        { op: 'MatMul', inputs: ['xd', 'wd'], outputs: ['m'] },
        { op: 'Add', inputs: ['m', 'b'], outputs: ['a'] },
        { op: 'Relu', inputs: ['a'], outputs: ['rl'] },
        { op: 'QuantizeLinear', inputs: ['rl', 'ys', 'yz'], outputs: ['yq'] },
        { op: 'DequantizeLinear', inputs: ['yq', 'ys', 'yz'], outputs: ['y'] },
      ],
      inputs: [{ name: 'x', type: DT.FLOAT, dims: [count, K] }], outputs: [{ name: 'y', type: DT.FLOAT, dims: [count, N] }],
      initializers: [
        f('xs', 0.05), s8('xz', 0), { name: 'w', type: DT.INT8, dims: [K, N], data: i8(K * N) }, f('ws', 0.01), s8('wz', 0),
        { name: 'b', type: DT.FLOAT, dims: [N], data: Float32Array.from({ length: N }, () => r() - 0.5) }, f('ys', 0.08), u8('yz', 0),
      ],
    });
    const x = Float32Array.from({ length: count * K }, () => (r() * 2 - 1) * 4);
    const { ours, theirs, floatNodes } = await both(model, x, [K], count);
    expect(floatNodes).toEqual(['output y (dequantize codes)']); // every layer integer
    let same = 0;
    for (let i = 0; i < ours.length; i++) same += Math.abs(ours[i] - theirs[i]) < 1e-4 ? 1 : 0; // the same code (codes are 0.2 apart)
    console.log(`equal codes: ${same}/${ours.length}`);
    expect(same / ours.length).toBeGreaterThanOrEqual(0.99);
    for (let i = 0; i < ours.length; i++) expect(Math.abs(ours[i] - theirs[i])).toBeLessThanOrEqual(0.08 + 1e-6);
  });
});
