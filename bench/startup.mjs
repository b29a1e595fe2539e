// Runtime size and start-up, everywhere: the size of lowbit's runtime (wasm + JS, raw and gzipped,
// without a model) beside onnxruntime-web's and TensorFlow.js wasm's, and the time from import to
// first prediction with the model bytes in hand, in Node, Deno, workerd and Chromium (median of
// fresh starts). Writes the "Runtimes" section of bench/RESULTS.md.
//
//   npm run build && node bench/startup.mjs [--runs 5]
import { parseArgs } from 'node:util';
import { execFileSync, spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import os from 'node:os';
import { chromium } from 'playwright-core';
import { serve } from '../scripts/serve.mjs';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' }, out: { type: 'string', default: 'bench/RESULTS.md' } } });
const RUNS = Number(values.runs);
const root = new URL('..', import.meta.url).pathname;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const nm = (p) => join(root, 'node_modules', p);

// ---- sizes
const gz = async (files) => { let raw = 0, z = 0; for (const f of files) { const b = await readFile(f); raw += b.length; z += gzipSync(b, { level: 9 }).length; } return { raw, z }; };
const esbuildMin = (entry) => execFileSync(nm('.bin/esbuild'), [entry, '--bundle', '--format=esm', '--minify', '--platform=neutral', '--log-level=error']);
await writeFile('/tmp/lowbit-engine-entry.js', `export { init, Engine } from '${join(root, 'dist/lowbit.js')}';`);
await writeFile('/tmp/lowbit-engine.min.js', esbuildMin('/tmp/lowbit-engine-entry.js'));
const sizes = [
  ['lowbit: dist/lowbit.js (the whole core, as shipped) + lowbit.wasm', await gz([join(root, 'dist/lowbit.js'), join(root, 'build/lowbit.wasm')])],
  ['lowbit: `lowbit/engine` JavaScript alone (dist/engine.bundle.js, minified, as shipped)', await gz([join(root, 'dist/engine.bundle.js')])],
  ['lowbit: `lowbit/engine` (dist/engine.bundle.js, minified, as shipped) + lowbit.wasm', await gz([join(root, 'dist/engine.bundle.js'), join(root, 'build/lowbit.wasm')])],
  ['lowbit: init + Engine, tree-shaken and minified by a bundler (esbuild) + lowbit.wasm', await gz(['/tmp/lowbit-engine.min.js', join(root, 'build/lowbit.wasm')])],
  ['lowbit: the same + lowbit-relaxed.wasm (both builds)', await gz(['/tmp/lowbit-engine.min.js', join(root, 'build/lowbit.wasm'), join(root, 'build/lowbit-relaxed.wasm')])],
  ['onnxruntime-web 1.30: ort.wasm.min.mjs + ort-wasm-simd-threaded.wasm (+ its .mjs)', await gz([nm('onnxruntime-web/dist/ort.wasm.min.mjs'), nm('onnxruntime-web/dist/ort-wasm-simd-threaded.wasm'), nm('onnxruntime-web/dist/ort-wasm-simd-threaded.mjs')])],
  ['TensorFlow.js 4.22: tf-core.min.js + tf-backend-wasm.min.js + tfjs-backend-wasm-simd.wasm', await gz([nm('@tensorflow/tfjs-core/dist/tf-core.min.js'), nm('@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.min.js'), nm('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm')])],
];

// ---- start-up: import -> first prediction, model bytes read before the clock starts
const model = join(root, 'models/fashion-cnn-1w4a.lbm');
const nodeScript = `import { readFileSync } from 'node:fs';
const bytes = new Uint8Array(readFileSync(${JSON.stringify(model)}));
const t0 = performance.now();
const { Engine } = await import(${JSON.stringify(join(root, 'dist/node/engine.bundle.js'))});
const e = await Engine.load(bytes); e.predict(new Uint8Array(784), 1);
console.log(performance.now() - t0);`;
const denoScript = `const bytes = await Deno.readFile(${JSON.stringify(model)});
const t0 = performance.now();
const { init, Engine } = await import(${JSON.stringify(join(root, 'dist/engine.bundle.js'))});
const e = await Engine.load(bytes, { runtime: await init() }); e.predict(new Uint8Array(784), 1);
console.log(performance.now() - t0);`;
await writeFile('/tmp/lowbit-start-node.mjs', nodeScript);
await writeFile('/tmp/lowbit-start-deno.js', denoScript);
const times = {};
times.Node = median(Array.from({ length: RUNS }, () => Number(execFileSync(process.execPath, ['/tmp/lowbit-start-node.mjs']).toString())));
times.Deno = median(Array.from({ length: RUNS }, () => Number(execFileSync(nm('.bin/deno'), ['run', '--allow-read', '/tmp/lowbit-start-deno.js'], { env: { ...process.env, DENO_NO_UPDATE_CHECK: '1' } }).toString())));

// workerd: its clocks do not advance while a request computes (a Spectre mitigation), so it is
// measured from outside: the first POST /classify after start (init + Engine.load + predict) minus
// the median warm request, both over loopback.
async function workerdOnce() {
  const port = 20000 + Math.floor(Math.random() * 40000);
  const p = spawn(nm('.bin/workerd'), ['serve', join(root, 'examples/workers/config.capnp'), '--socket-addr', `http=127.0.0.1:${port}`], { stdio: 'ignore' });
  try {
    for (let i = 0; i < 100; i++) { await new Promise((r) => setTimeout(r, 50)); try { await fetch(`http://127.0.0.1:${port}/`); break; } catch {} }
    const body = new Uint8Array(784);
    const req = async () => { const t = performance.now(); const r = await fetch(`http://127.0.0.1:${port}/classify`, { method: 'POST', body }); await r.json(); return performance.now() - t; };
    const first = await req(), warm = median(await Promise.all([req(), req(), req(), req(), req()].map((x) => x)));
    return { first, warm };
  } finally { p.kill(); }
}
const wd = [];
for (let i = 0; i < RUNS; i++) wd.push(await workerdOnce());
times.workerd = median(wd.map((r) => r.first - r.warm));
const wdFirst = median(wd.map((r) => r.first)), wdWarm = median(wd.map((r) => r.warm));

// Chromium: a fresh page per run; model bytes fetched before the clock starts
const server = await serve(root);
const base = `http://127.0.0.1:${server.address().port}`;
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
const chrome = [];
for (let i = 0; i < RUNS; i++) {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await page.goto(`${base}/models/README.md`); // a static page of the same origin, so fetch and import are same-origin
  chrome.push(await page.evaluate(async ([b]) => {
    const bytes = new Uint8Array(await (await fetch(`${b}/models/fashion-cnn-1w4a.lbm`)).arrayBuffer());
    const t0 = performance.now();
    const { init, Engine } = await import(`${b}/dist/engine.bundle.js`);
    const e = await Engine.load(bytes, { runtime: await init() }); e.predict(new Uint8Array(784), 1);
    return performance.now() - t0;
  }, [base]));
  await ctx.close();
}
times.Chromium = median(chrome);
const chromeVersion = browser.version();
await browser.close();
server.close();
const denoVersion = execFileSync(nm('.bin/deno'), ['--version']).toString().split('\n')[0];
const wdVersion = execFileSync(nm('.bin/workerd'), ['--version']).toString().trim();

const kb = (b) => `${(b / 1024).toFixed(1)} KB`;
const section = `<!-- runtimes:start -->
## Runtimes: size and start-up

\`node bench/startup.mjs --runs ${RUNS}\` (${new Date().toISOString()}; ${os.cpus().length} x ${os.cpus()[0]?.model ?? 'CPU'}).

| runtime, without a model | raw | gzipped |
|---|---:|---:|
${sizes.map(([k, s]) => `| ${k} | ${kb(s.raw)} | ${kb(s.z)} |`).join('\n')}

Import to first prediction (models/fashion-cnn-1w4a.lbm, bytes already in memory; median of ${RUNS} fresh starts;
target < 20 ms in Node and workerd):

| host | import -> first prediction |
|---|---:|
| Node ${process.versions.node} (\`lowbit/engine\`: dist/node/engine.bundle.js) | ${times.Node.toFixed(1)} ms |
| ${denoVersion} (\`lowbit/engine\`: dist/engine.bundle.js; relaxed-SIMD build) | ${times.Deno.toFixed(1)} ms |
| workerd ${wdVersion} (examples/workers; first request minus a warm one: ${wdFirst.toFixed(1)} - ${wdWarm.toFixed(1)} ms) | ${times.workerd.toFixed(1)} ms |
| Chromium ${chromeVersion} (headless; dist/engine.bundle.js) | ${times.Chromium.toFixed(1)} ms |
<!-- runtimes:end -->
`;
let md = await readFile(values.out, 'utf8');
md = md.includes('<!-- runtimes:start -->') ? md.replace(/<!-- runtimes:start -->[\s\S]*<!-- runtimes:end -->\n?/, section) : `${md.trimEnd()}\n\n${section}`;
await writeFile(values.out, md);
console.log(section);
