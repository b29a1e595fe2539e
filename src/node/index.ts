/**
 * `import ... from 'lowbit'`: kernels, training, compilation, the model file and the Engine. In
 * Node this entry adds `init()` reading the bundled wasm from disk and `loadFashionMnist`; other
 * hosts get the same API without those two (their `init()` fetches the wasm beside the module).
 * @module lowbit
 */
// Node entry point: like the core, but `init()` with no argument reads the bundled wasm file.
export * from '../index.js';
// these shadow the core's init and wasm URLs (which are relative to dist/, and fetched)
export { init, wasmUrl, relaxedWasmUrl, bundledWasmUrl } from './wasm-file.js';
export { loadFashionMnist, DEBIAN_FASHION_MNIST, SUBSET_DIR, type FashionMnist } from './fashion-mnist.js';
export { EnginePool } from '../infer/pool.js';
export type { EngineLoadOptions, PoolMemory } from '../infer/engine.js';
import { setPoolFactory } from '../infer/engine.js';
import { startNodePool } from './pool.js';
setPoolFactory(startNodePool);
