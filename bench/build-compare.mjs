// Baseline vs relaxed-SIMD build, kernel by kernel, in one process and run (interleaved rounds,
// median of per-round ratios): is the build init() picks by default no slower on this host?
//
//   node bench/build-compare.mjs                        Node 22/24 (relaxed SIMD on by default)
//   node --experimental-wasm-relaxed-simd bench/build-compare.mjs    Node 20
//   npx deno run --allow-read --allow-env --allow-sys bench/build-compare.mjs
//   options: --rounds N (default 7), --time MS per kernel per round (default 150)
import { init } from '../dist/node/index.js';
import { hasRelaxedSimd } from '../dist/runtime.js';

const args = typeof Deno !== 'undefined' ? Deno.args : process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(name); return i >= 0 ? Number(args[i + 1]) : dflt; };
const ROUNDS = opt('--rounds', 7), TIME = opt('--time', 150);
if (!hasRelaxedSimd()) { console.log('this host rejects relaxed SIMD: only the baseline build runs here'); process.exit?.(0); }

const builds = { baseline: await init(undefined, { build: 'baseline' }), relaxed: await init(undefined, { build: 'relaxed' }) };
let seed = 7;
const rand = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
const words = (n) => Uint32Array.from({ length: n }, () => (rand() * 2 ** 32) >>> 0);
const bytes = (n, max) => Uint8Array.from({ length: n }, () => Math.floor(rand() * max));
const floats = (n) => Float32Array.from({ length: n }, () => rand() * 2 - 1);

const m = 64, n = 1024, k = 1024, kw = k / 32;
const A = words(m * kw), B = words(n * kw), a2 = bytes(m * k, 4), a4 = bytes(m * k, 16), a8 = bytes(m * k, 256), b8 = new Int8Array(bytes(k * n, 256).buffer);
const fa = floats(m * k), fb = floats(k * n);
const conv = { batch: 1, height: 28, width: 28, channels: 64, filters: 64, kernelSize: 3, padding: 'same-zero' };
const cx = words(28 * 28 * 2), cw = words(64 * 9 * 2);
const qconv = { height: 28, width: 28, channels: 64, filters: 64, kernelSize: 3, padding: 'same' };
const qx = bytes(28 * 28 * 64, 256), qx4 = bytes(28 * 28 * 64, 16), qw = new Int8Array(bytes(64 * 9 * 64, 256).buffer);
const kernels = {
  'xnorGemm 64x1024x1024': [2 * m * n * k, (K) => K.xnorGemm(A, B, m, n, k)],
  'bitserialGemm 1W2A': [2 * m * n * k, (K) => K.bitserialGemm(a2, 2, B, m, n, k)],
  'bitserialGemm 1W4A': [2 * m * n * k, (K) => K.bitserialGemm(a4, 4, B, m, n, k)],
  'affineGemm 8-bit': [2 * m * n * k, (K) => K.affineGemm(a8, 128, b8, 0, m, n, k)],
  'sgemm f32': [2 * m * n * k, (K) => K.sgemm(fa, fb, m, n, k)],
  'binaryConv2d 28x28x64->64': [2 * 28 * 28 * 64 * 9 * 64, (K) => K.binaryConv2d(cx, cw, conv)],
  'affineConv2d 8-bit 28x28x64->64': [2 * 28 * 28 * 64 * 9 * 64, (K) => K.affineConv2d(qx, 3, qw, 0, qconv)],
  'bitserialConv2d 1W4A 28x28x64->64': [2 * 28 * 28 * 64 * 9 * 64, (K) => K.bitserialConv2d(qx4, 4, cw, qconv)],
};

function rate(fn, K, ops) {
  fn(K);
  let reps = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < TIME) { fn(K); reps++; }
  return (ops * reps) / ((performance.now() - t0) / 1000) / 1e9;
}

const host = typeof Deno !== 'undefined' ? `Deno ${Deno.version.deno} (V8 ${Deno.version.v8})` : `Node ${process.version} (V8 ${process.versions.v8})`;
console.log(`${host}; ${ROUNDS} rounds of ${TIME} ms per kernel; GOP/s as 2*m*n*k; ratio = relaxed / baseline (median of per-round ratios)\n`);
console.log('| kernel | baseline GOP/s | relaxed GOP/s | relaxed / baseline |\n|---|---:|---:|---:|');
for (const [name, [ops, fn]] of Object.entries(kernels)) {
  const rb = [], rr = [], ratio = [];
  for (let r = 0; r < ROUNDS; r++) {
    const [first, second] = r % 2 ? ['relaxed', 'baseline'] : ['baseline', 'relaxed'];
    const x = rate(fn, builds[first].kernels, ops), y = rate(fn, builds[second].kernels, ops);
    const b = first === 'baseline' ? x : y, rl = first === 'baseline' ? y : x;
    rb.push(b); rr.push(rl); ratio.push(rl / b);
  }
  const med = (v) => v.slice().sort((p, q) => p - q)[v.length >> 1];
  console.log(`| ${name} | ${med(rb).toFixed(1)} | ${med(rr).toFixed(1)} | ${med(ratio).toFixed(2)} |`);
}
