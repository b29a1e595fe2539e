// Whole-model peer comparison: the shipped Fashion-MNIST models (integer-only lowbit plans) against
// the same architecture in ONNX run by onnxruntime-web (wasm, 1 thread), float32 and int8 (QLinear
// ops: QLinearConv / QLinearMatMul, u8 activations, i8 weights, u8 pixels in). The ONNX graphs have
// the trained models' shapes with random weights (speed does not depend on the values), batch
// norm folded into the convolutions as an exporter would. Batch-1 latency and batch-64 throughput
// are medians over rounds, each round timing every contender (tinybench); the ratios are medians of
// per-round ratios. Cold start is import -> first prediction in a fresh Node process. Native
// onnxruntime-node (CPU, 1 intra-op thread) runs the same two ONNX graphs in the same rounds, the
// speed a server gets without wasm.
// Writes this host's "Models" section of bench/RESULTS.md (models-node20, models-node24, models-deno).
//
//   npm run build && node bench/models.mjs [--rounds 5]      (npx deno run -A bench/models.mjs in Deno)
import { parseArgs } from 'node:util';
import { readFile, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import os from 'node:os';
import { measureRounds, median, ratio } from './rounds.mjs';
import * as ort from 'onnxruntime-web';
import { init, Engine } from '../dist/node/index.js';
import { onnxModel, DT, randomWeights, ortWebOneThread } from './onnx.mjs';
import { host, argv, evalArgs, writeSection } from './host.mjs';

// native onnxruntime-node where this host loads its addon
const ortNode = await import('onnxruntime-node').catch(() => null);

const { values } = parseArgs({ args: argv, options: { rounds: { type: 'string', default: '5' }, out: { type: 'string', default: 'bench/RESULTS.md' } } });
const ROUNDS = Number(values.rounds), TIME = 300;
ortWebOneThread(ort);
const { floats, int8s } = randomWeights(7);

/** The cnn architecture (README "Training") in ONNX, NCHW, batch dimension `n`. */
function cnnOnnx(n, int8) {
  const f = (name, v) => ({ name, type: DT.FLOAT, dims: [], data: new Float32Array([v]) });
  const u = (name, v) => ({ name, type: DT.UINT8, dims: [], data: new Uint8Array([v]) });
  const i8 = (name, v) => ({ name, type: DT.INT8, dims: [], data: new Int8Array([v]) });
  const pool = { kernel_shape: [2, 2], strides: [2, 2] }, pad = { kernel_shape: [3, 3], pads: [1, 1, 1, 1] };
  if (!int8) {
    return onnxModel({
      nodes: [
        { op: 'Conv', inputs: ['x', 'w1', 'b1'], outputs: ['c1'], attrs: pad }, { op: 'Relu', inputs: ['c1'], outputs: ['r1'] },
        { op: 'MaxPool', inputs: ['r1'], outputs: ['p1'], attrs: pool },
        { op: 'Conv', inputs: ['p1', 'w2', 'b2'], outputs: ['c2'], attrs: pad }, { op: 'Relu', inputs: ['c2'], outputs: ['r2'] },
        { op: 'MaxPool', inputs: ['r2'], outputs: ['p2'], attrs: pool },
        { op: 'Flatten', inputs: ['p2'], outputs: ['f'], attrs: { axis: 1 } },
        { op: 'Gemm', inputs: ['f', 'w3', 'b3'], outputs: ['d3'] }, { op: 'Relu', inputs: ['d3'], outputs: ['r3'] },
        { op: 'Gemm', inputs: ['r3', 'w4', 'b4'], outputs: ['y'] },
      ],
      inputs: [{ name: 'x', type: DT.FLOAT, dims: [n, 1, 28, 28] }],
      outputs: [{ name: 'y', type: DT.FLOAT, dims: [n, 10] }],
      initializers: [
        { name: 'w1', type: DT.FLOAT, dims: [32, 1, 3, 3], data: floats(288, 0.5) }, { name: 'b1', type: DT.FLOAT, dims: [32], data: floats(32, 0.1) },
        { name: 'w2', type: DT.FLOAT, dims: [64, 32, 3, 3], data: floats(18432, 0.1) }, { name: 'b2', type: DT.FLOAT, dims: [64], data: floats(64, 0.1) },
        { name: 'w3', type: DT.FLOAT, dims: [3136, 256], data: floats(802816, 0.03) }, { name: 'b3', type: DT.FLOAT, dims: [256], data: floats(256, 0.1) },
        { name: 'w4', type: DT.FLOAT, dims: [256, 10], data: floats(2560, 0.1) }, { name: 'b4', type: DT.FLOAT, dims: [10], data: floats(10, 0.1) },
      ],
    });
  }
  return onnxModel({
    nodes: [
      { op: 'QLinearConv', inputs: ['x', 'xs', 'z', 'w1', 'ws', 'wz', 'as', 'z', 'b1'], outputs: ['c1'], attrs: pad },
      { op: 'MaxPool', inputs: ['c1'], outputs: ['p1'], attrs: pool },
      { op: 'QLinearConv', inputs: ['p1', 'as', 'z', 'w2', 'ws', 'wz', 'as', 'z', 'b2'], outputs: ['c2'], attrs: pad },
      { op: 'MaxPool', inputs: ['c2'], outputs: ['p2'], attrs: pool },
      { op: 'Flatten', inputs: ['p2'], outputs: ['f'], attrs: { axis: 1 } },
      { op: 'QLinearMatMul', inputs: ['f', 'as', 'z', 'w3', 'ws', 'wz', 'as', 'z'], outputs: ['d3'] },
      { op: 'QLinearMatMul', inputs: ['d3', 'as', 'z', 'w4', 'ws', 'wz', 'ys', 'yz'], outputs: ['q'] },
      { op: 'DequantizeLinear', inputs: ['q', 'ys', 'yz'], outputs: ['y'] },
    ],
    inputs: [{ name: 'x', type: DT.UINT8, dims: [n, 1, 28, 28] }],
    outputs: [{ name: 'y', type: DT.FLOAT, dims: [n, 10] }],
    initializers: [
      { name: 'w1', type: DT.INT8, dims: [32, 1, 3, 3], data: int8s(288) }, { name: 'b1', type: DT.INT32, dims: [32], data: new Int32Array(32) },
      { name: 'w2', type: DT.INT8, dims: [64, 32, 3, 3], data: int8s(18432) }, { name: 'b2', type: DT.INT32, dims: [64], data: new Int32Array(64) },
      { name: 'w3', type: DT.INT8, dims: [3136, 256], data: int8s(802816) }, { name: 'w4', type: DT.INT8, dims: [256, 10], data: int8s(2560) },
      f('xs', 1 / 255), u('z', 0), f('ws', 0.01), i8('wz', 0), f('as', 0.05), f('ys', 0.1), u('yz', 128),
    ],
  });
}

const lb = await init();
const data = new Uint8Array(64 * 784).map((_, i) => (i * 37 + (i >> 5)) & 255);
const one = data.subarray(0, 784);
const models = {};
for (const name of ['fashion-cnn-1w1a', 'fashion-cnn-1w4a']) {
  const bytes = new Uint8Array(await readFile(new URL(`../models/${name}.lbm`, import.meta.url)));
  models[name] = { bytes, engine: await Engine.load(bytes, { runtime: lb }) };
}
const onnx = { float: [cnnOnnx(1, false), cnnOnnx(64, false)], int8: [cnnOnnx(1, true), cnnOnnx(64, true)] };
const sess = async (m) => ort.InferenceSession.create(m, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
const ortF = [await sess(onnx.float[0]), await sess(onnx.float[1])], ortQ = [await sess(onnx.int8[0]), await sess(onnx.int8[1])];
const nsess = async (m) => ortNode.InferenceSession.create(m, { executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
const nodeF = ortNode && [await nsess(onnx.float[0]), await nsess(onnx.float[1])], nodeQ = ortNode && [await nsess(onnx.int8[0]), await nsess(onnx.int8[1])];
const nxf = (n) => new ortNode.Tensor('float32', Float32Array.from(data.subarray(0, n * 784), (v) => v / 255), [n, 1, 28, 28]);
const nxq = (n) => new ortNode.Tensor('uint8', data.slice(0, n * 784), [n, 1, 28, 28]);
const xf = (n) => new ort.Tensor('float32', Float32Array.from(data.subarray(0, n * 784), (v) => v / 255), [n, 1, 28, 28]);
const xq = (n) => new ort.Tensor('uint8', data.slice(0, n * 784), [n, 1, 28, 28]);
const tasks = (n) => [
  ['lowbit 1W1A (fashion-cnn-1w1a.lbm)', () => models['fashion-cnn-1w1a'].engine.predict(n === 1 ? one : data, n)],
  ['lowbit 1W4A (fashion-cnn-1w4a.lbm)', () => models['fashion-cnn-1w4a'].engine.predict(n === 1 ? one : data, n)],
  ['onnxruntime-web float32', async () => { await ortF[n === 1 ? 0 : 1].run({ x: xf(n) }); }],
  ['onnxruntime-web int8 (QLinearConv / QLinearMatMul)', async () => { await ortQ[n === 1 ? 0 : 1].run({ x: xq(n) }); }],
  ...(ortNode ? [
    ['onnxruntime-node float32 (native, 1 thread)', async () => { await nodeF[n === 1 ? 0 : 1].run({ x: nxf(n) }); }],
    ['onnxruntime-node int8 (native, 1 thread)', async () => { await nodeQ[n === 1 ? 0 : 1].run({ x: nxq(n) }); }],
  ] : []),
];
const measure = (n) => measureRounds(tasks(n), ROUNDS, TIME);
const lat1 = await measure(1), lat64 = await measure(64);

// cold start: a fresh process, import -> first prediction
const cold = (script) => Number(execFileSync(process.execPath, evalArgs(script), { cwd: new URL('..', import.meta.url).pathname }).toString().trim());
const coldLowbit = (name) => cold(`const t0 = performance.now(); const { Engine } = await import('./dist/node/index.js'); const { readFile } = await import('node:fs/promises');
  const e = await Engine.load(new Uint8Array(await readFile('models/${name}.lbm'))); e.predict(new Uint8Array(784), 1); console.log(performance.now() - t0);`);
const onnxFiles = { float: `${os.tmpdir()}/lowbit-cnn-float.onnx`, int8: `${os.tmpdir()}/lowbit-cnn-int8.onnx` };
await writeFile(onnxFiles.float, onnx.float[0]); await writeFile(onnxFiles.int8, onnx.int8[0]);
const coldOrt = (file, type) => cold(`const t0 = performance.now(); const ort = await import('onnxruntime-web'); const { readFile } = await import('node:fs/promises');
  ort.env.wasm.numThreads = 1; ort.env.logLevel = 'error'; const s = await ort.InferenceSession.create(new Uint8Array(await readFile('${file}')), { executionProviders: ['wasm'] });
  await s.run({ x: new ort.Tensor('${type}', new ${type === 'uint8' ? 'Uint8Array' : 'Float32Array'}(784), [1, 1, 28, 28]) }); console.log(performance.now() - t0);`);
const coldRuns = (fn) => median([fn(), fn(), fn()]);
const coldMs = {
  'lowbit 1W1A (fashion-cnn-1w1a.lbm)': coldRuns(() => coldLowbit('fashion-cnn-1w1a')), 'lowbit 1W4A (fashion-cnn-1w4a.lbm)': coldRuns(() => coldLowbit('fashion-cnn-1w4a')),
  'onnxruntime-web float32': coldRuns(() => coldOrt(onnxFiles.float, 'float32')), 'onnxruntime-web int8 (QLinearConv / QLinearMatMul)': coldRuns(() => coldOrt(onnxFiles.int8, 'uint8')),
  'onnxruntime-node float32 (native, 1 thread)': NaN, 'onnxruntime-node int8 (native, 1 thread)': NaN,
};
const size = {
  'lowbit 1W1A (fashion-cnn-1w1a.lbm)': models['fashion-cnn-1w1a'].bytes, 'lowbit 1W4A (fashion-cnn-1w4a.lbm)': models['fashion-cnn-1w4a'].bytes,
  'onnxruntime-web float32': onnx.float[0], 'onnxruntime-web int8 (QLinearConv / QLinearMatMul)': onnx.int8[0],
  'onnxruntime-node float32 (native, 1 thread)': onnx.float[0], 'onnxruntime-node int8 (native, 1 thread)': onnx.int8[0],
};
const names = Object.keys(lat1);
const kb = (b) => `${(b.length / 1024).toFixed(1)} KB`;
const rowsTable = names.map((k) => `| ${k} | ${(median(lat1[k]) * 1000).toFixed(0)} us | ${(64 / median(lat64[k]) * 1000).toFixed(0)} | ${kb(size[k])} (${kb(gzipSync(size[k]))} gz) | ${Number.isNaN(coldMs[k]) ? '-' : `${coldMs[k].toFixed(1)} ms`} |`);
const F = 'onnxruntime-web float32', Q = 'onnxruntime-web int8 (QLinearConv / QLinearMatMul)', B1 = names[0], B4 = names[1];
const NF = 'onnxruntime-node float32 (native, 1 thread)', NQ = 'onnxruntime-node int8 (native, 1 thread)';
const line = (a, b, t) => `| ${a.split(' (')[0]} vs ${b.replace('onnxruntime-web ', 'ORT ').replace('onnxruntime-node ', 'native ORT ').split(' (')[0]} | ${ratio(lat1, a, b).toFixed(2)}x | ${ratio(lat64, a, b).toFixed(2)}x | ${t} |`;
const section = `## Models in ${host.label}: the shipped Fashion-MNIST CNNs vs onnxruntime-web (and native onnxruntime-node)

\`bench/models.mjs --rounds ${ROUNDS}\` (${new Date().toISOString()}; ${os.cpus().length} x ${os.cpus()[0]?.model ?? 'CPU'}, ${host.label}; lowbit build ${lb.relaxedSimd ? 'lowbit-relaxed.wasm' : 'lowbit.wasm'}; onnxruntime-web ${ort.env.versions?.web ?? ''}, wasm, 1 thread).
Architecture: conv 3x3 32 - pool - conv 3x3 64 - pool - dense 256 - dense 10 (README "Training"). lowbit runs the
integer-only plans in models/; ONNX: the same shapes, BN folded, float32 (Conv / Gemm) and int8
(QLinearConv / QLinearMatMul, u8 in). Latency: median over ${ROUNDS} rounds of each round's p50.

| model | batch-1 latency | batch-64 images/s | file size | import -> first prediction |
|---|---:|---:|---:|---:|
${rowsTable.join('\n')}

| ratio (time of the second / time of the first) | batch 1 | batch 64 | target (batch-1 latency) |
|---|---:|---:|---:|
${line(B1, F, '10x')}
${line(B1, Q, '3x')}
${line(B4, F, '5x')}
${line(B4, Q, '1.5x')}
${ortNode ? [line(B1, NF, '-'), line(B1, NQ, '> 1x at both batch sizes'), line(B4, NQ, '-')].join('\n') : '| native onnxruntime-node | - | - | not loadable in this host |'}

Model file size vs float32 ONNX: 1W1A ${(size[F].length / size[B1].length).toFixed(1)}x smaller, 1W4A ${(size[F].length / size[B4].length).toFixed(1)}x smaller (target 20x).
`;
await writeSection(values.out, `models-${host.id}`, section);
console.log(section);
