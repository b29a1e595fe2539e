// Data-parallel training's accuracy against one thread, several seeds: the same run (cnn 1W4A, BCGD,
// full Fashion-MNIST) with --threads 1 and --threads N for each seed; final test accuracy and
// images/s. Writes the "Threads: training accuracy by seed" section of bench/RESULTS.md.
//
//   npm run build && node bench/threads-seeds.mjs [--threads 2] [--seeds 3] [--epochs 2]
import { parseArgs } from 'node:util';
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { runTraining, TRAIN_DEFAULTS } from '../dist/node/train-command.js';

const { values } = parseArgs({ options: { threads: { type: 'string', default: '2' }, seeds: { type: 'string', default: '3' }, epochs: { type: 'string', default: '2' }, out: { type: 'string', default: 'bench/RESULTS.md' } } });
const T = Number(values.threads), SEEDS = Number(values.seeds), EPOCHS = Number(values.epochs);
const run = async (threads, seed) => {
  let ips = 0;
  const r = await runTraining({ ...TRAIN_DEFAULTS, arch: 'cnn', wbits: 1, abits: 4, epochs: EPOCHS, seed, threads }, { log: (l) => { const m = /, ([\d.]+) images\/s/.exec(l); if (m && l.startsWith('epoch')) ips = Number(m[1]); } });
  return { acc: 100 * r.testAccuracy, ips };
};
const rows = [], acc1 = [], accN = [];
for (let seed = 1; seed <= SEEDS; seed++) {
  const a = await run(1, seed), b = await run(T, seed);
  acc1.push(a.acc); accN.push(b.acc);
  rows.push(`| ${seed} | ${a.acc.toFixed(2)} | ${b.acc.toFixed(2)} | ${(b.acc - a.acc).toFixed(2)} | ${a.ips.toFixed(0)} | ${b.ips.toFixed(0)} |`);
  console.log(rows.at(-1));
}
const mean = (xs) => xs.reduce((s, x) => s + x, 0) / xs.length, sd = (xs) => Math.sqrt(xs.reduce((s, x) => s + (x - mean(xs)) ** 2, 0) / (xs.length - 1));
const section = `<!-- threads-seeds:start -->
## Threads: training accuracy by seed

\`node bench/threads-seeds.mjs --threads ${T} --seeds ${SEEDS} --epochs ${EPOCHS}\` (${new Date().toISOString()}; ${os.cpus().length} x ${os.cpus()[0]?.model ?? 'CPU'}, Node ${process.versions.node}).
\`lowbit train --arch cnn --wbits 1 --abits 4 --epochs ${EPOCHS} --seed S\` on the full Fashion-MNIST training set, with 1 thread and with
\`--threads ${T}\` (data-parallel: batch norm statistics of the whole batch, summed across the threads, and gradients summed in a fixed order); test accuracy on the
10,000 test images after the last epoch; images/s of the last epoch.

| seed | 1 thread % | ${T} threads % | difference | 1 thread img/s | ${T} threads img/s |
|---:|---:|---:|---:|---:|---:|
${rows.join('\n')}

Mean ${mean(acc1).toFixed(2)}% (sd ${sd(acc1).toFixed(2)}) with 1 thread, ${mean(accN).toFixed(2)}% (sd ${sd(accN).toFixed(2)}) with ${T}.
<!-- threads-seeds:end -->
`;
let md = await readFile(values.out, 'utf8').catch(() => '# Benchmarks\n');
md = md.includes('<!-- threads-seeds:start -->') ? md.replace(/<!-- threads-seeds:start -->[\s\S]*<!-- threads-seeds:end -->\n?/, section) : md.replace('<!-- threads:end -->\n', `<!-- threads:end -->\n\n${section}`);
await writeFile(values.out, md);
console.log(section);
