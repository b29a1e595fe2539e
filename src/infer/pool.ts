// A pool of Engines on worker threads for batch inference: each worker holds its own wasm instance
// with the model loaded (nothing shared, so no SharedArrayBuffer and no cross-origin isolation
// needed in browsers); a batch is split into contiguous runs of images, and the logits come back in
// order. The calling thread runs one share itself on its own Engine while the N - 1 workers run the
// others, so N threads compute and none waits idle (at 2 threads on 2 cores, batch 256: an idle
// caller with two workers gave 1.78x / 1.86x one thread for the shipped 1W1A / 1W4A models, this
// 1.83x / 1.92x; bench/threads.mjs). Results equal the single-thread Engine's: every thread runs
// the same integer plan on its images.
import { LowbitError, checkInt } from '../errors.js';
import { argmaxRows, checkPixels, poolShares, shareSizes } from './batch.js';
import { decodeModel } from './format.js';

/**
 * Engine.load's options for a pool, and the file, checked before any thread or memory is made (a
 * bad file with the same errors as one thread). Returns the thread count asked for.
 */
export function checkPoolModel(bytes: Uint8Array, options: { threads?: number | 'auto'; runtime?: unknown }): number | 'auto' {
  const threads = options.threads ?? 1;
  if (threads !== 'auto') checkInt('threads', threads, 1, 256);
  if (options.runtime) throw new LowbitError('BAD_ARGUMENT', 'Engine.load: threads and runtime exclude each other (every thread loads its own runtime)');
  const plan = decodeModel(bytes);
  if (plan.io || plan.inputs || plan.outputs) throw new LowbitError('BAD_ARGUMENT', 'Engine.load: imported models, and models of several inputs or outputs, run on one thread');
  return threads;
}

/** The few messaging calls of a worker that the pool needs (Node's worker_threads and Web Workers both fit). */
export interface PoolPort {
  post(message: unknown, transfer?: ArrayBuffer[]): void;
  onMessage(handler: (message: unknown) => void): void;
  onError(handler: (error: unknown) => void): void;
  terminate(): void;
}

/** What the calling thread computes its share with (an Engine). */
export interface LocalEngine { logits(pixels: Uint8Array, count: number): Float32Array; dispose(): void }

/** What starts a worker: the model file, and for a shared-memory pool the module, memory and pointers (./shared-pool.ts). */
export interface LoadMessage { type: 'load'; model: Uint8Array; shared?: { module: WebAssembly.Module; memory: WebAssembly.Memory; layout: import('./shared-pool.js').SharedLayout; control: SharedArrayBuffer } }

type Reply = { type: 'ready'; inputShape: number[]; classes: string[] } | { type: 'logits'; id: number; logits: Float32Array } | { type: 'error'; id?: number; code: string; message: string };

