// Where an Engine prediction spends its time: every wasm kernel call timed, batch 1, per image.
//
//   npm run build && node bench/engine-profile.mjs [MODEL] [--images 1000]
import { parseArgs } from 'node:util';
import { readFile } from 'node:fs/promises';
import { init, Engine } from '../dist/node/lowbit.js';
import { kernelTimers, printKernelTimes } from './kernel-timers.mjs';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { images: { type: 'string', default: '1000' } } });
const model = positionals[0] ?? new URL('../models/fashion-cnn-1w4a.lbm', import.meta.url).pathname;
const images = Number(values.images);
const lb = await init();
const timers = kernelTimers(lb);
const engine = await Engine.load(new Uint8Array(await readFile(model)), { runtime: lb });
const img = new Uint8Array(784).fill(100);
for (let i = 0; i < 300; i++) engine.predict(img, 1); // warm up (tier-up to optimized code)
timers.on();
const t0 = performance.now();
for (let i = 0; i < images; i++) engine.predict(img, 1);
const total = ((performance.now() - t0) / images) * 1000;
console.log(`${model}: ${total.toFixed(0)} us per image (batch 1, with the timing wrappers)`);
printKernelTimes(timers.times, images);
