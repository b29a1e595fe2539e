// The Engine runs an integer-only plan (./plan.ts) on u8 pixels: integer kernels between layers,
// one float scale per class at the end. Web-standard: loads from bytes in any host.
import { LowbitError, checkOptions } from '../errors.js';
import { scoped } from '../memory.js';
import { initFrom, type InitOptions, type Lowbit, type WasmSource } from '../runtime.js';
import { bundledWasmUrl } from '../wasm-urls.js';
import { planGraph, planInputs, type Plan } from './plan.js';
import { parseModel, planValues } from './format.js';
import { makeNodeRunner } from './nodes.js';
import { Resident } from './resident.js';
import type { RunBuffer } from './nodes/node-op.js';
import type { EnginePool } from './pool.js';
import { argmaxRows, checkPixels } from './batch.js';

type Init = () => Promise<Lowbit>;
let defaultInit: Init | undefined;
/** The runtime loader Engine.load uses when given none (the Node entry installs its file reader). */
export function setDefaultRuntime(init: Init): void { defaultInit = init; }

/** What running an imported model, or a model of several inputs or outputs, reads of an Engine's fields (./imported-run.ts, ./run-all.ts). */
export interface ImportedContext {
  plan: Plan; lb: Lowbit; resident: Resident; chunk: number; inputs: ((bytes: number) => number)[]; outputs: number[]; outSizes: number[];
  runners: { run: (xs: number[], n: number) => number; inputs: number[] }[];
}
type ImportedRun = (ctx: ImportedContext, input: Uint8Array | Float32Array, count: number) => Float32Array;
type RunAll = (ctx: ImportedContext, inputs: Uint8Array[], count: number) => Float32Array[];
let runAll: RunAll | undefined;
/** Engine.runAll, for models of several inputs or outputs (installed by the 'lowbit' entry). */
export function setRunAll(f: RunAll): void { runAll = f; }
let importedRun: ImportedRun | undefined;
/** How Engine.run takes float input in an imported model's layout (installed by the 'lowbit' entry). */
export function setImportedRun(f: ImportedRun): void { importedRun = f; }

