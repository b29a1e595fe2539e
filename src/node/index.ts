// Node entry point: like the core, but `init()` with no argument reads the bundled wasm file.
import { readFile } from 'node:fs/promises';
import { defaultBuild, initFrom, type InitOptions, type Lowbit, type WasmSource } from '../runtime.js';

export * from '../index.js';

// The wasm files, relative to this entry (dist/node/, also where the bundled dist/node/lowbit.js
// sits); these shadow the core's URLs, which are relative to dist/.
export const wasmUrl = new URL('../../build/lowbit.wasm', import.meta.url);
export const relaxedWasmUrl = new URL('../../build/lowbit-relaxed.wasm', import.meta.url);
export function bundledWasmUrl(options: InitOptions = {}): URL {
  return defaultBuild(options) === 'relaxed' ? relaxedWasmUrl : wasmUrl;
}
import { setDefaultRuntime } from '../infer/engine.js';

/** Load the runtime: from `source` if given, else from the wasm file in this package that suits this host. */
export async function init(source?: WasmSource, options: InitOptions = {}): Promise<Lowbit> {
  if (source === undefined) source = bundledWasmUrl(options);
  if (source instanceof URL && source.protocol === 'file:') return initFrom(await readFile(source));
  return initFrom(source);
}
export { loadFashionMnist, DEBIAN_FASHION_MNIST, SUBSET_DIR, type FashionMnist } from './fashion-mnist.js';

setDefaultRuntime(() => init());
