// Kernel benchmarks in the browser: xnorGemm, bit-serial, 8-bit affine, f32 sgemm, binary conv.
import { init } from 'lowbit'; // the import map in bench.html says where the package is

const lb = await init(), K = lb.kernels;
let seed = 1;
const rand = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
const words = (n) => Uint32Array.from({ length: n }, () => (rand() * 2 ** 32) >>> 0);
const bytes = (n) => Uint8Array.from({ length: n }, () => Math.floor(rand() * 256));

function rate(fn, ops) {
  const rounds = [];
  for (let r = 0; r < 5; r++) {
    let n = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < 200) { fn(); n++; }
    rounds.push((n * ops) / ((performance.now() - t0) * 1e6));
  }
  return rounds.sort((a, b) => a - b)[2];
}

const m = 64, k = 1024, n = 1024, w = k / 32;
const xa = words(m * w), xb = words(n * w), out = new Int32Array(m * n);
const fa = Float32Array.from({ length: m * k }, () => rand() - 0.5), fb = Float32Array.from({ length: k * n }, () => rand() - 0.5);
const qa = bytes(m * k), qb = Int8Array.from(bytes(k * n)), a4 = qa.map((v) => v & 15);
const cin = 64, cout = 64, hw = 28, cx = words(hw * hw * 2), cw = words(cout * 9 * 2);
const tasks = [
  ['xnorGemm', `${m}x${k}x${n}`, () => K.xnorGemm(xa, xb, m, n, k, out), 2 * m * n * k],
  ['bitserialGemm 4-bit', `${m}x${k}x${n}`, () => K.bitserialGemm(a4, 4, xb, m, n, k, out), 2 * m * n * k],
  ['affineGemm 8-bit', `${m}x${k}x${n}`, () => K.affineGemm(qa, 0, qb, 0, m, n, k, out), 2 * m * n * k],
  ['sgemm f32', `${m}x${k}x${n}`, () => K.sgemm(fa, fb, m, n, k), 2 * m * n * k],
  ['binaryConv2d', `${hw}x${hw}x${cin} -> ${cout}, 3x3`, () => K.binaryConv2d(cx, cw, { height: hw, width: hw, channels: cin, filters: cout, kernelSize: 3, padding: 'same-zero' }), 2 * hw * hw * cin * cout * 9],
];
const body = document.querySelector('#results tbody');
const results = [];
for (const [name, shape, fn, ops] of tasks) {
  document.getElementById('status').textContent = `running ${name}...`;
  await new Promise((r) => setTimeout(r, 0)); // let the page paint between kernels
  results.push([name, shape, rate(fn, ops)]);
}
const top = Math.max(...results.map((r) => r[2]));
for (const [name, shape, gops] of results) {
  const tr = document.createElement('tr');
  tr.innerHTML = `<td>${name}</td><td>${shape}</td><td class="gops">${gops.toFixed(1)}</td><td><div class="bar" style="width:${Math.round((300 * gops) / top)}px"></div></td>`;
  body.append(tr);
}
document.getElementById('status').textContent = `done: lowbit ${lb.relaxedSimd ? 'relaxed-SIMD' : 'SIMD128'} build, ${navigator.userAgent.match(/Chrom\w+\/[\d.]+/)?.[0] ?? navigator.userAgent}`;
document.body.dataset.done = '1';
