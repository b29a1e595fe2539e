// Node entry point: like the core, but `init()` with no argument reads the bundled wasm file.
import { readFile } from 'node:fs/promises';
import { defaultBuild, initFrom, type InitOptions, type Lowbit, type WasmSource } from '../runtime.js';
import { relaxedWasmUrl, wasmUrl } from '../index.js';

export * from '../index.js';

/** Load the runtime: from `source` if given, else from the wasm file in this package that suits this host. */
export async function init(source?: WasmSource, options: InitOptions = {}): Promise<Lowbit> {
  if (source === undefined) source = defaultBuild(options) === 'relaxed' ? relaxedWasmUrl : wasmUrl;
  if (source instanceof URL && source.protocol === 'file:') return initFrom(await readFile(source), options);
  return initFrom(source, options);
}
export { loadFashionMnist, DEBIAN_FASHION_MNIST, SUBSET_DIR, type FashionMnist } from './fashion-mnist.js';
