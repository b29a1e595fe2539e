// The graph presets against onnxruntime-web float32 running the same architectures: the shipped
// resnet (1W1A, Bi-Real-style residual stream) and mobilenet (4W4A, depthwise-separable) .lbm
// models, and ONNX graphs this script builds with their shapes (random weights: speed does not
// depend on the values; batch norm folded into the convolutions as an exporter would, and kept as
// BatchNormalization where it sits on the residual stream before a sign; the binary net's sign
// activations as ONNX Sign). onnxruntime-web runs wasm, 1 thread. Batch-1 latency and
// batch-64 throughput are medians over rounds, each round timing every contender (tinybench); the
// ratios are medians of per-round ratios. Writes the "Graph models" section of bench/RESULTS.md.
//
//   npm run build && node bench/graph-models.mjs [--rounds 5]
import { parseArgs } from 'node:util';
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { measureRounds, median, ratio } from './rounds.mjs';
import * as ort from 'onnxruntime-web';
import { init, Engine } from '../dist/node/index.js';
import { onnxModel, DT, randomWeights, ortWebOneThread } from './onnx.mjs';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' }, out: { type: 'string', default: 'bench/RESULTS.md' } } });
const ROUNDS = Number(values.rounds), TIME = 300;
ortWebOneThread(ort);
const { floats } = randomWeights(7);

/** A float graph builder: conv / pool / add nodes with fresh names and random initializers. */
function graph() {
  const nodes = [], inits = [];
  let k = 0;
  const name = (p) => `${p}${k++}`;
  const g = {
    nodes, inits,
    conv(x, cin, cout, ksize, { stride = 1, groups = 1 } = {}) {
      const w = name('w'), b = name('b'), y = name('c'), pad = (ksize - 1) / 2;
      inits.push({ name: w, type: DT.FLOAT, dims: [cout, cin / groups, ksize, ksize], data: floats((cout * cin * ksize * ksize) / groups, 0.1) });
      inits.push({ name: b, type: DT.FLOAT, dims: [cout], data: floats(cout, 0.1) });
      nodes.push({ op: 'Conv', inputs: [x, w, b], outputs: [y], attrs: { kernel_shape: [ksize, ksize], pads: [pad, pad, pad, pad], strides: [stride, stride], group: groups } });
      return y;
    },
    weight(dims, scale) { const w = name('w'); inits.push({ name: w, type: DT.FLOAT, dims, data: floats(dims.reduce((x, y) => x * y, 1), scale) }); return w; },
    bn(x, c) {
      const y = name('bn'), ps = ['scale', 'bias', 'mean', 'var'].map((p) => { const t = name(p); inits.push({ name: t, type: DT.FLOAT, dims: [c], data: p === 'var' ? floats(c, 0.5).map((v) => v + 1) : floats(c, 0.5) }); return t; });
      nodes.push({ op: 'BatchNormalization', inputs: [x, ...ps], outputs: [y] });
      return y;
    },
    op(op, inputs, attrs) { const y = name(op.toLowerCase()); nodes.push({ op, inputs, outputs: [y], ...(attrs ? { attrs } : {}) }); return y; },
    head(x, c) {
      const f = g.op('Flatten', [g.op('GlobalAveragePool', [x])], { axis: 1 }), w = name('w'), b = name('b');
      inits.push({ name: w, type: DT.FLOAT, dims: [c, 10], data: floats(c * 10, 0.1) }, { name: b, type: DT.FLOAT, dims: [10], data: floats(10, 0.1) });
      nodes.push({ op: 'Gemm', inputs: [g.op('Relu', [f]), w, b], outputs: ['y'] });
    },
  };
  return g;
}

/** src/train/presets.ts resnet in ONNX (NCHW): batch norm before each sign stays a BatchNormalization node; RPReLU is Add, PRelu, Add. */
function resnetOnnx(n) {
  const g = graph();
  const bnSign = (v, c) => g.op('Sign', [g.bn(v, c)]);
  let s = g.op('AveragePool', [g.conv('x', 1, 32, 3)], { kernel_shape: [2, 2], strides: [2, 2] });
  // RPReLU after each add: per-channel shift, PReLU, shift
  const rprelu = (v, c) => g.op('Add', [g.op('PRelu', [g.op('Add', [v, g.weight([c, 1, 1], 0.1)]), g.weight([c, 1, 1], 0.25)]), g.weight([c, 1, 1], 0.1)]);
  const block = (v, c) => rprelu(g.op('Add', [v, g.conv(bnSign(v, c), c, c, 3)]), c);
  s = block(block(s, 32), 32);
  const p = g.op('AveragePool', [s], { kernel_shape: [2, 2], strides: [2, 2] });
  s = rprelu(g.op('Add', [g.op('Concat', [p, p], { axis: 1 }), g.conv(bnSign(p, 32), 32, 64, 3)]), 64);
  s = block(block(s, 64), 64);
  const f = g.op('Flatten', [bnSign(s, 64)], { axis: 1 });
  g.nodes.push({ op: 'Gemm', inputs: [f, g.weight([3136, 256], 0.03), g.weight([256], 0.1)], outputs: ['d1'] });
  g.nodes.push({ op: 'Gemm', inputs: [g.op('Sign', ['d1']), g.weight([256, 10], 0.1), g.weight([10], 0.1)], outputs: ['y'] });
  return onnxModel({ nodes: g.nodes, inputs: [{ name: 'x', type: DT.FLOAT, dims: [n, 1, 28, 28] }], outputs: [{ name: 'y', type: DT.FLOAT, dims: [n, 10] }], initializers: g.inits });
}

