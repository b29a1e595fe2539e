/**
 * `import ... from 'lowbit/engine'`: inference only (init, Engine, LowbitError), the smallest bundle.
 * @module lowbit/engine
 */
// lowbit/engine: only what inference needs (init, Engine, errors), for the smallest bundle and the
// fastest start-up; web-standard like the core.
export { initEngine as init } from './infer/engine.js';
export { wasmUrl, relaxedWasmUrl, bundledWasmUrl } from './wasm-urls.js';
export { Engine } from './infer/engine.js';
export { LowbitError } from './errors.js';
export type { Lowbit, WasmSource, InitOptions } from './runtime.js';
