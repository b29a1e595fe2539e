// Classify Fashion-MNIST images in Deno with a shipped integer-only model.
//
//   deno run --allow-read examples/deno/classify.ts [--model FILE] [--count N] [--threads N] [IMAGE...]
//
// Without IMAGE files it classifies the first N images (default 100) of the test split shipped in
// data/fashion-mnist-subset and prints the accuracy; IMAGE files are PNGs (any size) or raw 28x28
// bytes. It imports 'lowbit' (deno.json beside it maps that to this repository's build; in your
// own project, `deno add npm:lowbit`): init() fetches the wasm beside the module (Deno's fetch reads
// file: URLs), picking the relaxed-SIMD build Deno validates.
import { init, Engine, readIdx, FASHION_MNIST_CLASSES, decodePng, resizeGray, isPng } from 'lowbit';

const args = [...Deno.args];
const flag = (name: string, fallback: string) => {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const [, v] = args.splice(i, 2);
  return v;
};
const root = new URL('../../', import.meta.url);
const modelPath = flag('--model', new URL('models/fashion-cnn-1w4a.lbm', root).pathname);
const count = Number(flag('--count', '100'));
const threads = Number(flag('--threads', '1')); // > 1: the test split runs on that many Web Workers

const t0 = performance.now();
const lb = await init();
const engine = await Engine.load(await Deno.readFile(modelPath), { runtime: lb });
console.log(`deno ${Deno.version.deno}; lowbit ${lb.relaxedSimd ? 'relaxed-SIMD' : 'SIMD128'} build; ${modelPath}; loaded in ${(performance.now() - t0).toFixed(1)} ms`);

if (args.length) {
  for (const f of args) {
    const bytes = await Deno.readFile(f);
    const px = isPng(bytes) ? resizeGray(await decodePng(bytes, f), 28, 28) : bytes;
    const [c] = engine.predict(px, 1);
    console.log(`${f}: ${engine.classes[c]} (class ${c})`);
  }
} else {
  const dir = new URL('data/fashion-mnist-subset/', root);
  const images = await readIdx(await Deno.readFile(new URL('t10k-images-idx3-ubyte.gz', dir)), 'test images');
  const labels = await readIdx(await Deno.readFile(new URL('t10k-labels-idx1-ubyte.gz', dir)), 'test labels');
  const n = Math.min(count, images.dims[0]);
  const pool = threads > 1 ? await Engine.load(await Deno.readFile(modelPath), { threads }) : undefined;
  const t1 = performance.now();
  const pred = pool ? await pool.predict(images.data.subarray(0, n * 784), n) : engine.predict(images.data.subarray(0, n * 784), n);
  const ms = performance.now() - t1;
  if (pool) { console.log(`${pool.threads} threads (Web Workers)`); pool.dispose(); }
  let hits = 0;
  for (let i = 0; i < n; i++) if (pred[i] === labels.data[i]) hits++;
  for (let i = 0; i < Math.min(n, 5); i++) console.log(`image ${i}: ${FASHION_MNIST_CLASSES[pred[i]]} (label ${FASHION_MNIST_CLASSES[labels.data[i]]})`);
  console.log(`accuracy ${((100 * hits) / n).toFixed(2)}% on ${n} images, ${((n / ms) * 1000).toFixed(0)} images/s`);
}
engine.dispose();