/** How a pool's threads hold the model: each its own wasm memory, or one memory shared by all. */
export type PoolMemory = 'replicated' | 'shared';
/** Starts a pool for Engine.load (options.threads is not 1), checking the options and the file first (./pool.ts checkPoolModel). */
type PoolFactory = (bytes: Uint8Array, options: EngineLoadOptions) => Promise<EnginePool>;
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
  /**
   * With threads: 'replicated' (default) gives every thread its own wasm memory and copy of the
   * model; 'shared' runs all threads in one shared memory holding the model once (Node).
   */
  memory?: PoolMemory;
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
  /** one runner per node (a chain plan: per step), reading the values `inputs` names (0..k-1: the inputs) */
  private readonly runners: { run: (xs: number[], n: number) => number; inputs: number[] }[];
  /** the buffers of the inputs */
  private readonly inputs: RunBuffer[];
  /** the values the model returns, and their sizes per sample */
  private readonly outputs: number[];
  private readonly outSizes: number[];
  /** most images per pass through the runners */
  readonly chunk: number;
  private freed = false;

  private constructor(private readonly lb: Lowbit, readonly plan: Plan, resident?: Resident) {
    const r = (this.resident = resident ?? new Resident(lb.heap));
    const graph = planGraph(plan), values = planValues(plan), k = planInputs(plan).length, outs = (this.outputs = plan.outputs ?? [values.length - 1]);
    this.outSizes = outs.map((v) => values[v].shape[0] * values[v].shape[1] * values[v].shape[2]);
    // liveness: node i's output takes a buffer no later node reads any more; the outputs are read at the end
    const lastRead = values.map((_, v) => (outs.includes(v) ? graph.length : -1));
    graph.forEach((n, i) => n.inputs.forEach((v) => (lastRead[v] = Math.max(lastRead[v], i))));
    const free: RunBuffer[] = [], held = (this.inputs = values.slice(0, k).map(() => r.slot())).slice();
    try {
      this.runners = graph.map((node, i) => {
        const out = free.pop() ?? r.slot();
        held.push(out);
        const run = makeNodeRunner(r, plan, node, node.inputs.map((v) => values[v]), out, values[k + i]);
        for (const v of new Set(node.inputs)) if (lastRead[v] === i) free.push(held[v]);
        return { run, inputs: [...node.inputs] };
      });
    } catch (e) {
      r.dispose();
      throw e;
    }
    // per image: the largest value, or sums before pooling or im2col-sized input of any step
    const per = Math.max(...values.map((v) => v.shape[0] * v.shape[1] * v.shape[2]), ...plan.steps.map((s) => s.h * s.w * Math.max(s.out, s.c * s.k * s.k)));
    this.chunk = Math.max(1, Math.min(256, Math.floor(CHUNK_ELEMENTS / per)));
  }

  /** Load a model file (.lbm bytes); validates it completely before anything reaches wasm. */
  static async load(bytes: Uint8Array, options: EngineLoadOptions & { threads: number | 'auto' }): Promise<Engine | EnginePool>;
  static async load(bytes: Uint8Array, options?: EngineLoadOptions): Promise<Engine>;
  static async load(bytes: Uint8Array, options: EngineLoadOptions = {}): Promise<Engine | EnginePool> {
    checkOptions('Engine.load', options, ['runtime', 'threads', 'memory']);
    if ((options.threads ?? 1) !== 1) {
      if (!poolFactory) throw new LowbitError('BAD_ARGUMENT', "Engine.load: threads need the 'lowbit' entry in Node (worker_threads); lowbit/engine and other hosts run one thread");
      return poolFactory(bytes, options);
    }
    let lb = options.runtime;
    if (!lb) {
      lb = await (defaultInit ?? initEngine)();
    }
    const heap = lb.heap;
    // the checksum in wasm: a cold JavaScript loop over the file cost milliseconds at start-up
    const crc = (b: Uint8Array) => scoped(heap, (arena) => heap.wasm.crc32(arena.put(b), b.length) >>> 0);
    return new Engine(lb, parseModel(bytes, crc));
  }

  /** Run a plan directly (tests, compile-and-run without a file); `resident`: where its memory comes from (engine pools). */
  static fromPlan(plan: Plan, runtime: Lowbit, resident?: Resident): Engine { return new Engine(runtime, plan, resident); }

  /** Per-sample input dims: [height, width, channels] of u8 pixels, or an imported model's own input dims (e.g. [1, 28, 28] NCHW). */
  get inputShape(): number[] { return this.plan.io ? [...this.plan.io.input] : [...this.plan.inputShape]; }
  /** Per-sample output dims: [classes], or an imported model's own output dims. */
  get outputShape(): number[] { return this.plan.io ? [...this.plan.io.output] : [this.plan.classes.length]; }
  get classes(): string[] { return [...this.plan.classes]; }
  /** Per-sample dims of every input (u8 pixels [height, width, channels]; an imported model's one input). */
  get inputShapes(): number[][] { return this.plan.io ? [this.inputShape] : planInputs(this.plan).map((s) => [...s]); }
  /** Per-sample dims of every output ([size] each; an imported model's one output). */
  get outputShapes(): number[][] { return this.plan.io ? [this.outputShape] : this.outSizes.map((s) => [s]); }

  /** Logits [count][classes] for `count` NHWC u8 images (a model of several outputs: the first's). */
  logits(pixels: Uint8Array, count: number): Float32Array {
    this.live();
    if (this.plan.io || this.plan.inputs) throw new LowbitError('BAD_ARGUMENT', `${this.plan.io ? 'an imported model' : 'a model of several inputs'}: use ${this.plan.io ? 'run' : 'runAll'}()`);
    const per = checkPixels(pixels, count, this.plan.inputShape);
    const classes = this.outSizes[0], out = new Float32Array(count * classes), heap = this.lb.heap;
    for (let from = 0; from < count; from += this.chunk) {
      const n = Math.min(this.chunk, count - from);
      const x = this.inputs[0](n * per), vals = [x];
      heap.write(x, pixels.subarray(from * per, (from + n) * per));
      for (const r of this.runners) vals.push(r.run(r.inputs.map((v) => vals[v]), n));
      heap.read(Float32Array, vals[this.outputs[0]], n * classes, out.subarray(from * classes, (from + n) * classes));
    }
    return out;
  }

  /**
   * Every output [count][size] of a model of one or more inputs and outputs (from the 'lowbit'
   * entry): `inputs[j]` holds `count` NHWC u8 images of input j (`plan.inputs`, or the one
   * `inputShape`); the outputs come in the model's order.
   */
  runAll(inputs: Uint8Array[], count: number): Float32Array[] {
    this.live();
    if (!runAll) throw new LowbitError('BAD_ARGUMENT', "Engine.runAll is in the 'lowbit' entry; lowbit/engine runs one input and output: use logits or run");
    return runAll(this as unknown as ImportedContext, inputs, count);
  }

  /**
   * The model's output [count][outputs] for `count` inputs: u8 pixels (as `logits` takes), or
   * float32 pixels in [0, 1], which the model's input quantizer turns into bytes (round(255 x),
   * clamped to 0..255; NaN is refused).
   */
  run(input: Uint8Array | Float32Array, count: number): Float32Array {
    if (this.plan.io) return this.runImported(input, count);
    if (input instanceof Float32Array) {
      const bytes = new Uint8Array(input.length);
      for (let i = 0; i < input.length; i++) { // input marshalling, once per value
        const v = input[i];
        if (Number.isNaN(v)) throw new LowbitError('BAD_ARGUMENT', `Engine.run: input value ${i} is NaN`);
        bytes[i] = Math.min(255, Math.max(0, Math.round(v * 255)));
      }
      return this.logits(bytes, count);
    }
    return this.logits(input, count);
  }

  private runImported(input: Uint8Array | Float32Array, count: number): Float32Array {
    this.live();
    return importedRun!(this as unknown as ImportedContext, input, count);
  }

  /** Class index per image (imported models: the largest output per sample, from float input). */
  predict(pixels: Uint8Array | Float32Array, count: number): Int32Array {
    const y = this.plan.io ? this.runImported(pixels, count) : this.logits(pixels as Uint8Array, count);
    return argmaxRows(y, count, y.length / count);
  }

  private live(): void {
    if (this.freed) throw new LowbitError('DISPOSED', 'this Engine was disposed; load the model again');
  }

  /** Free the model's wasm memory; the Engine cannot be used afterwards. */
  dispose(): void {
    if (!this.freed) this.resident.dispose();
    this.freed = true;
  }
}
