// onnxruntime-node as an independent oracle for the integer kernels: lowbit's output must equal
// ONNX MatMulInteger bit for bit on the same inputs and zero points.
import { describe, expect, it, beforeAll } from 'vitest';
import * as ort from 'onnxruntime-node';
import { type Lowbit } from '../src/node/index.js';
// @ts-expect-error: a plain .mjs helper shared with the benchmarks
import { onnxModel, DT } from '../bench/onnx.mjs';
import { rng, randomBytes } from './reference.js';
import { runtime } from './helpers.js';

let lb: Lowbit;
beforeAll(async () => { lb = await runtime(); });

async function ortMatMulInteger(a: Uint8Array, za: number, b: Int8Array | Uint8Array, zb: number | number[], m: number, n: number, k: number): Promise<Int32Array> {
  const signed = b instanceof Int8Array;
  const btype = signed ? DT.INT8 : DT.UINT8;
  const model = onnxModel({
    nodes: [{ op: 'MatMulInteger', inputs: ['A', 'B', 'az', 'bz'], outputs: ['Y'] }],
    inputs: [{ name: 'A', type: DT.UINT8, dims: [m, k] }, { name: 'B', type: btype, dims: [k, n] }],
    outputs: [{ name: 'Y', type: DT.INT32, dims: [m, n] }],
    initializers: [
      { name: 'az', type: DT.UINT8, dims: [], data: new Uint8Array([za]) },
      typeof zb === 'number'
        ? { name: 'bz', type: btype, dims: [], data: signed ? new Int8Array([zb]) : new Uint8Array([zb]) }
        : { name: 'bz', type: btype, dims: [n], data: signed ? Int8Array.from(zb) : Uint8Array.from(zb) },
    ],
  });
  const session = await ort.InferenceSession.create(model);
  const result = await session.run({
    A: new ort.Tensor('uint8', a, [m, k]),
    B: new ort.Tensor(signed ? 'int8' : 'uint8', b, [k, n]),
  });
  return result.Y.data as Int32Array;
}

describe('onnxruntime-node oracle', () => {
  it('MatMulInteger: bit-exact on random shapes, u8 x i8 and u8 x u8, zero points at the extremes', async () => {
    const r = rng(2024);
    const cases: [number, number, number, number, number, boolean][] = [
      [1, 1, 1, 0, 0, true], [3, 5, 7, 255, -128, true], [17, 9, 33, 0, 127, true], [64, 30, 100, 128, 5, true],
      [1, 64, 129, 255, 255, false], [5, 3, 16, 0, 0, false], [33, 17, 255, 255, 0, false], [8, 40, 300, 3, 128, false],
    ];
    for (const [m, n, k, za, zb, signed] of cases) {
      const a = randomBytes(m * k, r), b8 = randomBytes(k * n, r);
      const b = signed ? new Int8Array(b8.buffer) : b8;
      const want = await ortMatMulInteger(a, za, b, zb, m, n, k);
      expect(lb.kernels.affineGemm(a, za, b, zb, m, n, k), `m=${m} n=${n} k=${k} za=${za} zb=${zb} ${signed ? 'i8' : 'u8'}`).toEqual(want);
    }
  });
});

async function ortQLinearMatMul(a: Uint8Array, as: number, az: number, b: Int8Array, bs: number, ys: number, yz: number, m: number, n: number, k: number): Promise<Uint8Array> {
  const f = (name: string, v: number) => ({ name, type: DT.FLOAT, dims: [], data: new Float32Array([v]) });
  const model = onnxModel({
    nodes: [{ op: 'QLinearMatMul', inputs: ['A', 'as', 'az', 'B', 'bs', 'bz', 'ys', 'yz'], outputs: ['Y'] }],
    inputs: [{ name: 'A', type: DT.UINT8, dims: [m, k] }, { name: 'B', type: DT.INT8, dims: [k, n] }],
    outputs: [{ name: 'Y', type: DT.UINT8, dims: [m, n] }],
    initializers: [f('as', as), { name: 'az', type: DT.UINT8, dims: [], data: new Uint8Array([az]) }, f('bs', bs),
      { name: 'bz', type: DT.INT8, dims: [], data: new Int8Array([0]) }, f('ys', ys), { name: 'yz', type: DT.UINT8, dims: [], data: new Uint8Array([yz]) }],
  });
  const session = await ort.InferenceSession.create(model);
  const result = await session.run({ A: new ort.Tensor('uint8', a, [m, k]), B: new ort.Tensor('int8', b, [k, n]) });
  return result.Y.data as Uint8Array;
}

describe('onnxruntime-node oracle, per-column zero points', () => {
  it('MatMulInteger with b_zero_point of shape [n]: bit-exact', async () => {
    const r = rng(5);
    for (const [m, n, k, signed] of [[5, 7, 33, true], [17, 16, 100, false]] as const) {
      const a = randomBytes(m * k, r), b8 = randomBytes(k * n, r);
      const b = signed ? new Int8Array(b8.buffer) : b8;
      const zb = Array.from({ length: n }, () => (signed ? Math.floor(r() * 256) - 128 : Math.floor(r() * 256)));
      expect(lb.kernels.affineGemm(a, 11, b, zb, m, n, k)).toEqual(await ortMatMulInteger(a, 11, b, zb, m, n, k));
    }
  });
});

