// The SDP trainer against enumeration and STE training on random two-layer problems: for each
// (n, d, beta), P_enum (the global optimum over all 2^d neurons), the relaxation's value and
// certified lower bound, the sampled-and-refit nets for several widths m, and the best of 10 STE
// starts at width 20, with times. Writes bench/SDP.md.
//
//   npm run build && node bench/sdp.mjs [--problems 2]
import { parseArgs } from 'node:util';
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { enumerateOptimum } from '../dist/sdp/enumerate.js';
import { solveSdp, seeded } from '../dist/sdp/solve.js';
import { sampleNet } from '../dist/sdp/sample.js';
import { trainSte } from '../dist/sdp/ste.js';

const { values } = parseArgs({ options: { problems: { type: 'string', default: '2' }, out: { type: 'string', default: 'bench/SDP.md' } } });
const PROBLEMS = Number(values.problems), WIDTHS = [5, 20, 100], STE_WIDTH = 20, STE_STARTS = 10;

/** Gaussian inputs, targets from a planted 3-neuron quantized net plus noise (as test/sdp.test.ts). */
function problem(n, d, beta, seed, act = { a: 1, b: 0.5, c: 0.1 }) {
  const r = seeded(seed), x = Float64Array.from({ length: n * d }, () => r.normal() / Math.sqrt(d)), y = new Float64Array(n);
  for (let j = 0; j < 3; j++) {
    const u = Array.from({ length: d }, () => (r.uniform() < 0.5 ? -1 : 1)), w = r.normal();
    for (let i = 0; i < n; i++) { let t = 0; for (let k = 0; k < d; k++) t += x[i * d + k] * u[k]; y[i] += w * (act.a * t * t + act.b * t + act.c); }
  }
  for (let i = 0; i < n; i++) y[i] += 0.1 * r.normal();
  return { x, y, n, d, act, beta };
}
const time = (fn) => { const t0 = performance.now(); const v = fn(); return [v, performance.now() - t0]; };
const rows = [], hits = { sdp: 0, ...Object.fromEntries(WIDTHS.map((m) => [`m${m}`, 0])), ste: 0 };
let count = 0;
for (const n of [20, 40]) for (const d of [4, 6, 8, 10]) for (const beta of [0.01, 0.1, 0.5]) for (let k = 0; k < PROBLEMS; k++) {
  const p = problem(n, d, beta, 1000 * n + 100 * d + 10 * k + Math.round(beta * 100));
  const [opt, tEnum] = time(() => enumerateOptimum(p));
  const [sdp, tSdp] = time(() => solveSdp(p, { seed: k + 1, tol: 1e-7 }));
  const sampled = WIDTHS.map((m) => sampleNet(p, sdp, m, k + 1).value);
  const [ste, tSte] = time(() => Math.min(...Array.from({ length: STE_STARTS }, (_, s) => trainSte(p, { m: STE_WIDTH, seed: s + 1 }).value)));
  const within = (v) => v <= opt.value * 1.01 + 1e-9;
  if (opt.value - sdp.value <= 0.01 * opt.value + 1e-9) hits.sdp++; // the relaxation is below P_enum: tight within 1%
  WIDTHS.forEach((m, i) => { if (within(sampled[i])) hits[`m${m}`]++; });
  if (within(ste)) hits.ste++;
  count++;
  rows.push(`| ${n} | ${d} | ${beta} | ${opt.value.toFixed(4)} | ${sdp.value.toFixed(4)} | ${sdp.lower.toFixed(4)} | ${sampled.map((v) => v.toFixed(4)).join(' | ')} | ${ste.toFixed(4)} | ${tEnum.toFixed(0)} | ${tSdp.toFixed(0)} | ${tSte.toFixed(0)} |`);
  console.log(rows.at(-1));
}
const pct = (h) => `${h} of ${count} (${((100 * h) / count).toFixed(0)}%)`;
const md = `# SDP trainer vs enumeration and STE

\`node bench/sdp.mjs --problems ${PROBLEMS}\` (${new Date().toISOString()}; ${os.cpus().length} x ${os.cpus()[0]?.model ?? 'CPU'}, Node ${process.versions.node}, one thread).

Random problems: n inputs x ~ N(0, I/d), targets from a planted 3-neuron net (sigma(t) = t^2 + 0.5 t + 0.1) plus
noise 0.1; objective 1/2 sum (f(x_i) - y_i)^2 + beta sum |alpha_j|. Columns:
- P_enum: the optimum over nets of any width (lasso over all 2^d neurons, certified to 1e-10 by its duality gap);
- SDP, bound: the relaxation's value at the solver's point and its certified lower bound (docs/sdp.md);
- sampled m: Grothendieck sampling of m neurons from the solution, output weights refit by the lasso;
- STE: the best of ${STE_STARTS} straight-through-estimator runs (Adam, 2000 full-batch steps, width ${STE_WIDTH}), output weights refit by the lasso;
- times in ms: enumeration, SDP solve, all ${STE_STARTS} STE runs.

| n | d | beta | P_enum | SDP | bound | sampled m=5 | m=20 | m=100 | STE best of ${STE_STARTS} | t enum | t SDP | t STE |
|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|
${rows.join('\n')}

Within 1% of P_enum: the relaxation (SDP >= 0.99 P_enum: tight) ${pct(hits.sdp)}; nets (<= 1.01 P_enum): sampled m = 5: ${pct(hits.m5)}, m = 20: ${pct(hits.m20)}, m = 100: ${pct(hits.m100)}; STE (width ${STE_WIDTH}, best of ${STE_STARTS}): ${pct(hits.ste)}.
`;
// keep the sections other scripts and runs add after this table (real data, scale)
const old = await readFile(values.out, 'utf8').catch(() => ''), later = old.search(/^## (?!SDP trainer)/m);
await writeFile(values.out, later >= 0 ? `${md}\n${old.slice(later)}` : md);
console.log(md.split('\n').slice(-2).join('\n'));
