// The integer plan against the fake-quantized model it was compiled from, on the full Fashion-MNIST
// test set: for each checkpoint, the float (fake-quantized) model's accuracy, the Engine's accuracy
// on the compiled integer-only plan, and the fraction of images where both give the same class.
// Usage: npm run build && node bench/plan-agreement.mjs RUN.ckpt [RUN.ckpt ...]
import { readFile } from 'node:fs/promises';
import { loadFashionMnist, DEBIAN_FASHION_MNIST, compile, encodeModel, Engine } from '../dist/node/index.js';
import { modelFromCheckpoint } from '../dist/node/train-command.js';
import { Batcher } from '../dist/train/sequential.js';

const files = process.argv.slice(2);
if (!files.length) { console.error('usage: node bench/plan-agreement.mjs RUN.ckpt [RUN.ckpt ...]'); process.exit(2); }
const data = await loadFashionMnist(DEBIAN_FASHION_MNIST), test = data.test, n = test.count;

/** Classes of the training-time model (inference-mode forward), 500 images at a time. */
function floatClasses(model) {
  const heap = model.heap, out = new Int32Array(n), b = new Batcher(heap, test), k = model.outShape[0];
  for (let from = 0; from < n; from += 500) {
    const m = Math.min(500, n - from), { x } = b.load(Uint32Array.from({ length: m }, (_, i) => from + i), 0, m);
    const z = heap.read(Float32Array, model.forward(x, m, false), m * k);
    for (let i = 0; i < m; i++) { let best = 0; for (let c = 1; c < k; c++) if (z[i * k + c] > z[i * k + best]) best = c; out[from + i] = best; }
  }
  b.dispose();
  return out;
}
const acc = (p) => (100 * p.reduce((s, v, i) => s + (v === test.labels[i] ? 1 : 0), 0)) / n;

console.log(`| checkpoint | model | fake-quantized | integer plan (Engine) | same class | file bytes |`);
console.log(`|---|---|---:|---:|---:|---:|`);
for (const f of files) {
  const { model, config } = await modelFromCheckpoint(new Uint8Array(await readFile(f)), f);
  const fq = floatClasses(model);
  const bytes = encodeModel(compile(model, data.classes));
  const engine = await Engine.load(bytes);
  const ints = engine.predict(test.images, n);
  engine.dispose();
  const same = (100 * fq.reduce((s, v, i) => s + (v === ints[i] ? 1 : 0), 0)) / n;
  const what = `${config.arch} ${config.wbits}W${config.abits}A ${config.weightSet}${config.act === 'affine' ? ' / affine act' : ''}${config.perChannel ? ' per-channel' : ''}, seed ${config.seed}`;
  console.log(`| ${f.split('/').pop()} | ${what} | ${acc(fq).toFixed(2)}% | ${acc(ints).toFixed(2)}% | ${same.toFixed(2)}% | ${bytes.length.toLocaleString('en-US')} |`);
  model.dispose();
}
