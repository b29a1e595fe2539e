// Node entry point: like the core, but `init()` with no argument reads the bundled wasm file.
import { readFile } from 'node:fs/promises';
import { initFrom, type InitOptions, type Lowbit, type WasmSource } from '../runtime.js';
import { bundledWasmUrl } from '../index.js';

export * from '../index.js';
import { setDefaultRuntime } from '../infer/engine.js';

/** Load the runtime: from `source` if given, else from the wasm file in this package that suits this host. */
export async function init(source?: WasmSource, options: InitOptions = {}): Promise<Lowbit> {
  if (source === undefined) source = bundledWasmUrl(options);
  if (source instanceof URL && source.protocol === 'file:') return initFrom(await readFile(source));
  return initFrom(source);
}
export { loadFashionMnist, DEBIAN_FASHION_MNIST, SUBSET_DIR, type FashionMnist } from './fashion-mnist.js';

setDefaultRuntime(() => init());
