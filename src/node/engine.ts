// lowbit/engine for Node: init() reads the bundled wasm file; Engine.load uses it by default.
import { readFile } from 'node:fs/promises';
import { defaultBuild, initFrom, type InitOptions, type Lowbit, type WasmSource } from '../runtime.js';
import { setDefaultRuntime } from '../infer/engine.js';

export { Engine } from '../infer/engine.js';
export { LowbitError } from '../errors.js';
export type { Lowbit, WasmSource, InitOptions } from '../runtime.js';

const wasmUrl = new URL('../../build/lowbit.wasm', import.meta.url);
const relaxedWasmUrl = new URL('../../build/lowbit-relaxed.wasm', import.meta.url);

/** Load the runtime: from `source` if given, else the wasm file in this package that suits this host. */
export async function init(source?: WasmSource, options: InitOptions = {}): Promise<Lowbit> {
  if (source === undefined) source = defaultBuild(options) === 'relaxed' ? relaxedWasmUrl : wasmUrl;
  if (source instanceof URL && source.protocol === 'file:') return initFrom(await readFile(source));
  return initFrom(source);
}

setDefaultRuntime(() => init());
