// The two designs of an engine pool side by side, for every shipped model: 'replicated' (each thread
// its own wasm instance, memory and copy of the model) and 'shared' (one shared memory holding the
// model once, the workers instantiating the calling thread's compiled module). Start-up and memory
// come from fresh child processes (start: Engine.load to a ready pool; memory: resident set growth
// after one batch of 256, and the wasm memory); throughput is batch-256 images/s against one
// thread, rounds interleaved, median of per-round ratios. Writes "Threads: replicated vs shared
// memory" in bench/RESULTS.md.
//
//   npm run build && node bench/threads-design.mjs [--threads 2] [--rounds 7] [--starts 5]
import { parseArgs } from 'node:util';
import { readFile, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import { Engine } from '../dist/node/lowbit.js';
import { batchRate, median } from './rounds.mjs';

const { values } = parseArgs({ options: {
  threads: { type: 'string', default: '2' }, rounds: { type: 'string', default: '7' }, starts: { type: 'string', default: '5' },
  out: { type: 'string', default: 'bench/RESULTS.md' }, child: { type: 'string' }, model: { type: 'string' },
} });
const T = Number(values.threads), BATCH = 256, TIME = 1000;
const pixels = new Uint8Array(BATCH * 784).map((_, i) => (i * 37 + (i >> 7)) & 255);
const modelBytes = async (name) => new Uint8Array(await readFile(new URL(`../models/${name}.lbm`, import.meta.url)));

if (values.child) {
  // one start in a fresh process: load time, then memory after the first batch
  const bytes = await modelBytes(values.model), rss0 = process.memoryUsage().rss;
  const t0 = performance.now();
  const pool = await Engine.load(bytes, { threads: T, memory: values.child });
  const start = performance.now() - t0;
  await pool.predict(pixels, BATCH);
  process.stdout.write(JSON.stringify({ start, rss: process.memoryUsage().rss - rss0 }));
  pool.dispose();
  process.exit(0);
}

const rate = (fn) => batchRate(fn, BATCH, TIME);

const self = fileURLToPath(import.meta.url), rows = [];
for (const name of ['fashion-cnn-1w1a', 'fashion-cnn-1w4a', 'fashion-resnet-1w1a', 'fashion-mobilenet-4w4a']) {
  const fresh = {};
  for (const design of ['replicated', 'shared']) {
    const runs = Array.from({ length: Number(values.starts) }, () => JSON.parse(execFileSync(process.execPath, [...process.execArgv, self, '--child', design, '--model', name, '--threads', String(T)], { encoding: 'utf8' })));
    fresh[design] = { start: median(runs.map((r) => r.start)), rss: median(runs.map((r) => r.rss)) };
  }
  const bytes = await modelBytes(name), one = await Engine.load(bytes);
  const pools = { replicated: await Engine.load(bytes, { threads: T, memory: 'replicated' }), shared: await Engine.load(bytes, { threads: T, memory: 'shared' }) };
  const ref = one.predict(pixels, BATCH);
  for (const [design, pool] of Object.entries(pools)) {
    if ((await pool.predict(pixels, BATCH)).some((v, i) => v !== ref[i])) throw new Error(`${name}: the ${design} pool's predictions differ from one thread's`);
  }
  const r = { one: [], replicated: [], shared: [] }, ratio = { replicated: [], shared: [] };
  for (let k = 0; k < Number(values.rounds); k++) {
    const x = await rate(() => one.predict(pixels, BATCH));
    r.one.push(x);
    for (const [design, pool] of Object.entries(pools)) { const y = await rate(() => pool.predict(pixels, BATCH)); r[design].push(y); ratio[design].push(y / x); }
  }
  // batch 1 on the shared pool: after its trial runs it splits one image's kernels only where that was faster
  const x = pixels.subarray(0, 784), b1 = { one: [], shared: [] };
  for (let k = 0; k < 500; k++) await pools.shared.logits(x, 1);
  const latency = async (fn) => { await fn(); let n = 0; const t0 = performance.now(); while (performance.now() - t0 < 300) { await fn(); n++; } return ((performance.now() - t0) * 1000) / n; };
  for (let k = 0; k < Number(values.rounds); k++) { b1.one.push(await latency(() => one.logits(x, 1))); b1.shared.push(await latency(() => pools.shared.logits(x, 1))); }
  const mb = (b) => (b / 2 ** 20).toFixed(1);
  rows.push(`| ${name} | ${median(r.one).toFixed(0)} | ${median(r.replicated).toFixed(0)} (${median(ratio.replicated).toFixed(2)}x) | ${median(r.shared).toFixed(0)} (${median(ratio.shared).toFixed(2)}x) | ${median(b1.one).toFixed(0)} / ${median(b1.shared).toFixed(0)} (${(median(b1.one) / median(b1.shared)).toFixed(2)}x) | ${fresh.replicated.start.toFixed(0)} / ${fresh.shared.start.toFixed(0)} | ${mb(fresh.replicated.rss)} / ${mb(fresh.shared.rss)} |`);
  console.log(rows.at(-1));
  for (const p of Object.values(pools)) p.dispose();
  one.dispose();
}

const section = `<!-- threads-design:start -->
## Threads: replicated vs shared memory

\`node bench/threads-design.mjs --threads ${T} --rounds ${values.rounds} --starts ${values.starts}\` (${new Date().toISOString()}; ${os.cpus().length} x ${os.cpus()[0]?.model ?? 'CPU'}, Node ${process.versions.node}).
Batch 256, images/s (median over ${values.rounds} interleaved rounds of ${TIME} ms; in brackets the median per-round ratio to one thread).
Start-up: \`Engine.load(bytes, { threads: ${T}, memory })\` until the pool is ready, ms; memory: growth of the process's resident set
from before the load to after the first batch of 256, MiB; both medians of ${values.starts} fresh processes. Predictions are identical in all three.
Batch 1 (us per image, median of ${values.rounds} interleaved rounds of 300 ms): the replicated pool runs one image on the calling thread
alone; the shared pool cuts the rows of one image's long kernel calls across its threads where its first 400 small batches
found that faster (it keeps one thread otherwise).

| model | 1 thread | ${T} threads, replicated | ${T} threads, shared | batch 1, us: 1 thread / shared | start-up ms (replicated / shared) | memory MiB (replicated / shared) |
|---|---:|---:|---:|---:|---:|---:|
${rows.join('\n')}
<!-- threads-design:end -->
`;
let md = await readFile(values.out, 'utf8');
md = md.includes('<!-- threads-design:start -->') ? md.replace(/<!-- threads-design:start -->[\s\S]*<!-- threads-design:end -->\n?/, section) : `${md.trimEnd()}\n\n${section}`;
await writeFile(values.out, md);
