// Training throughput: lowbit's CNN (float and 1W4A with BCGD) against the same CNN in float32 on
// TensorFlow.js's wasm backend (1 thread), on the same Fashion-MNIST images, batch 64, SGD with
// momentum. Each round times every contender on the same images; a ratio is the median over rounds
// of the per-round ratios (this machine's speed drifts between runs).
//
//   npm run bench:train [-- --rounds 3 --images 1280 --out bench/TRAIN-SPEED.md]
import { parseArgs } from 'node:util';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import { init, loadFashionMnist } from '../dist/node/index.js';
import { Sequential } from '../dist/train/sequential.js';
import { Trainer } from '../dist/train/trainer.js';
import { buildLayers, describeArch } from '../dist/train/models.js';
import { tfjsWasm, makeCnn, trainSteps } from './tfjs-cnn.mjs';

const { values } = parseArgs({ options: {
  rounds: { type: 'string', default: '3' }, images: { type: 'string', default: '1280' }, out: { type: 'string', default: 'bench/TRAIN-SPEED.md' },
} });
const rounds = Number(values.rounds), images = Number(values.images), batch = 64;
const lb = await init();
const data = await loadFashionMnist();
const set = { ...data.train, count: images };

function lowbitRunner(wbits, abits) {
  const arch = { arch: 'cnn', wbits, abits };
  const model = new Sequential(lb.heap, buildLayers(arch), [28, 28, 1], 1);
  const trainer = new Trainer(model, { epochs: 1000, batch, lr: 0.02, optimizer: wbits === 32 ? 'sgd' : 'bcgd', seed: 1 }, images);
  return { name: `lowbit ${describeArch(arch)}`, run: () => trainer.runEpoch(set).imagesPerSecond };
}

const tf = await tfjsWasm();
const tfModel = makeCnn(1);
const contenders = [
  lowbitRunner(32, 32),
  lowbitRunner(1, 4),
  { name: `TensorFlow.js ${tf.version.tfjs} wasm backend, float32, 1 thread`, run: () => trainSteps(tfModel, data.train.images, data.train.labels, images, batch, 0.02) },
];
for (const c of contenders) c.run(); // warm-up (compilation, allocation)
const ips = contenders.map(() => []);
for (let r = 0; r < rounds; r++) {
  contenders.forEach((c, i) => ips[i].push(c.run()));
  console.log(`round ${r + 1}: ${contenders.map((c, i) => `${c.name}: ${ips[i][r].toFixed(0)} images/s`).join('; ')}`);
}
const median = (a) => { const s = [...a].sort((x, y) => x - y); return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const tfIdx = contenders.length - 1;
const rows = contenders.map((c, i) => `| ${c.name} | ${median(ips[i]).toFixed(0)} | ${i === tfIdx ? '1.00x' : `${median(ips[i].map((v, r) => v / ips[tfIdx][r])).toFixed(2)}x`} |`);
const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
const report = `# Training throughput

The documented CNN (README "Training": conv 32 - conv 64 - dense 256 - dense 10, BN, max pooling),
batch ${batch}, momentum SGD, ${images} Fashion-MNIST training images per timing, ${rounds} rounds after a
warm-up; each ratio is the median of per-round ratios to TensorFlow.js.

Command: \`npm run bench:train -- --rounds ${rounds} --images ${images}\`
Date: ${new Date().toISOString()}; machine: ${os.cpus().length} x ${cpu}, Node ${process.versions.node}; lowbit ${lb.relaxedSimd ? 'relaxed-SIMD' : 'SIMD128'} build.

| trainer | images/s (median) | vs TensorFlow.js wasm float |
|---|---:|---:|
${rows.join('\n')}

TensorFlow.js: its wasm backend has no Conv2DBackpropFilter kernel, so tfjs-layers cannot train a
conv net there ("Kernel 'Conv2DBackpropFilter' not registered for backend 'wasm'"). bench/tfjs-cnn.mjs
builds the same CNN from tfjs-core ops with a custom convolution gradient whose filter gradient is an
im2col (shifted slices) and one matrix product, all on the wasm backend; the fastest of the three
forms tried. lowbit's 1W4A training computes in f32 with quantized weights and activations
(fake quantization), plus the weight projections and the BCGD blend each step.
`;
await writeFile(values.out, report);
console.log(report);