export class EnginePool {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (z: Float32Array) => void; reject: (e: unknown) => void }>();
  private disposed = false;

  private constructor(private readonly local: LocalEngine, private readonly ports: PoolPort[], readonly inputShape: number[], readonly classes: string[],
    private readonly direct?: (pixels: Uint8Array, count: number) => Float32Array) {
    for (const port of ports) {
      port.onMessage((m) => this.receive(m as Reply));
      port.onError((e) => this.failAll(e));
    }
  }

  /**
   * A pool of `threads` threads: `local` (the model loaded on the calling thread) and threads - 1
   * workers from `spawn`, each loading the model (worker w gets `load(w)`); resolves when all are ready.
   */
  static async start(spawn: () => PoolPort, bytes: Uint8Array, threads: number, local: LocalEngine & { inputShape: number[]; classes: string[] },
    load: (worker: number) => LoadMessage = () => ({ type: 'load', model: bytes.slice() }),
    direct?: (pixels: Uint8Array, count: number) => Float32Array): Promise<EnginePool> {
    checkInt('threads', threads, 1, 256);
    const ports = Array.from({ length: threads - 1 }, spawn);
    try {
      const ready = await Promise.all(ports.map((port, w) => new Promise<Reply>((resolve, reject) => {
        port.onMessage((m) => { const r = m as Reply; if (r.type === 'ready' || r.type === 'error') resolve(r); });
        port.onError(reject);
        port.post(load(w));
      })));
      const bad = ready.find((r) => r.type === 'error');
      if (bad && bad.type === 'error') throw new LowbitError(bad.code as never, bad.message);
      return new EnginePool(local, ports, local.inputShape, local.classes, direct);
    } catch (e) {
      for (const p of ports) p.terminate();
      local.dispose();
      throw e instanceof LowbitError ? e : new LowbitError('BAD_ARGUMENT', `a worker thread failed to start: ${(e as Error)?.message ?? String(e)}`);
    }
  }

  get threads(): number { return this.ports.length + 1; }

  /** Logits [count][classes] for `count` NHWC u8 images, computed across the workers. */
  async logits(pixels: Uint8Array, count: number): Promise<Float32Array> {
    if (this.disposed) throw new LowbitError('DISPOSED', 'this engine pool was disposed; load the model again');
    const per = checkPixels(pixels, count, this.inputShape), k = this.classes.length;
    if (this.direct) return this.direct(pixels, count);
    const parts = poolShares(count, this.threads);
    const out = new Float32Array(count * k), jobs: Promise<void>[] = [];
    // shares 1.. go to the workers first, so they run while this thread computes share 0
    const sizes = shareSizes(count, parts);
    for (let p = 1, from = sizes[0]; p < parts; p++) {
      const n = sizes[p], at = from;
      jobs.push(this.request(p - 1, pixels.slice(at * per, (at + n) * per), n).then((z) => out.set(z, at * k)));
      from += n;
    }
    try {
      out.set(this.local.logits(pixels.subarray(0, sizes[0] * per), sizes[0]), 0);
    } finally {
      await Promise.allSettled(jobs);
    }
    await Promise.all(jobs);
    return out;
  }

  /** Class index per image. */
  async predict(pixels: Uint8Array, count: number): Promise<Int32Array> {
    return argmaxRows(await this.logits(pixels, count), count, this.classes.length);
  }

  /** Stop the workers; the pool cannot be used afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.local.dispose();
    for (const p of this.ports) p.terminate();
    this.failAll(new LowbitError('DISPOSED', 'the engine pool was disposed while a batch was running'));
  }

  private request(worker: number, pixels: Uint8Array, count: number): Promise<Float32Array> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.ports[worker].post({ type: 'run', id, pixels, count }, [pixels.buffer as ArrayBuffer]);
    });
  }

  private receive(r: Reply): void {
    if (r.type === 'ready') return;
    const job = r.id === undefined ? undefined : this.pending.get(r.id);
    if (!job) return;
    this.pending.delete(r.id!);
    if (r.type === 'logits') job.resolve(r.logits);
    else job.reject(new LowbitError(r.code as never, r.message));
  }

  private failAll(e: unknown): void {
    for (const job of this.pending.values()) job.reject(e instanceof LowbitError ? e : new LowbitError('BAD_ARGUMENT', `a worker thread failed: ${(e as Error)?.message ?? String(e)}`));
    this.pending.clear();
  }
}

/**
 * The worker side: answer 'load' by loading the model with `load`, then 'run' with its logits.
 * `post` sends a reply (transferring the logits' buffer).
 */
export function servePool(load: (m: LoadMessage) => Promise<{ inputShape: number[]; classes: string[]; logits(p: Uint8Array, n: number): Float32Array }>,
  post: (m: unknown, transfer?: ArrayBuffer[]) => void): (m: unknown) => Promise<void> {
  let engine: Awaited<ReturnType<typeof load>> | undefined;
  return async (raw) => {
    const m = raw as { type: string; id?: number; model?: Uint8Array; pixels?: Uint8Array; count?: number };
    try {
      if (m.type === 'load') {
        engine = await load(m as LoadMessage);
        post({ type: 'ready', inputShape: engine.inputShape, classes: engine.classes });
        // a shared-memory pool's worker takes its work from a control block from now on
        (engine as { serve?: () => void }).serve?.();
      } else if (m.type === 'run') {
        const z = engine!.logits(m.pixels!, m.count!);
        post({ type: 'logits', id: m.id, logits: z }, [z.buffer as ArrayBuffer]);
      }
    } catch (e) {
      const err = e as { code?: string; message?: string };
      post({ type: 'error', id: m.id, code: err.code ?? 'BAD_ARGUMENT', message: err.message ?? String(e) });
    }
  };
}
