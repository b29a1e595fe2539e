// The browser demo: draw or pick an image; classify it with a shipped model; show the class, a bar
// chart of the scores and the latency. Uses the package's web-standard core unbundled.
import { init, Engine, readIdx, FASHION_MNIST_CLASSES } from 'lowbit'; // the import map in index.html says where the package is

const $ = (id) => document.getElementById(id);
const root = new URL('../../', import.meta.url);
const lb = await init(); // fetches the wasm beside dist/ (relaxed SIMD where the browser validates it)
let engine;
async function loadModel(name) {
  engine?.dispose();
  engine = await Engine.load(new Uint8Array(await (await fetch(new URL(`models/${name}`, root))).arrayBuffer()), { runtime: lb });
  engine.predict(new Uint8Array(784), 1); // warm: the first call compiles the wasm code it runs, so the latency shown is a warm one
  $('status').textContent = `${name} loaded; lowbit ${lb.relaxedSimd ? 'relaxed-SIMD' : 'SIMD128'} build`;
}
await loadModel($('model').value);

let current; // the image on screen, classified again when the model changes
function show(pixels) {
  current = pixels;
  const t0 = performance.now();
  const z = engine.logits(pixels, 1);
  const ms = performance.now() - t0;
  const max = Math.max(...z), ex = Array.from(z, (v) => Math.exp(v - max)), sum = ex.reduce((a, b) => a + b, 0);
  const p = ex.map((v) => v / sum), best = p.indexOf(Math.max(...p));
  $('result').textContent = FASHION_MNIST_CLASSES[best];
  $('result').dataset.class = String(best);
  $('latency').textContent = `${(ms * 1000).toFixed(0)} us (batch 1, warm)`;
  $('bars').innerHTML = p.map((v, i) => `<div class="bar"><span>${FASHION_MNIST_CLASSES[i]}</span><div style="width:${Math.round(v * 220)}px"></div><span>${(100 * v).toFixed(1)}%</span></div>`).join('');
}

// drawing pad: 280x280 strokes, area-averaged to 28x28 gray
const pad = $('pad'), ctx = pad.getContext('2d');
function clearPad() { ctx.fillStyle = '#000'; ctx.fillRect(0, 0, 280, 280); }
clearPad();
let drawing = false;
const at = (e) => { const r = pad.getBoundingClientRect(); return [e.clientX - r.left, e.clientY - r.top]; };
function padPixels() {
  const rgba = ctx.getImageData(0, 0, 280, 280).data, out = new Uint8Array(784);
  for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) {
    let s = 0;
    for (let dy = 0; dy < 10; dy++) for (let dx = 0; dx < 10; dx++) s += rgba[((y * 10 + dy) * 280 + x * 10 + dx) * 4];
    out[y * 28 + x] = Math.round(s / 100);
  }
  return out;
}
pad.addEventListener('pointerdown', (e) => { drawing = true; ctx.beginPath(); ctx.moveTo(...at(e)); });
pad.addEventListener('pointermove', (e) => {
  if (!drawing) return;
  ctx.lineTo(...at(e)); ctx.strokeStyle = '#fff'; ctx.lineWidth = 22; ctx.lineCap = 'round'; ctx.lineJoin = 'round'; ctx.stroke();
  show(padPixels());
});
addEventListener('pointerup', () => { if (drawing) { drawing = false; show(padPixels()); } });
function clearResult() { current = undefined; $('result').textContent = ''; delete $('result').dataset.class; $('bars').innerHTML = ''; $('latency').textContent = ''; }
$('clear').onclick = () => { clearPad(); clearResult(); };
$('model').onchange = async () => {
  const shown = current;
  clearResult(); // no stale result from the previous model while the new one loads
  await loadModel($('model').value);
  if (shown) show(shown);
};

// test images: 30 from the shipped subset (3 per class)
const dir = new URL('data/fashion-mnist-subset/', root);
const images = await readIdx(new Uint8Array(await (await fetch(new URL('t10k-images-idx3-ubyte.gz', dir))).arrayBuffer()), 'test images');
const labels = await readIdx(new Uint8Array(await (await fetch(new URL('t10k-labels-idx1-ubyte.gz', dir))).arrayBuffer()), 'test labels');
const picked = [];
for (let c = 0; c < 10; c++) for (let i = 0, n = 0; i < labels.data.length && n < 3; i++) if (labels.data[i] === c) { picked.push(i); n++; }
for (const i of picked) {
  const px = images.data.slice(i * 784, (i + 1) * 784), cv = document.createElement('canvas');
  cv.width = cv.height = 28;
  const id = cv.getContext('2d').createImageData(28, 28);
  for (let j = 0; j < 784; j++) id.data.set([px[j], px[j], px[j], 255], j * 4);
  cv.getContext('2d').putImageData(id, 0, 0);
  const img = document.createElement('img');
  img.src = cv.toDataURL();
  img.title = `test image ${i}: ${FASHION_MNIST_CLASSES[labels.data[i]]}`;
  img.dataset.index = String(i);
  img.dataset.label = String(labels.data[i]);
  img.onclick = () => {
    document.querySelectorAll('#thumbs img').forEach((t) => t.classList.remove('sel'));
    img.classList.add('sel');
    ctx.drawImage(cv, 0, 0, 280, 280); // also onto the pad, scaled up
    show(px);
  };
  $('thumbs').append(img);
}
// the whole test split as one batch, on 2 Web Workers where the browser has them (each worker holds
// its own copy of the model; no SharedArrayBuffer, so no cross-origin isolation is needed)
$('batch').onclick = async () => {
  const n = labels.data.length, name = $('model').value;
  const bytes = new Uint8Array(await (await fetch(new URL(`models/${name}`, root))).arrayBuffer());
  let runner, mode;
  try { runner = await Engine.load(bytes, { threads: 2 }); mode = `${runner.threads} threads (Web Workers)`; } catch (e) {
    runner = engine; mode = `1 thread (${e.message})`;
  }
  const t0 = performance.now(), pred = await runner.predict(images.data.subarray(0, n * 784), n), ms = performance.now() - t0;
  let hits = 0;
  for (let i = 0; i < n; i++) if (pred[i] === labels.data[i]) hits++;
  if (runner !== engine) runner.dispose();
  $('batchResult').textContent = `${name}: accuracy ${((100 * hits) / n).toFixed(1)}% on ${n} images in ${ms.toFixed(0)} ms, ${mode}`;
  $('batchResult').dataset.mode = mode.split(' (')[0];
  $('batchResult').dataset.hits = String(hits);
};
document.body.dataset.ready = '1';
