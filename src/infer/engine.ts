// The Engine runs an integer-only plan (./plan.ts) on u8 pixels: integer kernels between layers,
// one float scale per class at the end. Web-standard: loads from bytes in any host.
import { LowbitError, checkInt, checkOptions } from '../errors.js';
import { scoped } from '../memory.js';
import { initFrom, type InitOptions, type Lowbit, type WasmSource } from '../runtime.js';
import { bundledWasmUrl } from '../wasm-urls.js';
import type { Plan } from './plan.js';
import { stepOutputShape } from './plan.js';
import { decodeModel } from './format.js';
import { makeRunner, Resident, type Runner } from './runners.js';
import type { EnginePool } from './pool.js';
import { argmaxRows, checkPixels } from './batch.js';

type Init = () => Promise<Lowbit>;
let defaultInit: Init | undefined;
/** The runtime loader Engine.load uses when given none (the Node entry installs its file reader). */
export function setDefaultRuntime(init: Init): void { defaultInit = init; }

type PoolFactory = (bytes: Uint8Array, threads: number | 'auto') => Promise<EnginePool>;
let poolFactory: PoolFactory | undefined;
/** How Engine.load starts worker threads (installed by the 'lowbit' entries; lowbit/engine has none). */
export function setPoolFactory(f: PoolFactory): void { poolFactory = f; }

export interface EngineLoadOptions {
  /** the runtime to load into (default: the bundled wasm for this host) */
  runtime?: Lowbit;
  /**
   * Worker threads (default 1): with more than 1, or 'auto' (the host's cores), Engine.load
   * resolves to an EnginePool whose logits and predict return Promises; each thread runs its own
   * copy of the model, and batches are split by images. From the 'lowbit' entry in Node (worker_threads).
   */
  threads?: number | 'auto';
}

/**
 * The web-standard runtime without the typed-array kernel API: from `source`, else the bundled
 * wasm beside the module (lowbit/engine's init, and Engine.load's default outside Node).
 */
export function initEngine(source?: WasmSource, options: InitOptions = {}): Promise<Lowbit> {
  return initFrom(source ?? bundledWasmUrl(options));
}

/** Largest per-chunk activation (elements): images run in chunks that keep every layer under it. */
const CHUNK_ELEMENTS = 1 << 22;

export class Engine {
  private readonly resident: Resident;
  private readonly runners: Runner[];
  private readonly input: (bytes: number) => number;
  private readonly chunk: number;
  private disposed = false;

  private constructor(private readonly lb: Lowbit, readonly plan: Plan) {
    this.resident = new Resident(lb.heap);
    try {
      let shape = plan.inputShape;
      this.runners = plan.steps.map((s) => {
        const run = makeRunner(this.resident, s, shape);
        shape = stepOutputShape(s);
        return run;
      });
    } catch (e) {
      this.resident.dispose();
      throw e;
    }
    this.input = this.resident.slot();
    // per image: the largest output (int32 sums) or im2col-sized input of any step
    const per = Math.max(...plan.steps.map((s) => Math.max(s.h * s.w * s.out, s.h * s.w * s.c * s.k * s.k)));
    this.chunk = Math.max(1, Math.min(256, Math.floor(CHUNK_ELEMENTS / per)));
  }

  /** Load a model file (.lbm bytes); validates it completely before anything reaches wasm. */
  static async load(bytes: Uint8Array, options: EngineLoadOptions & { threads: number | 'auto' }): Promise<Engine | EnginePool>;
  static async load(bytes: Uint8Array, options?: EngineLoadOptions): Promise<Engine>;
  static async load(bytes: Uint8Array, options: EngineLoadOptions = {}): Promise<Engine | EnginePool> {
    checkOptions('Engine.load', options, ['runtime', 'threads']);
    const threads = options.threads ?? 1;
    if (threads !== 1) {
      if (threads !== 'auto') checkInt('threads', threads, 1, 256);
      if (options.runtime) throw new LowbitError('BAD_ARGUMENT', 'Engine.load: threads and runtime exclude each other (every thread loads its own runtime)');
      if (!poolFactory) throw new LowbitError('BAD_ARGUMENT', "Engine.load: threads need the 'lowbit' entry in Node (worker_threads); lowbit/engine and other hosts run one thread");
      decodeModel(bytes); // refuse a bad file here, with the same errors as one thread
      return poolFactory(bytes, threads);
    }
    let lb = options.runtime;
    if (!lb) {
      lb = await (defaultInit ?? initEngine)();
    }
    const heap = lb.heap;
    // the checksum in wasm: a cold JavaScript loop over the file cost milliseconds at start-up
    const crc = (b: Uint8Array) => scoped(heap, (arena) => heap.wasm.crc32(arena.put(b), b.length) >>> 0);
    return new Engine(lb, decodeModel(bytes, crc));
  }

  /** Run a plan directly (tests, compile-and-run without a file). */
  static fromPlan(plan: Plan, runtime: Lowbit): Engine { return new Engine(runtime, plan); }

  get inputShape(): [number, number, number] { return [...this.plan.inputShape]; }
  get classes(): string[] { return [...this.plan.classes]; }

  /** Logits [count][classes] for `count` NHWC u8 images. */
  logits(pixels: Uint8Array, count: number): Float32Array {
    if (this.disposed) throw new LowbitError('DISPOSED', 'this Engine was disposed; load the model again');
    const per = checkPixels(pixels, count, this.plan.inputShape);
    const classes = this.plan.classes.length, out = new Float32Array(count * classes), heap = this.lb.heap;
    for (let from = 0; from < count; from += this.chunk) {
      const n = Math.min(this.chunk, count - from);
      let x = this.input(n * per);
      heap.write(x, pixels.subarray(from * per, (from + n) * per));
      for (const run of this.runners) x = run(x, n);
      heap.read(Float32Array, x, n * classes, out.subarray(from * classes, (from + n) * classes));
    }
    return out;
  }

  /** Class index per image. */
  predict(pixels: Uint8Array, count: number): Int32Array {
    return argmaxRows(this.logits(pixels, count), count, this.plan.classes.length);
  }

  /** Free the model's wasm memory; the Engine cannot be used afterwards. */
  dispose(): void {
    if (!this.disposed) this.resident.dispose();
    this.disposed = true;
  }
}
