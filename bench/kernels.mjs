// Kernel benchmarks: lowbit's xnorGemm, sgemm and binary conv beside onnxruntime-web (wasm backend,
// 1 thread) doing the float MatMul / Conv of the same shapes, in the same process and run.
// Operations are counted as 2*m*n*k for every product (binary or float), so the rates compare.
//
//   npm run bench              every host (bench/all-hosts.mjs): Node 20, Node 24, Deno
//   node bench/kernels.mjs     this host: writes its section of bench/RESULTS.md (kernels-node20,
//                              kernels-node24, kernels-deno) and bench/results-HOST.json
//   npx deno run -A bench/kernels.mjs      the same in Deno
//   node bench/kernels.mjs --quick   shorter run, prints only
//   npm run bench:relaxed      Node 20 under its relaxed-SIMD flag (init loads lowbit-relaxed.wasm),
//                              written to bench/RESULTS-relaxed.md
//   options: --rounds N (default 7), --time MS per task per round (default 200), --out FILE
import os from 'node:os';
import { writeFile, rename } from 'node:fs/promises';
import { Bench } from 'tinybench';
import * as ort from 'onnxruntime-web';
import { init } from '../dist/node/index.js';
import { onnxModel, DT } from './onnx.mjs';
import { host, argv, writeSection } from './host.mjs';

const args = argv;
const quick = args.includes('--quick');
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const ROUNDS = opt('--rounds', quick ? 3 : 7);
const outIdx = args.indexOf('--out');
const OUT = outIdx >= 0 ? args[outIdx + 1] : 'bench/RESULTS.md';
const TIME = opt('--time', quick ? 100 : 200);

ort.env.wasm.numThreads = 1;
ort.env.wasm.simd = true;
ort.env.logLevel = 'error';

const lb = await init();
const K = lb.kernels;

// deterministic data
let seed = 12345;
const rand = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
const floats = (n) => Float32Array.from({ length: n }, () => rand() * 2 - 1);
const words = (n) => Uint32Array.from({ length: n }, () => (rand() * 2 ** 32) >>> 0);

