// Run by test/affine-dot.test.ts in Node 24 and Deno (the hosts that load the relaxed build by
// default): the 8-bit dot-product GEMM against plain arithmetic in both of its modes, the mode the
// start-up self-test picks, and the shipped models' logits in both builds. Prints one JSON line.
import { readFileSync } from 'node:fs';
import { init, Engine } from '../../dist/node/index.js';
import { dotMode } from '../../dist/kernels/affine-dot.js';
import { scoped } from '../../dist/memory.js';

const lb = await init(undefined, { build: 'relaxed' }), base = await init(undefined, { build: 'baseline' });
const w = lb.heap.wasm;
let seed = 5;
const rnd = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
const mode = dotMode(lb.heap);
const report = { host: typeof Deno !== 'undefined' ? `Deno ${Deno.version.deno}` : `Node ${process.version}`, mode, cases: 0, wrong: [] };
for (const full of mode === 2 ? [0, 1] : mode === 1 ? [0] : []) {
  for (const k of [1, 3, 4, 5, 17, 64, 100, 1000]) for (const [m, n] of [[1, 1], [3, 9], [4, 8], [5, 17], [9, 7]]) for (const signed of [true, false]) {
    const a = Uint8Array.from({ length: m * k }, () => Math.floor(rnd() * ((k + m) % 2 ? 256 : 100)));
    const b = Uint8Array.from({ length: k * n }, () => Math.floor(rnd() * 256));
    const zb = new Int16Array(Math.ceil(n / 8) * 8).map((_, j) => (j < n ? (signed ? (j * 37) % 256 - 128 : (j * 53) % 256) : 0));
    const za = (k * 7 + m) % 256;
    const got = scoped(lb.heap, (arena) => {
      const pa = arena.alloc(w.affineDotBytesA(m, k)), pb = arena.alloc(w.affineDotBytesB(n, k)), po = arena.alloc(m * n * 4);
      lb.heap.u8().fill(0xa5, pa, pa + w.affineDotBytesA(m, k)); // junk: the packing must write its padding
      w.affineDotPackA(arena.put(a), m, k, k, full, pa);
      w.affineDotPackB(arena.put(b), k, n, n, 1, 0, arena.put(zb), signed ? 1 : 0, pb);
      w.affineDotGemm(pa, pb, m, n, k, za, po, n, arena.alloc(128));
      return lb.heap.read(Int32Array, po, m * n);
    });
    report.cases++;
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
      let s = 0;
      for (let t = 0; t < k; t++) s += (a[i * k + t] - za) * ((signed ? (b[t * n + j] << 24) >> 24 : b[t * n + j]) - zb[j]);
      if (got[i * n + j] !== s) { report.wrong.push(`full=${full} m=${m} n=${n} k=${k} signed=${signed}`); i = m; break; }
    }
  }
}
const x = Uint8Array.from({ length: 8 * 784 }, (_, i) => (i * 37 + (i >> 5)) & 255);
for (const name of ['fashion-cnn-1w1a', 'fashion-cnn-1w4a', 'fashion-mobilenet-4w4a', 'fashion-resnet-1w1a']) {
  const bytes = new Uint8Array(readFileSync(new URL(`../../models/${name}.lbm`, import.meta.url)));
  const e1 = await Engine.load(bytes, { runtime: base }), e2 = await Engine.load(bytes, { runtime: lb });
  const l1 = e1.logits(x, 8), l2 = e2.logits(x, 8);
  if (l1.some((v, i) => v !== l2[i])) report.wrong.push(`${name}: logits differ between the builds`);
  e1.dispose(); e2.dispose();
}
console.log(JSON.stringify(report));