/** src/train/presets.ts mobilenet in ONNX (NCHW). */
function mobilenetOnnx(n) {
  const g = graph();
  let h = g.op('Relu', [g.conv('x', 1, 32, 3)]);
  const pair = (v, c, out, stride) => g.op('Relu', [g.conv(g.op('Relu', [g.conv(v, c, c, 3, { stride, groups: c })]), c, out, 1)]);
  h = pair(h, 32, 64, 2); h = pair(h, 64, 128, 1); h = pair(h, 128, 128, 2); h = pair(h, 128, 256, 1);
  g.head(h, 256);
  return onnxModel({ nodes: g.nodes, inputs: [{ name: 'x', type: DT.FLOAT, dims: [n, 1, 28, 28] }], outputs: [{ name: 'y', type: DT.FLOAT, dims: [n, 10] }], initializers: g.inits });
}

const lb = await init();
const data = new Uint8Array(64 * 784).map((_, i) => (i * 37 + (i >> 5)) & 255), one = data.subarray(0, 784);
const sess = async (m) => ort.InferenceSession.create(m, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
const xf = (n) => new ort.Tensor('float32', Float32Array.from(data.subarray(0, n * 784), (v) => v / 255), [n, 1, 28, 28]);
const models = [
  { file: 'fashion-resnet-1w1a', label: 'resnet 1W1A', onnx: resnetOnnx },
  { file: 'fashion-mobilenet-4w4a', label: 'mobilenet 4W4A', onnx: mobilenetOnnx },
];
for (const m of models) {
  m.bytes = new Uint8Array(await readFile(new URL(`../models/${m.file}.lbm`, import.meta.url)));
  m.engine = await Engine.load(m.bytes, { runtime: lb });
  m.onnxBytes = m.onnx(1).length;
  m.ort = [await sess(m.onnx(1)), await sess(m.onnx(64))];
}
const tasks = (n) => models.flatMap((m) => [
  [`lowbit ${m.label}`, () => m.engine.predict(n === 1 ? one : data, n)],
  [`onnxruntime-web float32, ${m.label.split(' ')[0]}`, async () => { await m.ort[n === 1 ? 0 : 1].run({ x: xf(n) }); }],
]);
const measure = (n) => measureRounds(tasks(n), ROUNDS, TIME);
const lat1 = await measure(1), lat64 = await measure(64);

const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
const rows = models.map((m) => {
  const a = `lowbit ${m.label}`, b = `onnxruntime-web float32, ${m.label.split(' ')[0]}`;
  return `| ${m.label} (\`models/${m.file}.lbm\`, ${m.bytes.length.toLocaleString('en-US')} B; ONNX float ${m.onnxBytes.toLocaleString('en-US')} B) | ${(median(lat1[a]) * 1000).toFixed(0)} | ${(median(lat1[b]) * 1000).toFixed(0)} | **${ratio(lat1, a, b).toFixed(2)}x** | ${(64000 / median(lat64[a])).toFixed(0)} | ${(64000 / median(lat64[b])).toFixed(0)} | **${ratio(lat64, a, b).toFixed(2)}x** |`;
});
const section = `<!-- graph-models:start -->
## Graph models (residual and depthwise-separable) vs onnxruntime-web float32

Machine: ${cpu}, ${os.cpus().length} cores, Node ${process.versions.node}, ${new Date().toISOString().slice(0, 10)}; one thread each;
\`node bench/graph-models.mjs --rounds ${ROUNDS}\`. onnxruntime-web (wasm SIMD, 1 thread) runs the same architectures
built by the script (random weights, batch norm folded, sign as ONNX Sign). Medians over ${ROUNDS} rounds; ratios are
medians of per-round ratios (how many times faster lowbit is).

| model | lowbit batch-1 (us) | ORT-web f32 batch-1 (us) | batch-1 speed-up | lowbit batch-64 (img/s) | ORT-web f32 batch-64 (img/s) | batch-64 speed-up |
|---|---:|---:|---:|---:|---:|---:|
${rows.join('\n')}
<!-- graph-models:end -->`;
console.log(section);
const path = values.out, text = await readFile(path, 'utf8').catch(() => '');
const re = /<!-- graph-models:start -->[\s\S]*<!-- graph-models:end -->/;
await writeFile(path, re.test(text) ? text.replace(re, section) : `${text.trimEnd()}\n\n${section}\n`);
