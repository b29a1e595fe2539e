// Minify the lowbit/engine bundles a second time with terser, after esbuild has bundled and
// minified them: terser's compressor (three passes, function declarations hoisted) and mangler
// take another ~5% off the gzipped size, which keeps the inference-only entry within its 12 KB
// budget. Property names that only the Engine's internals use are mangled too: never a model
// file's JSON key, a wasm export, a public API name or a built-in's (no fill, parse, run, out, u8).
import { readFile, writeFile } from 'node:fs/promises';
import { minify } from 'terser';

const root = new URL('..', import.meta.url).pathname;
const INTERNAL = ['resident', 'runners', 'outSizes', 'freed', 'inShape', 'ptr', 'bytes', 'live', 'runImported', 'loads', 'scratches', 'slots', 'roles', 'newSlot',
  'put', 'scratch', 'slot', 'conv', 'st', 'oh', 'ow', 'padT', 'padL', 'taps', 'kk', 'inPixels', 'wordsPerPixel', 'acc', 'col', 'pack',
  'unpackSigns', 'fusedBits', 'thr', 'lb'];
for (const file of ['dist/engine.bundle.js', 'dist/node/engine.bundle.js']) {
  const path = `${root}${file}`;
  const out = await minify(await readFile(path, 'utf8'), { module: true, compress: { passes: 3, hoist_funs: true }, mangle: { properties: { regex: new RegExp(`^(${INTERNAL.join('|')})$`) } } });
  if (!out.code) throw new Error(`terser produced no code for ${file}`);
  await writeFile(path, out.code);
}
