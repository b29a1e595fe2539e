// lowbit/engine for Node: init() reads the bundled wasm file; Engine.load uses it by default.
export { initEngine as init } from './wasm-file.js';
export { Engine } from '../infer/engine.js';
export { LowbitError } from '../errors.js';
export type { Lowbit, WasmSource, InitOptions } from '../runtime.js';
