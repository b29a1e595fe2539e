// Batch inference on worker threads: batch-256 throughput of each shipped model with 1 thread (the
// Engine) and with N threads (Engine.load(bytes, { threads: N })), rounds interleaved, median of
// per-round ratios; predictions checked identical. Writes the "Threads" section of bench/RESULTS.md.
//
//   npm run build && node bench/threads.mjs [--threads 2] [--rounds 7]
import { parseArgs } from 'node:util';
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { Engine } from '../dist/node/lowbit.js';
import { batchRate, median } from './rounds.mjs';
import { decodeModel, planValues, validatePlan } from '../dist/infer/format.js';
import { stepOutputShape } from '../dist/infer/plan.js';
import { runTraining, TRAIN_DEFAULTS } from '../dist/node/train-command.js';

const { values } = parseArgs({ options: { threads: { type: 'string', default: '2' }, rounds: { type: 'string', default: '7' }, out: { type: 'string', default: 'bench/RESULTS.md' } } });
const T = Number(values.threads), ROUNDS = Number(values.rounds), BATCH = 256, TIME = 1000;
const pixels = new Uint8Array(BATCH * 784).map((_, i) => (i * 37 + (i >> 7)) & 255);
const rate = (fn) => batchRate(fn, BATCH, TIME);
/** Bytes of activations one image writes and reads again (each value once each way): a lower bound on its memory traffic. */
function activationBytes(bytes) {
  const plan = decodeModel(bytes);
  const size = (v) => v.shape[0] * v.shape[1] * (v.kind === 'bits' ? Math.ceil(v.shape[2] / 64) * 8 : v.kind === 'codes' || v.kind === 'pixels' ? v.shape[2] : 4 * v.shape[2]);
  if (plan.graph) return 2 * planValues(plan).reduce((a, v) => a + size(v), 0);
  validatePlan(plan);
  let total = 784;
  for (const st of plan.steps) { const [h, w, c] = stepOutputShape(st); total += h * w * (st.output === 'bits' ? Math.ceil(c / 64) * 8 : st.output === 'codes' ? c : 4 * c); }
  return 2 * total;
}

/** Memory copy bandwidth (GB/s, read + write) with `threads` workers copying 64 MB buffers at once. */
async function copyBandwidth(threads) {
  const src = `const { parentPort } = require('node:worker_threads'); const a = new Float64Array(8 << 20), b = new Float64Array(8 << 20); a.fill(1);
    parentPort.on('message', () => { b.set(a); const t0 = performance.now(); let n = 0; while (performance.now() - t0 < 1000) { b.set(a); n++; } parentPort.postMessage((n * 2 * a.byteLength) / ((performance.now() - t0) / 1000)); });`;
  const workers = Array.from({ length: threads }, () => new Worker(src, { eval: true }));
  const rates = await Promise.all(workers.map((w) => new Promise((res) => { w.once('message', res); w.postMessage(0); })));
  await Promise.all(workers.map((w) => w.terminate()));
  return rates.reduce((a, b) => a + b, 0) / 1e9;
}

const rows = [], measured = [];
for (const name of ['fashion-cnn-1w1a', 'fashion-cnn-1w4a', 'fashion-resnet-1w1a', 'fashion-mobilenet-4w4a']) {
  const bytes = new Uint8Array(await readFile(new URL(`../models/${name}.lbm`, import.meta.url)));
  const one = await Engine.load(bytes), pool = await Engine.load(bytes, { threads: T });
  const a = one.predict(pixels, BATCH), b = await pool.predict(pixels, BATCH);
  if (a.some((v, i) => v !== b[i])) throw new Error(`${name}: the pool's predictions differ from one thread's`);
  const r1 = [], rN = [], ratio = [];
  for (let r = 0; r < ROUNDS; r++) {
    const x = await rate(() => one.predict(pixels, BATCH)), y = await rate(() => pool.predict(pixels, BATCH));
    r1.push(x); rN.push(y); ratio.push(y / x);
  }
  rows.push(`| ${name} | ${median(r1).toFixed(0)} | ${median(rN).toFixed(0)} | ${median(ratio).toFixed(2)}x |`);
  measured.push({ name, one: median(r1), speedup: median(ratio), bytes: activationBytes(bytes) });
  console.log(rows.at(-1));
  pool.dispose(); one.dispose();
}
// data-parallel training on the shipped subset's 3000 images, cnn 1W4A, batch 64, two epochs: the
// first includes starting the threads, compiling and warming the code; the second is steady state
const trainRate = async (threads) => {
  const ips = [];
  await runTraining({ ...TRAIN_DEFAULTS, arch: 'cnn', data: 'subset', epochs: 2, threads }, { log: (l) => { const m = /, ([\d.]+) images\/s/.exec(l); if (m && l.startsWith('epoch')) ips.push(Number(m[1])); } });
  return ips;
};
const t1 = [[], []], tN = [[], []], tr = [[], []];
for (let r = 0; r < ROUNDS; r++) {
  const a = await trainRate(1), b = await trainRate(T);
  for (const e of [0, 1]) { t1[e].push(a[e]); tN[e].push(b[e]); tr[e].push(b[e] / a[e]); }
}
const trainRow = ['first epoch of 3000 images (with start-up)', 'second epoch (steady state)']
  .map((what, e) => `| training, cnn 1W4A, batch 64, ${what} | ${median(t1[e]).toFixed(0)} | ${median(tN[e]).toFixed(0)} | ${median(tr[e]).toFixed(2)}x (target 1.6x) |`).join('\n');
