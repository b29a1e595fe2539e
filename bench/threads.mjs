// Batch inference on worker threads: batch-256 throughput of each shipped model with 1 thread (the
// Engine) and with N threads (Engine.load(bytes, { threads: N })), rounds interleaved, median of
// per-round ratios; predictions checked identical. Writes the "Threads" section of bench/RESULTS.md.
//
//   npm run build && node bench/threads.mjs [--threads 2] [--rounds 7]
import { parseArgs } from 'node:util';
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { Engine } from '../dist/node/lowbit.js';
import { runTraining, TRAIN_DEFAULTS } from '../dist/node/train-command.js';

const { values } = parseArgs({ options: { threads: { type: 'string', default: '2' }, rounds: { type: 'string', default: '7' }, out: { type: 'string', default: 'bench/RESULTS.md' } } });
const T = Number(values.threads), ROUNDS = Number(values.rounds), BATCH = 256, TIME = 1000;
const pixels = new Uint8Array(BATCH * 784).map((_, i) => (i * 37 + (i >> 7)) & 255);
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
async function rate(fn) {
  await fn();
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < TIME) { await fn(); n += BATCH; }
  return n / ((performance.now() - t0) / 1000);
}
const rows = [];
for (const name of ['fashion-cnn-1w1a', 'fashion-cnn-1w4a']) {
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
  console.log(rows.at(-1));
  pool.dispose(); one.dispose();
}
// data-parallel training: one epoch of the shipped subset's 3000 images, cnn 1W4A, batch 64
const trainRate = async (threads) => {
  let ips = 0;
  await runTraining({ ...TRAIN_DEFAULTS, arch: 'cnn', data: 'subset', epochs: 1, threads }, { log: (l) => { const m = /, ([\d.]+) images\/s/.exec(l); if (m && l.startsWith('epoch')) ips = Number(m[1]); } });
  return ips;
};
const t1 = [], tN = [], tr = [];
for (let r = 0; r < ROUNDS; r++) { const a = await trainRate(1), b = await trainRate(T); t1.push(a); tN.push(b); tr.push(b / a); }
const trainRow = `| training, cnn 1W4A, batch 64 (one epoch of 3000 images) | ${median(t1).toFixed(0)} | ${median(tN).toFixed(0)} | ${median(tr).toFixed(2)}x (target 1.6x) |`;
console.log(trainRow);
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
<!-- threads:end -->
`;
let md = await readFile(values.out, 'utf8').catch(() => '# Benchmarks\n');
md = md.includes('<!-- threads:start -->') ? md.replace(/<!-- threads:start -->[\s\S]*<!-- threads:end -->\n?/, section) : `${md.trimEnd()}\n\n${section}`;
await writeFile(values.out, md);
console.log(section);
