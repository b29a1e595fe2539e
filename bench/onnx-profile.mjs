// An imported ONNX / QONNX model's time, node by node, and its cold start: importOnnx, Engine.load,
// the first run (before V8 tiers the wasm up) and the second, in this fresh process.
//
//   npm run build && node bench/onnx-profile.mjs MODEL.onnx [--batch 1] [--runs 20] [--kernels]
// --kernels: also every wasm kernel call, timed (after the node-by-node table)
// (the ESPCN figures: test/models/onnx/bsd300x3-espcn_subpixel_quant_model.onnx)
import { parseArgs } from 'node:util';
import { readFile } from 'node:fs/promises';
import { init, Engine, importOnnx } from '../dist/node/lowbit.js';
import { kernelTimers, printKernelTimes } from './kernel-timers.mjs';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { batch: { type: 'string', default: '1' }, runs: { type: 'string', default: '20' }, kernels: { type: 'boolean', default: false } } });
const file = positionals[0] ?? new URL('../test/models/onnx/TFC_2W2A.onnx', import.meta.url).pathname;
const n = Number(values.batch), runs = Number(values.runs);
const lb = await init(), timers = values.kernels ? kernelTimers(lb) : undefined;
const bytes = new Uint8Array(await readFile(file));
const t0 = performance.now(), lbm = importOnnx(bytes), t1 = performance.now();
const engine = await Engine.load(lbm, { runtime: lb }), t2 = performance.now();
const per = engine.inputShape.reduce((a, b) => a * b, 1), x = Float32Array.from({ length: n * per }, (_, i) => (i % 7) / 7);
engine.run(x, n);
const t3 = performance.now();
engine.run(x, n);
const t4 = performance.now();
console.log(`${file}, batch ${n}: importOnnx ${(t1 - t0).toFixed(1)} ms, Engine.load ${(t2 - t1).toFixed(1)} ms, first run ${(t3 - t2).toFixed(1)} ms, second run ${(t4 - t3).toFixed(1)} ms`);

// node by node (the Engine's runners, in plan order, each wrapped in a timer), after warm-up
for (let i = 0; i < 3; i++) engine.run(x, n);
const times = engine.runners.map(() => 0);
engine.runners.forEach((r, i) => { const run = r.run; r.run = (xs, m) => { const t = performance.now(), v = run(xs, m); times[i] += performance.now() - t; return v; }; });
const tr = performance.now();
for (let r = 0; r < runs; r++) engine.run(x, n);
console.log(`whole run: ${(((performance.now() - tr) / runs) * 1000).toFixed(0)} us (with the timers)`);
const graph = engine.plan.graph ?? [];
times.forEach((t, i) => {
  const node = graph[i], step = node?.op === 'step' ? engine.plan.steps[node.step] : undefined;
  const what = step ? `step ${step.kind} ${step.weightBits}-bit weights x ${step.input} (${step.inBits}-bit) -> ${step.output}${step.output === 'codes' ? ` (${step.outBits}-bit)` : ''}` : node?.op;
  console.log(`  ${String(i).padStart(3)} ${what.padEnd(60)} ${((t / runs) * 1000).toFixed(1).padStart(10)} us`);
});

if (timers) {
  timers.on();
  for (let r = 0; r < runs; r++) engine.run(x, n);
  console.log(`kernel calls, per run of batch ${n}:`);
  printKernelTimes(timers.times, runs);
}
