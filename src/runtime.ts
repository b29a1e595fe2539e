import { LowbitError, checkOptions } from './errors.js';
import { Heap } from './memory.js';
import type { WasmExports } from './wasm-abi.js';
import type { Kernels } from './kernels/index.js';

/** What `init` accepts: the wasm bytes, a compiled module, a URL (or string) to fetch, or a fetch Response. */
export type WasmSource = Uint8Array | ArrayBuffer | WebAssembly.Module | URL | string | Response;

// (module (func (result v128) (v128.const i32x4 0 0 0 0))): validates only where SIMD128 is supported.
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 22, 1, 20, 0, 253, 12,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 11,
]);

/** True when this host's WebAssembly validates SIMD128 (Node >= 16.4, Chrome 91, Firefox 89, Safari 16.4, Deno, workerd). */
export function hasWasmSimd(): boolean {
  return typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
}

// (module (func (result v128) (i8x16.relaxed_swizzle (v128.const 0) (v128.const 0))))
const RELAXED_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 43, 1, 41, 0, 253, 12,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  253, 128, 2, 11,
]);

/**
 * True when the host validates relaxed SIMD (Node 22/24, Deno, workerd, current Chrome; Node 20 only
 * with --experimental-wasm-relaxed-simd). Then init() loads lowbit-relaxed.wasm; results are
 * identical in both builds.
 */
export function hasRelaxedSimd(): boolean {
  return typeof WebAssembly === 'object' && WebAssembly.validate(RELAXED_PROBE);
}

/** Which bundled wasm init() loads when given no source. */
export function defaultBuild(options: InitOptions): 'baseline' | 'relaxed' {
  checkOptions('init', options, ['build']);
  const b = options.build ?? 'auto';
  if (b !== 'auto' && b !== 'baseline' && b !== 'relaxed') {
    throw new LowbitError('BAD_ARGUMENT', `build must be 'auto', 'baseline' or 'relaxed', got ${String(b)}`);
  }
  if (b === 'relaxed' && !hasRelaxedSimd()) {
    throw new LowbitError('NO_RELAXED_SIMD', "this host rejects relaxed SIMD (Node 20 needs --experimental-wasm-relaxed-simd); use build 'baseline' or 'auto'");
  }
  return b === 'auto' ? (hasRelaxedSimd() ? 'relaxed' : 'baseline') : b;
}

export interface InitOptions {
  /**
   * Which bundled wasm to load when init() gets no source: 'auto' (default) takes the relaxed-SIMD
   * build where the host validates it, else the baseline SIMD128 one.
   */
  build?: 'auto' | 'baseline' | 'relaxed';
}

/** A loaded lowbit runtime: one wasm instance with its own memory. */
export interface Lowbit {
  /** The typed-array kernel API (not in lowbit/engine, whose runtime has none: use 'lowbit') */
  readonly kernels: Kernels;
  /** True when the loaded wasm is the relaxed-SIMD build. */
  readonly relaxedSimd: boolean;
  /** Current size of wasm linear memory in bytes (it grows on demand and never shrinks). */
  memoryBytes(): number;
  /** wasm memory: what layers and models (Sequential) allocate in; pass it to `new Sequential(lb.heap, ...)` */
  readonly wasm: WasmExports;
  readonly heap: Heap;
}

async function toModuleOrBytes(source: WasmSource): Promise<WebAssembly.Module | Uint8Array> {
  if (source instanceof WebAssembly.Module) return source;
  if (source instanceof Uint8Array) return source;
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  let response: Response;
  if (typeof Response !== 'undefined' && source instanceof Response) response = source;
  else if (source instanceof URL || typeof source === 'string') {
    try {
      response = await fetch(source);
    } catch (e) {
      throw new LowbitError('WASM_LOAD', `could not fetch lowbit.wasm from ${String(source)}: ${(e as Error).message}`);
    }
  } else {
    throw new LowbitError('BAD_ARGUMENT', 'init() takes the wasm bytes, a WebAssembly.Module, a URL or a Response');
  }
  if (!response.ok) {
    throw new LowbitError('WASM_LOAD', `fetching lowbit.wasm from ${response.url || String(source)} failed: HTTP ${response.status}`);
  }
  return new Uint8Array(await response.arrayBuffer());
}

