// Node's way to the wasm: read the file beside this package's dist/node/ (also where the bundled
// entries dist/node/lowbit.js and dist/node/engine.bundle.js sit), and make it Engine.load's default.
import { readFile } from 'node:fs/promises';
import { defaultBuild, initFrom, type InitOptions, type Lowbit, type WasmSource } from '../runtime.js';
import type { Heap } from '../memory.js';
import type { Kernels } from '../kernels/index.js';
import { setDefaultRuntime } from '../infer/engine.js';
import { makeKernels } from '../kernels/index.js';

export const wasmUrl = new URL('../../build/lowbit.wasm', import.meta.url);
export const relaxedWasmUrl = new URL('../../build/lowbit-relaxed.wasm', import.meta.url);

export function bundledWasmUrl(options: InitOptions = {}): URL {
  return defaultBuild(options) === 'relaxed' ? relaxedWasmUrl : wasmUrl;
}

/** The shared-memory build (engine pools whose threads share one memory) that suits this host. */
export function sharedWasmUrl(options: InitOptions = {}): URL {
  return new URL(defaultBuild(options) === 'relaxed' ? '../../build/lowbit-relaxed-shared.wasm' : '../../build/lowbit-shared.wasm', import.meta.url);
}

async function load(source: WasmSource | undefined, options: InitOptions, table?: (heap: Heap) => Kernels): Promise<Lowbit> {
  if (source === undefined) source = bundledWasmUrl(options);
  if (source instanceof URL && source.protocol === 'file:') return initFrom(await readFile(source), table);
  return initFrom(source, table);
}

/** Load the runtime: from `source` if given, else from the wasm file in this package that suits this host. */
export function init(source?: WasmSource, options: InitOptions = {}): Promise<Lowbit> {
  return load(source, options, makeKernels);
}

/** The same without the typed-array kernel API (lowbit/engine's init; Engine.load's default). */
export function initEngine(source?: WasmSource, options: InitOptions = {}): Promise<Lowbit> {
  return load(source, options);
}

setDefaultRuntime(() => initEngine());