async function ortSession(model) {
  return ort.InferenceSession.create(model, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
}

/** ORT MatMul with B as a constant initializer (ORT pre-packs it) or as a graph input. */
async function ortMatMul(m, k, n, bConst) {
  const b = floats(k * n);
  const A = { name: 'A', type: DT.FLOAT, dims: [m, k] };
  const Bv = { name: 'B', type: DT.FLOAT, dims: [k, n] };
  const model = onnxModel({
    nodes: [{ op: 'MatMul', inputs: ['A', 'B'], outputs: ['Y'] }],
    inputs: bConst ? [A] : [A, Bv],
    outputs: [{ name: 'Y', type: DT.FLOAT, dims: [m, n] }],
    initializers: bConst ? [{ ...Bv, data: b }] : [],
  });
  const s = await ortSession(model);
  const feeds = { A: new ort.Tensor('float32', floats(m * k), [m, k]) };
  if (!bConst) feeds.B = new ort.Tensor('float32', b, [k, n]);
  return () => s.run(feeds);
}

/** ORT int8 MatMul forms with B (i8) as a constant initializer: MatMulInteger and QLinearMatMul. */
async function ortIntMatMul(m, k, n, op) {
  const b = Int8Array.from({ length: k * n }, () => Math.floor(rand() * 256) - 128);
  const B = { name: 'B', type: DT.INT8, dims: [k, n], data: b };
  const scalar = (name, type, v) => ({ name, type, dims: [], data: type === DT.FLOAT ? new Float32Array([v]) : type === DT.INT8 ? new Int8Array([v]) : new Uint8Array([v]) });
  const model = op === 'MatMulInteger'
    ? onnxModel({
      nodes: [{ op, inputs: ['A', 'B', 'az', 'bz'], outputs: ['Y'] }],
      inputs: [{ name: 'A', type: DT.UINT8, dims: [m, k] }],
      outputs: [{ name: 'Y', type: DT.INT32, dims: [m, n] }],
      initializers: [B, scalar('az', DT.UINT8, 3), scalar('bz', DT.INT8, 0)],
    })
    : onnxModel({
      nodes: [{ op, inputs: ['A', 'as', 'az', 'B', 'bs', 'bz', 'ys', 'yz'], outputs: ['Y'] }],
      inputs: [{ name: 'A', type: DT.UINT8, dims: [m, k] }],
      outputs: [{ name: 'Y', type: DT.UINT8, dims: [m, n] }],
      initializers: [B, scalar('as', DT.FLOAT, 0.02), scalar('az', DT.UINT8, 3), scalar('bs', DT.FLOAT, 0.01),
        scalar('bz', DT.INT8, 0), scalar('ys', DT.FLOAT, 4), scalar('yz', DT.UINT8, 128)],
    });
  const s = await ortSession(model);
  const feeds = { A: new ort.Tensor('uint8', Uint8Array.from({ length: m * k }, () => Math.floor(rand() * 256)), [m, k]) };
  return () => s.run(feeds);
}

async function ortConv(h, w, c, cout, kk) {
  const model = onnxModel({
    nodes: [{ op: 'Conv', inputs: ['X', 'W'], outputs: ['Y'], attrs: { kernel_shape: [kk, kk], pads: [1, 1, 1, 1] } }],
    inputs: [{ name: 'X', type: DT.FLOAT, dims: [1, c, h, w] }],
    outputs: [{ name: 'Y', type: DT.FLOAT, dims: [1, cout, h, w] }],
    initializers: [{ name: 'W', type: DT.FLOAT, dims: [cout, c, kk, kk], data: floats(cout * c * kk * kk) }],
  });
  const s = await ortSession(model);
  const feeds = { X: new ort.Tensor('float32', floats(c * h * w), [1, c, h, w]) };
  return () => s.run(feeds);
}

/** ORT int8 conv forms (NCHW, W int8 initializer, pads 1): ConvInteger or QLinearConv. */
async function ortIntConv(h, w, c, cout, kk, op) {
  const W = { name: 'W', type: DT.INT8, dims: [cout, c, kk, kk], data: Int8Array.from({ length: cout * c * kk * kk }, () => Math.floor(rand() * 256) - 128) };
  const f = (name, v) => ({ name, type: DT.FLOAT, dims: [], data: new Float32Array([v]) });
  const u = (name, v) => ({ name, type: DT.UINT8, dims: [], data: new Uint8Array([v]) });
  const i = (name, v) => ({ name, type: DT.INT8, dims: [], data: new Int8Array([v]) });
  const attrs = { kernel_shape: [kk, kk], pads: [1, 1, 1, 1] };
  const model = op === 'ConvInteger'
    ? onnxModel({ nodes: [{ op, inputs: ['X', 'W', 'xz', 'wz'], outputs: ['Y'], attrs }], inputs: [{ name: 'X', type: DT.UINT8, dims: [1, c, h, w] }],
      outputs: [{ name: 'Y', type: DT.INT32, dims: [1, cout, h, w] }], initializers: [W, u('xz', 3), i('wz', 0)] })
    : onnxModel({ nodes: [{ op, inputs: ['X', 'xs', 'xz', 'W', 'ws', 'wz', 'ys', 'yz'], outputs: ['Y'], attrs }], inputs: [{ name: 'X', type: DT.UINT8, dims: [1, c, h, w] }],
      outputs: [{ name: 'Y', type: DT.UINT8, dims: [1, cout, h, w] }], initializers: [W, f('xs', 0.02), u('xz', 3), f('ws', 0.01), i('wz', 0), f('ys', 4), u('yz', 128)] });
  const s = await ortSession(model);
  const feeds = { X: new ort.Tensor('uint8', Uint8Array.from({ length: c * h * w }, () => Math.floor(rand() * 256)), [1, c, h, w]) };
  return () => s.run(feeds);
}

/** lowbit kernels with operands already resident in wasm memory (no copies): the kernel alone. */
function residentXnor(m, k, n) {
  const w = Math.ceil(k / 32);
  const panels = (rows, r) => {
    const src = lb.heap.alloc(rows * w * 4);
    lb.heap.write(src, words(rows * w));
    const dst = lb.heap.alloc(Math.ceil(rows / r) * r * Math.ceil(k / 128) * 16);
    lb.wasm.packBitPanels(src, rows, w, k, r, dst);
    return dst;
  };
  const pa = panels(m, 2), pb = panels(n, 6), po = lb.heap.alloc(m * n * 4), scratch = lb.heap.alloc(64);
  return () => lb.wasm.xnorGemm(pa, pb, m, n, Math.ceil(k / 64), k, po, n, scratch);
}

function residentSgemm(m, k, n) {
  const pa = lb.heap.alloc(m * k * 4), pb = lb.heap.alloc(k * n * 4), pc = lb.heap.alloc(m * n * 4);
  const packed = lb.heap.alloc(Math.ceil(n / 8) * 8 * k * 4), scratch = lb.heap.alloc(128);
  lb.heap.write(pa, floats(m * k));
  lb.heap.write(pb, floats(k * n));
  if (m < 4) return () => lb.wasm.sgemmRows(pa, pb, m, n, k, pc);
  lb.wasm.sgemmPackB(pb, k, n, packed); // B packed once, like ORT's constant initializer
  return () => lb.wasm.sgemmPacked(pa, packed, m, n, k, pc, scratch);
}

/**
 * Run tasks for ROUNDS rounds (each a fresh tinybench Bench, tasks in turn) and keep each task's
 * per-round median latency. Returns the median over rounds per task, and `ratio(a, b)`: the median
 * over rounds of a's latency / b's in the same round, so both sides of a ratio share the machine's
 * state at that moment (this machine is shared and its speed drifts).
 */
async function measure(group, tasks) {
  const lat = Object.fromEntries(tasks.map(([name]) => [name, []]));
  for (let r = 0; r < ROUNDS; r++) {
    const bench = new Bench({ time: TIME, warmupTime: 50 });
    for (const [name, fn] of tasks) bench.add(name, fn);
    await bench.run();
    for (const t of bench.tasks) {
      if (t.result.state !== 'completed') throw new Error(`${group}/${t.name}: ${t.result.state} ${t.result.error ?? ''}`);
      lat[t.name].push(t.result.latency.p50);
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const med = Object.fromEntries(Object.entries(lat).map(([k, v]) => [k, median(v)]));
  /** median over rounds of lat[a] / min(lat[b1], lat[b2], ...) in the same round */
  med.ratio = (a, ...bs) => median(lat[a].map((x, r) => Math.min(...bs.map((b) => lat[b][r])) / x));
  return med;
}

const rows = []; // { group, task, ms, rate, unit }
const ratios = []; // { name, value, target }
const rate = (ops, ms) => ops / (ms * 1e6); // G ops per second

for (const [m, k, n] of [[64, 1024, 1024], [256, 576, 64], [1, 4096, 1000]]) {
  const group = `(m,k,n) = (${m},${k},${n})`;
  const ops = 2 * m * n * k;
  const w = Math.ceil(k / 32);
  const xa = words(m * w), xb = words(n * w);
  const fa = floats(m * k), fb = floats(k * n);
  const xout = new Int32Array(m * n);
  const qa = Uint8Array.from({ length: m * k }, () => Math.floor(rand() * 256));
  const qb = Int8Array.from({ length: k * n }, () => Math.floor(rand() * 256) - 128);
  const codes = (bits) => Uint8Array.from({ length: m * k }, () => Math.floor(rand() * (1 << bits)));
  const a2 = codes(2), a4 = codes(4);
  const wcodes = (bits) => Uint8Array.from({ length: k * n }, () => Math.floor(rand() * (1 << bits)));
  const b4 = wcodes(4), b2 = wcodes(2);
  const tasks = [
    ['lowbit xnorGemm (API, copies in+out)', () => K.xnorGemm(xa, xb, m, n, k)],
    ['lowbit xnorGemm (API, out array reused)', () => K.xnorGemm(xa, xb, m, n, k, xout)],
    ['lowbit xnorGemm (kernel, resident)', residentXnor(m, k, n)],
    ['lowbit sgemm (API, copies in+out, packs B)', () => K.sgemm(fa, fb, m, n, k)],
    ['lowbit sgemm (kernel, B pre-packed)', residentSgemm(m, k, n)],
    ['lowbit affineGemm u8 x i8 (API, copies in+out, packs B)', () => K.affineGemm(qa, 3, qb, 0, m, n, k, xout)],
    ['lowbit affineGemmLowBit u8 x 4-bit codes (API)', () => K.affineGemmLowBit(qa, 3, b4, 4, 8, m, n, k, xout)],
    ['lowbit affineGemmLowBit u8 x 2-bit codes (API)', () => K.affineGemmLowBit(qa, 3, b2, 2, 1, m, n, k, xout)],
    ['lowbit bitserialGemm 1W2A (API)', () => K.bitserialGemm(a2, 2, xb, m, n, k, xout)],
    ['lowbit bitserialGemm 1W4A (API)', () => K.bitserialGemm(a4, 4, xb, m, n, k, xout)],
    ['ort-web MatMulInteger u8 x i8 (B initializer)', await ortIntMatMul(m, k, n, 'MatMulInteger')],
    ['ort-web QLinearMatMul u8 x i8 (B initializer)', await ortIntMatMul(m, k, n, 'QLinearMatMul')],
    ['ort-web MatMul f32 (B initializer)', await ortMatMul(m, k, n, true)],
    ['ort-web MatMul f32 (B input)', await ortMatMul(m, k, n, false)],
  ];
  const lat = await measure(group, tasks);
  for (const [task, ms] of Object.entries(lat)) {
    if (typeof ms !== 'number') continue;
    rows.push({ group, task, ms, rate: rate(ops, ms), unit: task.includes('f32') || task.includes('sgemm') ? 'GFLOP/s' : 'GOP/s' });
  }
  const big = m === 64;
  const ortF32 = ['ort-web MatMul f32 (B initializer)', 'ort-web MatMul f32 (B input)'];
  const ortInt = ['ort-web MatMulInteger u8 x i8 (B initializer)', 'ort-web QLinearMatMul u8 x i8 (B initializer)'];
  const affine = 'lowbit affineGemm u8 x i8 (API, copies in+out, packs B)';
  ratios.push({ name: `xnorGemm API / ort-web best MatMul ${group}`, value: lat.ratio('lowbit xnorGemm (API, copies in+out)', ...ortF32), target: big ? 20 : null });
  ratios.push({ name: `sgemm API / ort-web best MatMul ${group}`, value: lat.ratio('lowbit sgemm (API, copies in+out, packs B)', ...ortF32), target: big ? 0.8 : null });
  // the aim: 1.2x in Node, 1.5x in Deno
  ratios.push({ name: `affineGemm API / ort-web fastest int8 MatMul ${group}`, value: lat.ratio(affine, ...ortInt), target: big ? (host.id === 'deno' ? 1.5 : 1.2) : null });
  ratios.push({ name: `bitserialGemm 1W2A (lookup table) / own 8-bit affineGemm ${group}`, value: lat.ratio('lowbit bitserialGemm 1W2A (API)', affine), target: big ? 3 : null });
  ratios.push({ name: `bitserialGemm 1W4A (lookup table) / own 8-bit affineGemm ${group}`, value: lat.ratio('lowbit bitserialGemm 1W4A (API)', affine), target: big ? 2 : null });
}

{
  const h = 28, wd = 28, c = 64, cout = 64, kk = 3;
  const group = 'conv 28x28x64 -> 64, 3x3, stride 1, same (zero) padding';
  const ops = 2 * h * wd * cout * c * kk * kk;
  const x = words(h * wd * 2), wt = words(cout * kk * kk * 2);
  const opts = { height: h, width: wd, channels: c, filters: cout, kernelSize: kk, padding: 'same-zero' };
  const thr = { thresholds: new Int32Array(cout) };
  const optsOut = { ...opts, out: new Int32Array(h * wd * cout) };
  const qx = Uint8Array.from({ length: h * wd * c }, () => Math.floor(rand() * 256));
  const qw = Int8Array.from({ length: cout * kk * kk * c }, () => Math.floor(rand() * 256) - 128);
  const optsAffine = { height: h, width: wd, channels: c, filters: cout, kernelSize: kk, padding: 'same' };
  const qout = new Int32Array(h * wd * cout);
  const cx2 = Uint8Array.from({ length: h * wd * c }, () => Math.floor(rand() * 4));
  const cx4 = Uint8Array.from({ length: h * wd * c }, () => Math.floor(rand() * 16));
  const tasks = [
    ['lowbit binaryConv2d -> int32 (API)', () => K.binaryConv2d(x, wt, opts)],
    ['lowbit binaryConv2d -> int32 (API, out array reused)', () => K.binaryConv2d(x, wt, optsOut)],
    ['lowbit binaryConv2d -> packed bits, fused threshold (API)', () => K.binaryConv2d(x, wt, opts, thr)],
    ['lowbit affineConv2d u8 x i8 -> int32 (API)', () => K.affineConv2d(qx, 3, qw, 0, { ...optsAffine, out: qout })],
    ['lowbit bitserialConv2d 1W2A (API)', () => K.bitserialConv2d(cx2, 2, wt, { ...optsAffine, out: qout })],
    ['lowbit bitserialConv2d 1W4A (API)', () => K.bitserialConv2d(cx4, 4, wt, { ...optsAffine, out: qout })],
    ['ort-web ConvInteger u8 x i8 (pads 1)', await ortIntConv(h, wd, c, cout, kk, 'ConvInteger')],
    ['ort-web QLinearConv u8 x i8 (pads 1)', await ortIntConv(h, wd, c, cout, kk, 'QLinearConv')],
    ['ort-web Conv f32 (pads 1)', await ortConv(h, wd, c, cout, kk)],
  ];
  const lat = await measure(group, tasks);
  for (const [task, ms] of Object.entries(lat)) if (typeof ms === 'number') rows.push({ group, task, ms, rate: rate(ops, ms), unit: task.includes('f32') ? 'GFLOP/s' : 'GOP/s' });
  const f32 = 'ort-web Conv f32 (pads 1)', affineConv = 'lowbit affineConv2d u8 x i8 -> int32 (API)';
  ratios.push({ name: 'binaryConv2d int32 API / ort-web Conv', value: lat.ratio('lowbit binaryConv2d -> int32 (API)', f32), target: 10 });
  ratios.push({ name: 'binaryConv2d fused-bits API / ort-web Conv', value: lat.ratio('lowbit binaryConv2d -> packed bits, fused threshold (API)', f32), target: null });
  ratios.push({ name: 'affineConv2d API / ort-web fastest int8 conv', value: lat.ratio(affineConv, 'ort-web ConvInteger u8 x i8 (pads 1)', 'ort-web QLinearConv u8 x i8 (pads 1)'), target: null });
  ratios.push({ name: 'bitserialConv2d 1W2A (lookup table) / own 8-bit affineConv2d', value: lat.ratio('lowbit bitserialConv2d 1W2A (API)', affineConv), target: null });
  ratios.push({ name: 'bitserialConv2d 1W4A (lookup table) / own 8-bit affineConv2d', value: lat.ratio('lowbit bitserialConv2d 1W4A (API)', affineConv), target: null });
}

// ---- report ----
const machine = {
  cpu: os.cpus()[0]?.model ?? 'unknown',
  cores: os.cpus().length,
  host: host.label,
  ortWeb: ort.env.versions?.web ?? 'unknown',
  platform: `${os.platform()} ${os.arch()}`,
};
const date = new Date().toISOString();
const relaxedFlag = host.id === 'node20' && lb.relaxedSimd;
const command = relaxedFlag ? 'npm run bench:relaxed' : `${host.id === 'deno' ? 'npx deno run -A' : host.id === 'node20' ? 'node' : 'node-24/bin/node'} bench/kernels.mjs${args.length ? ' ' + args.join(' ') : ''}`;

let md = `## Kernels in ${host.label}\n\n`;
md += `- date: ${date}\n- command: \`${command}\` (${ROUNDS} rounds x ${TIME} ms per task; latencies: median of per-round medians; ratios: median of per-round ratios)\n`;
md += `- machine: ${machine.cpu}, ${machine.cores} cores, ${machine.platform}; ${machine.host}; onnxruntime-web ${machine.ortWeb}, wasm backend, 1 thread\n`;
md += `- lowbit build: ${lb.relaxedSimd ? 'lowbit-relaxed.wasm (relaxed SIMD)' : 'lowbit.wasm (baseline SIMD128)'}\n`;
md += `- operations counted as 2*m*n*k for binary and float products alike; "API" times include copying inputs into wasm memory and the result out\n\n`;
let group = '';
for (const r of rows) {
  if (r.group !== group) {
    group = r.group;
    md += `\n### ${group}\n\n| task | median ms | rate |\n|---|---:|---:|\n`;
  }
  md += `| ${r.task} | ${r.ms.toFixed(4)} | ${r.rate.toFixed(1)} ${r.unit} |\n`;
}
md += `\n### Ratios (same run; > 1 means lowbit is faster)\n\n| ratio | value | target | met |\n|---|---:|---:|:---:|\n`;
for (const q of ratios) md += `| ${q.name} | ${q.value.toFixed(2)}x | ${q.target ?? '-'} | ${q.target == null ? '-' : q.value >= q.target ? 'yes' : 'NO'} |\n`;

console.log(md);
if (!quick) {
  // this host's section of RESULTS.md (or the whole of a separate --out file), then the JSON
  const json = relaxedFlag ? 'bench/results-relaxed.json' : `bench/results-${host.id}.json`;
  if (OUT === 'bench/RESULTS.md') await writeSection(OUT, `kernels-${host.id}`, md);
  else { await writeFile(`${OUT}.tmp`, md); await rename(`${OUT}.tmp`, OUT); }
  await writeFile(`${json}.tmp`, JSON.stringify({ date, command, machine, relaxedSimd: lb.relaxedSimd, rows, ratios }, null, 2) + '\n');
  await rename(`${json}.tmp`, json);
  console.log(`wrote ${OUT} and ${json}`);
}