/** An AssemblyScript string in wasm memory: UTF-16 code units, byte length in the u32 before it. */
function readString(memory: WebAssembly.Memory, ptr: number): string {
  if (!ptr) return '';
  const bytes = new Uint32Array(memory.buffer, (ptr - 4) >>> 0, 1)[0];
  return String.fromCharCode(...new Uint16Array(memory.buffer, ptr >>> 0, Math.min(bytes >>> 1, 1000)));
}

/**
 * Instantiate lowbit.wasm directly (its only import is AssemblyScript's abort, decoded here into a
 * LowbitError). @assemblyscript/loader's instantiate took 26-37 ms here against 0.3 ms for this
 * (it post-processes every export), most of the 20 ms import-to-first-prediction budget.
 */
async function instantiateLowbit(bin: WebAssembly.Module | Uint8Array, shared?: WebAssembly.Memory): Promise<WasmExports> {
  let memory: WebAssembly.Memory | undefined;
  const imports: WebAssembly.Imports = {
    env: {
      ...(shared && { memory: shared }),
      abort(msg: number, file: number, line: number, col: number): never {
        const what = memory ? `${readString(memory, msg)} at ${readString(memory, file)}:${line}:${col}` : 'abort';
        throw new LowbitError('WASM_ABORT', `lowbit.wasm aborted: ${what}; please report it with the input that caused it`);
      },
    },
  };
  const instance = bin instanceof WebAssembly.Module
    ? await WebAssembly.instantiate(bin, imports)
    : (await WebAssembly.instantiate(bin as Uint8Array<ArrayBuffer>, imports)).instance;
  const exports = instance.exports as unknown as WasmExports;
  memory = exports.memory;
  return exports;
}

/**
 * Instantiate the runtime from `source`; `makeTable` builds the typed-array kernel API (the full
 * entries pass it; lowbit/engine does not, so none of the kernel wrappers reach its bundle).
 * `memory`: the shared memory a shared-memory build imports (engine pools' threads).
 */
export async function initFrom(source: WasmSource, makeTable?: (heap: Heap) => Kernels, memory?: WebAssembly.Memory): Promise<Lowbit> {
  if (!hasWasmSimd()) {
    throw new LowbitError('NO_WASM_SIMD',
      'this JavaScript host has no WebAssembly SIMD128; lowbit needs Node >= 16.4, Deno, Chrome/Edge >= 91, Firefox >= 89 or Safari >= 16.4');
  }
  const bin = await toModuleOrBytes(source);
  let exports: WasmExports;
  try {
    exports = await instantiateLowbit(bin, memory);
  } catch (e) {
    if (e instanceof WebAssembly.CompileError) {
      const hint = hasRelaxedSimd() ? '' : ' (lowbit-relaxed.wasm needs relaxed SIMD, which this host rejects: load lowbit.wasm)';
      throw new LowbitError('WASM_INVALID', `the wasm did not compile (${e.message}); the bytes are not a lowbit build for this host${hint}`);
    }
    throw e;
  }
  if (typeof exports.xnorGemm !== 'function' || !(exports.memory instanceof WebAssembly.Memory)) {
    throw new LowbitError('WASM_INVALID', 'the module given to init() is not lowbit.wasm (missing exports)');
  }
  const heap = new Heap(exports);
  let kernels: Kernels | undefined;
  return {
    get kernels(): Kernels {
      if (!makeTable) throw new LowbitError('BAD_ARGUMENT', "this runtime comes from lowbit/engine, which carries no kernel API: import init from 'lowbit' for lb.kernels");
      return (kernels ??= makeTable(heap));
    },
    relaxedSimd: exports.relaxedSimd() === 1,
    memoryBytes: () => exports.memory.buffer.byteLength, // exact past 2 GiB, where the i32 export wraps
    wasm: exports,
    heap,
  };
}
