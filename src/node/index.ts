// Node entry point: like the core, but `init()` with no argument reads the bundled wasm file.
import { readFile } from 'node:fs/promises';
import { initFrom, type Lowbit, type WasmSource } from '../runtime.js';
import { wasmUrl } from '../index.js';

export * from '../index.js';

/** Load the runtime: from `source` if given, else from the lowbit.wasm file in this package. */
export async function init(source?: WasmSource): Promise<Lowbit> {
  if (source === undefined || (source instanceof URL && source.protocol === 'file:')) {
    return initFrom(await readFile(source ?? wasmUrl));
  }
  return initFrom(source);
}
export { loadFashionMnist, DEBIAN_FASHION_MNIST, SUBSET_DIR, type FashionMnist } from './fashion-mnist.js';