describe('onnxruntime-node oracle, requantized', () => {
  // onnxruntime requantizes in float: y = round_half_even(float32(acc) * float32(as * bs / ys)) + yz.
  // lowbit stays integer: a fixed-point multiplier (>= 30 significant bits here) and rounding half
  // toward +infinity. The two differ only where acc * M lies within float32 error of a .5 boundary,
  // by one code; elsewhere they agree.
  it('QLinearMatMul: affineGemm + requantize within one code, equal on almost all outputs', async () => {
    const r = rng(99);
    let total = 0, equal = 0;
    for (const [m, n, k] of [[8, 16, 64], [17, 33, 300], [64, 64, 1000]] as const) {
      const a = randomBytes(m * k, r), b = new Int8Array(randomBytes(k * n, r).buffer);
      const [as, az, bs, ys, yz] = [0.02, 7, 0.004, 0.5 + r(), 100];
      const want = await ortQLinearMatMul(a, as, az, b, bs, ys, yz, m, n, k);
      const acc = lb.kernels.affineGemm(a, az, b, 0, m, n, k);
      const got = lb.kernels.requantize(acc, m, n, { multiplier: Math.fround(Math.fround(as * bs) / Math.fround(ys)), zeroPoint: yz });
      for (let i = 0; i < got.length; i++) {
        expect(Math.abs(got[i] - want[i]), `m=${m} n=${n} k=${k} at ${i}`).toBeLessThanOrEqual(1);
        total++;
        if (got[i] === want[i]) equal++;
      }
    }
    expect(equal / total).toBeGreaterThan(0.99);
  });
});

describe('onnxruntime-node oracle, ConvInteger', () => {
  it('ConvInteger: affineConv2d is bit-exact (NHWC here, NCHW there), with padding and strides', async () => {
    const r = rng(31);
    for (const [h, w, c, cout, k, stride, pad, signed, xz, wz] of [
      [6, 5, 3, 4, 3, 1, 1, true, 0, 0], [7, 7, 8, 5, 3, 2, 1, true, 200, -7], [5, 6, 16, 8, 1, 1, 0, false, 255, 128], [8, 8, 4, 6, 3, 1, 0, false, 3, 255],
    ] as const) {
      const x = randomBytes(h * w * c, r), w8 = randomBytes(cout * k * k * c, r);
      const wt = signed ? new Int8Array(w8.buffer) : w8;
      const oh = Math.floor((h + 2 * pad - k) / stride) + 1, ow = Math.floor((w + 2 * pad - k) / stride) + 1;
      // NHWC -> NCHW and [f][kh][kw][c] -> [f][c][kh][kw] for onnxruntime
      const xn = new Uint8Array(x.length), wn = signed ? new Int8Array(wt.length) : new Uint8Array(wt.length);
      for (let y = 0; y < h; y++) for (let xx = 0; xx < w; xx++) for (let ch = 0; ch < c; ch++) xn[(ch * h + y) * w + xx] = x[(y * w + xx) * c + ch];
      for (let f = 0; f < cout; f++) for (let ky = 0; ky < k; ky++) for (let kx = 0; kx < k; kx++) for (let ch = 0; ch < c; ch++) wn[((f * c + ch) * k + ky) * k + kx] = wt[((f * k + ky) * k + kx) * c + ch];
      const btype = signed ? DT.INT8 : DT.UINT8;
      const model = onnxModel({
        nodes: [{ op: 'ConvInteger', inputs: ['X', 'W', 'xz', 'wz'], outputs: ['Y'], attrs: { kernel_shape: [k, k], strides: [stride, stride], pads: [pad, pad, pad, pad] } }],
        inputs: [{ name: 'X', type: DT.UINT8, dims: [1, c, h, w] }],
        outputs: [{ name: 'Y', type: DT.INT32, dims: [1, cout, oh, ow] }],
        initializers: [{ name: 'W', type: btype, dims: [cout, c, k, k], data: wn },
          { name: 'xz', type: DT.UINT8, dims: [], data: new Uint8Array([xz]) },
          { name: 'wz', type: btype, dims: [], data: signed ? new Int8Array([wz]) : new Uint8Array([wz]) }],
      });
      const session = await ort.InferenceSession.create(model);
      const yn = (await session.run({ X: new ort.Tensor('uint8', xn, [1, c, h, w]) })).Y.data as Int32Array;
      // lowbit's 'same' (TF split) equals pads of 1 on every side for these shapes (3x3 at stride 1, and 7 wide at stride 2)
      const padding = pad ? 'same' : 'valid';
      const got = lb.kernels.affineConv2d(x, xz, wt, wz, { height: h, width: w, channels: c, filters: cout, kernelSize: k, strides: stride, padding });
      const want = new Int32Array(oh * ow * cout);
      for (let f = 0; f < cout; f++) for (let i = 0; i < oh * ow; i++) want[i * cout + f] = yn[f * oh * ow + i];
      expect(got, `h=${h} w=${w} c=${c} cout=${cout} k=${k} s=${stride} pad=${pad}`).toEqual(want);
    }
  });
});