console.log(trainRow);
// the estimate for more cores: Amdahl's law with the serial fraction s that the measured T-thread
// speed-up implies (S = 1 / (s + (1 - s) / T)), capped by memory bandwidth over activation traffic
const bw1 = await copyBandwidth(1), bwT = await copyBandwidth(T);
const estimate = measured.map((m) => {
  const s = Math.max(0, (T / m.speedup - 1) / (T - 1)), amdahl = (n) => 1 / (s + (1 - s) / n), cap = (bwT * 1e9) / m.bytes / m.one;
  return `| ${m.name} | ${(100 * s).toFixed(1)}% | ${(m.bytes / 1024).toFixed(0)} KB | ${[4, 8, 16].map((n) => `${amdahl(n).toFixed(1)}x`).join(' | ')} | ${cap.toFixed(0)}x |`;
});
const section = `<!-- threads:start -->
## Threads: batch inference on worker threads

\`node bench/threads.mjs --threads ${T} --rounds ${ROUNDS}\` (${new Date().toISOString()}; ${os.cpus().length} x ${os.cpus()[0]?.model ?? 'CPU'}, Node ${process.versions.node}).
Batch 256, images/s (median over ${ROUNDS} rounds of ${TIME} ms each, 1 thread and ${T} threads interleaved); the ratio is the median of per-round ratios. Predictions are identical.

| model | 1 thread | ${T} threads | ratio (target 1.8x at 2 threads) |
|---|---:|---:|---:|
${rows.join('\n')}

Data-parallel training (\`lowbit train --threads ${T}\`), images/s, median over ${ROUNDS} interleaved runs:

| run | 1 thread | ${T} threads | ratio |
|---|---:|---:|---:|
${trainRow}

**An estimate, not a measurement**, for 4, 8 and 16 cores (this machine has 2). The serial fraction s is what the
measured ${T}-thread speed-up implies under Amdahl's law (S = 1 / (s + (1 - s) / ${T}); it lumps together the
caller's own work, messages and waiting for the slower worker), and S(n) = 1 / (s + (1 - s) / n) assumes every core
as fast as these and nothing else shared. The bandwidth cap: memory copy bandwidth measured here (${bw1.toFixed(1)} GB/s
with 1 thread, ${bwT.toFixed(1)} GB/s with ${T}) over the bytes of activations one image writes and reads (a lower
bound on its traffic; weights are read once per batch and stay in cache), as a multiple of the 1-thread rate. Where the
cap is far above S(n), memory bandwidth does not limit these models on more cores; the serial fraction does.

| model | serial fraction s | activation traffic per image | S(4) | S(8) | S(16) | bandwidth cap |
|---|---:|---:|---:|---:|---:|---:|
${estimate.join('\n')}
<!-- threads:end -->
`;
let md = await readFile(values.out, 'utf8').catch(() => '# Benchmarks\n');
md = md.includes('<!-- threads:start -->') ? md.replace(/<!-- threads:start -->[\s\S]*<!-- threads:end -->\n?/, section) : `${md.trimEnd()}\n\n${section}`;
await writeFile(values.out, md);
console.log(section);
