// How the SDP solver scales: one relaxation (Fashion-MNIST, one class against the rest, PCA to d
// features) for d up to 256 and n up to 10k, each in a fresh process so that its peak memory is its
// own. A solve stops when the objective falls by less than 1e-4 (relative) over 500 iterations, or
// after 10 minutes; the table gives iterations, time, the value and certified bound, and peak RSS.
// Appends its table to bench/SDP.md (replacing an earlier one).
//
//   npm run build && node bench/sdp-scale.mjs [--d 16,32,64,128,256] [--n 1000,10000]
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import os from 'node:os';

const { values } = parseArgs({ options: { d: { type: 'string', default: '16,32,64,128,256' }, n: { type: 'string', default: '1000,10000' }, one: { type: 'string' }, out: { type: 'string', default: 'bench/SDP.md' } } });
const LIMIT_MS = 10 * 60_000;

if (values.one) {
  // child: solve one problem, print a JSON line
  const [n, d] = values.one.split('x').map(Number);
  const { init, loadFashionMnist } = await import('../dist/node/index.js');
  const { fitProjection, applyProjection } = await import('../dist/sdp/features.js');
  const { solveSdp } = await import('../dist/sdp/solve.js');
  const lb = await init(), fm = await loadFashionMnist();
  const rows = Float64Array.from(fm.train.images.subarray(0, n * 784), (p) => p / 255);
  const t0 = performance.now();
  const proj = fitProjection(rows, n, 784, d, { heap: lb.heap });
  const x = applyProjection(proj, rows, n), y = Float64Array.from({ length: n }, (_, i) => (fm.train.labels[i] === 0 ? 1 : 0));
  const tProj = performance.now() - t0;
  const t1 = performance.now();
  const sol = solveSdp({ x, y, n, d, act: { a: 1, b: 1, c: 0 }, beta: 1 }, { heap: lb.heap, maxIterations: 1e6, timeLimitMs: LIMIT_MS, stallTol: 1e-4, tol: 1e-4 });
  const ms = performance.now() - t1;
  console.log(JSON.stringify({ n, d, iterations: sol.iterations, ms, projMs: tProj, value: sol.value, lower: sol.lower, rssMB: process.resourceUsage().maxRSS / 1024, wasmMB: lb.heap.wasm.memoryBytes() / 2 ** 20, limited: ms >= LIMIT_MS }));
  process.exit(0);
}

const rows = [];
for (const n of values.n.split(',').map(Number)) for (const d of values.d.split(',').map(Number)) {
  const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--one', `${n}x${d}`], { encoding: 'utf8', maxBuffer: 1 << 20 });
  const r = JSON.parse(out.trim().split('\n').at(-1));
  rows.push(r);
  console.log(`n ${n} d ${d}: ${r.iterations} iterations, ${(r.ms / 1000).toFixed(1)} s, value ${r.value.toFixed(3)}, bound ${r.lower.toFixed(3)}, peak RSS ${r.rssMB.toFixed(0)} MB${r.limited ? ' (time limit)' : ''}`);
}
const solved = rows.filter((r) => !r.limited).sort((a, b) => a.n * a.d * a.d - b.n * b.d * b.d).at(-1);
const table = `## Scale

\`node bench/sdp-scale.mjs\` (${new Date().toISOString()}; ${os.cpus().length} x ${os.cpus()[0]?.model ?? 'CPU'}, Node ${process.versions.node}, one thread).
One relaxation per row: Fashion-MNIST training images, T-shirt/top against the rest (targets 1 / 0), PCA to d features,
sigma(t) = t^2 + t, beta = 1, full rank r = d + 1, products on the wasm f32 GEMM. A solve stops when the objective
falls by less than 1e-4 (relative) over 500 iterations, or at 10 minutes. Time excludes the projection (given apart).

| n | d | iterations | solve s | s / iteration | projection s | value | certified bound | peak RSS MB | wasm MB |
|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|
${rows.map((r) => `| ${r.n} | ${r.d} | ${r.iterations} | ${(r.ms / 1000).toFixed(1)}${r.limited ? ' (limit)' : ''} | ${(r.ms / 1000 / Math.max(1, r.iterations)).toFixed(3)} | ${(r.projMs / 1000).toFixed(1)} | ${r.value.toFixed(3)} | ${r.lower.toFixed(3)} | ${r.rssMB.toFixed(0)} | ${r.wasmMB.toFixed(0)} |`).join('\n')}

Largest problem solved (stalled) within 10 minutes: ${solved ? `n = ${solved.n}, d = ${solved.d}` : 'none'}.
`;
let md = await readFile(values.out, 'utf8').catch(() => '');
md = md.includes('## Scale') ? md.slice(0, md.indexOf('## Scale')) + table : `${md.trimEnd()}\n\n${table}`;
await writeFile(values.out, md);
