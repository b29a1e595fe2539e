// Where the web-standard entries find the bundled wasm: beside the module, in ../build/.
import { LowbitError } from './errors.js';
import { defaultBuild, type InitOptions } from './runtime.js';

/** A file beside this module, or undefined where modules have no URL (bundled into a Worker). */
function besideModule(path: string): URL | undefined {
  try {
    return new URL(path, import.meta.url);
  } catch {
    return undefined;
  }
}

/** URLs of the wasm builds shipped with the package: baseline SIMD128, and relaxed SIMD. */
export const wasmUrl = besideModule('../build/lowbit.wasm') as URL;
export const relaxedWasmUrl = besideModule('../build/lowbit-relaxed.wasm') as URL;

/** The bundled build that suits this host (or the one options.build asks for). */
export function bundledWasmUrl(options: InitOptions = {}): URL {
  const url = defaultBuild(options) === 'relaxed' ? relaxedWasmUrl : wasmUrl;
  if (!url) {
    throw new LowbitError('WASM_LOAD', 'this host gives modules no URL to find lowbit.wasm beside them: pass the wasm to init() (in Workers: import lowbit.wasm as a module)');
  }
  return url;
}
