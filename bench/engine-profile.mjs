// Where an Engine prediction spends its time: every wasm kernel call timed, batch 1, per image.
//
//   npm run build && node bench/engine-profile.mjs [MODEL] [--images 1000]
import { parseArgs } from 'node:util';
import { readFile } from 'node:fs/promises';
import { init, Engine } from '../dist/node/lowbit.js';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { images: { type: 'string', default: '1000' } } });
const model = positionals[0] ?? new URL('../models/fashion-cnn-1w4a.lbm', import.meta.url).pathname;
const images = Number(values.images);
const lb = await init();
const times = new Map();
let on = false;
// the wasm exports are read-only: give the heap a copy whose functions are timed, keyed by kernel
// and second argument (a size or a resident pointer, which tells the steps apart)
lb.heap.wasm = Object.fromEntries(Object.entries(lb.heap.wasm).map(([k, f]) => [k, typeof f !== 'function' ? f : (...a) => {
  if (!on) return f(...a);
  const t = performance.now(), r = f(...a), key = `${k}(${a[1]})`;
  times.set(key, (times.get(key) ?? 0) + performance.now() - t);
  return r;
}]));
const engine = await Engine.load(new Uint8Array(await readFile(model)), { runtime: lb });
const img = new Uint8Array(784).fill(100);
for (let i = 0; i < 300; i++) engine.predict(img, 1); // warm up (tier-up to optimized code)
on = true;
const t0 = performance.now();
for (let i = 0; i < images; i++) engine.predict(img, 1);
const total = ((performance.now() - t0) / images) * 1000;
console.log(`${model}: ${total.toFixed(0)} us per image (batch 1, with the timing wrappers)`);
for (const [k, v] of [...times].sort((a, b) => b[1] - a[1])) console.log(`  ${k.padEnd(36)} ${((v / images) * 1000).toFixed(1)} us`);
