// Engine pools whose threads share one wasm memory (the shared-memory builds, lowbit-shared.wasm and
// lowbit-relaxed-shared.wasm): the model's packed weights and thresholds sit in memory once, each
// thread has its own scratch and activation buffers, and the workers instantiate the module the
// calling thread compiled. The calling thread allocates everything: a worker's instance never
// allocates (each instance has its own allocator state over the same memory), it replays the
// pointers it is given (`SharedLayout`) while building the same runners, and skips the load-time
// writes the calling thread already made.
//
// After loading, a worker leaves its event loop for a loop on a small shared control block: the
// calling thread hands it work by writing a command there and waking it (about 1 us while the
// worker spins, 6 us from a futex wait, against 50+ us for a message). Two kinds of work: a share
// of a batch (its own engine on images the calling thread copied into shared memory), and for
// batches too small to split by images, one part of a single kernel call (./row-split.ts): the
// calling thread's engine runs with its kernels wrapped so that large ones are cut by rows.
import { LowbitError } from '../errors.js';
import { Slot } from '../ops/layer.js';
import { initFrom, type Lowbit } from '../runtime.js';
import { dotMode, seedDotMode, type DotMode } from '../kernels/affine-dot.js';
import { Engine } from './engine.js';
import { decodeModel } from './format.js';
import { Resident } from './resident.js';
import { EnginePool, type LoadMessage, type PoolPort } from './pool.js';
import { Heap } from '../memory.js';
import type { WasmExports } from '../wasm-abi.js';
import { ROW_SPLITS, SPLIT_MIN_NS, partArgs, rowParts } from './row-split.js';
import { poolShares, shareSizes } from './batch.js';

/** Where a worker's engine finds its memory: shared load-time tensors, its own scratch and buffers (bytes each). */
export interface SharedLayout { loads: number[]; scratches: number[]; slots: [number, number][]; dotMode: DotMode }

/** A worker thread's engine, built on the calling thread: the source engine's tensors, fresh scratch and buffers. */
class SharingResident extends Resident {
  private next = 0;
  constructor(heap: Heap, private readonly source: Resident) { super(heap); }
  override fill(): number { return take(this.source.loads, this.next++); }
  layout(): SharedLayout {
    return { loads: [...this.source.loads], scratches: [...this.scratches], slots: this.slots.map((s) => [s.ptr, s.bytes]), dotMode: dotMode(this.heap) };
  }
}

/** A buffer of fixed place and size (a worker's, sized on the calling thread by a run of the largest chunk). */
class FixedSlot extends Slot {
  constructor(heap: Heap, at: number, size: number) { super(heap); this.ptr = at; this.bytes = size; }
  override get(bytes: number): number {
    if (bytes > this.bytes) throw new LowbitError('BAD_ARGUMENT', `engine pool: a worker's buffer of ${this.bytes} bytes was asked for ${bytes}; please report it with the model`);
    return this.ptr;
  }
  override free(): void {}
}

/** A worker's engine memory: every pointer from the layout, in the order the runners ask. */
class ReplayResident extends Resident {
  private next = [0, 0, 0];
  constructor(heap: Heap, private readonly layout: SharedLayout) { super(heap); }
  override fill(): number { return take(this.layout.loads, this.next[0]++); }
  override scratch(): number { return take(this.layout.scratches, this.next[1]++); }
  protected override newSlot(): Slot { const [p, b] = take(this.layout.slots, this.next[2]++); return new FixedSlot(this.heap, p, b); }
  override dispose(): void {}
}

function take<T>(list: T[], i: number): T {
  if (i >= list.length) throw new LowbitError('BAD_ARGUMENT', 'engine pool: a worker built its runners differently from the calling thread; please report it with the model');
  return list[i];
}

/** Run the largest chunk once, so every per-run buffer has reached its size. */
function warm(engine: Engine): void {
  const [h, w, c] = engine.plan.inputShape, n = engine.chunk;
  engine.logits(new Uint8Array(n * h * w * c), n);
}

// the control block, one per worker: Int32 slots, then an error message
const SEQ = 0, DONE = 1, KIND = 2, STATUS = 3, FN = 4, ARGC = 5, ARGS = 8, MAX_ARGS = 24, MSG = 4 * (ARGS + MAX_ARGS), MSG_BYTES = 1024;
const LOGITS = 1, CALL = 2, EXIT = 3;
/** Atomics.load rounds before a waiting thread sleeps (tens of microseconds). */
const SPINS = 20_000;
const SPLIT_NAMES = Object.keys(ROW_SPLITS);

/** Spin, then sleep, until ctl[i] is no longer `v` (worker) or is `target` (calling thread). */
function waitWhile(ctl: Int32Array, i: number, v: number): void {
  for (let k = 0; Atomics.load(ctl, i) === v;) if (++k > SPINS) Atomics.wait(ctl, i, v);
}
function waitFor(ctl: Int32Array, i: number, target: number): void {
  for (let k = 0, v = 0; (v = Atomics.load(ctl, i)) !== target;) if (++k > SPINS) Atomics.wait(ctl, i, v);
}

/** The calling thread's side of one worker's control block. */
class Channel {
  readonly ctl: Int32Array;
  private seq = 0;
  constructor(readonly block: SharedArrayBuffer) { this.ctl = new Int32Array(block, 0, ARGS + MAX_ARGS); }
  post(kind: number, fn: number, args: number[]): void {
    const c = this.ctl;
    c[KIND] = kind; c[FN] = fn; c[ARGC] = args.length;
    for (let i = 0; i < args.length; i++) c[ARGS + i] = args[i];
    Atomics.store(c, SEQ, ++this.seq);
    Atomics.notify(c, SEQ);
  }
  /** Wait for the last command; a LowbitError with the worker's message if it failed. */
  wait(): void {
    waitFor(this.ctl, DONE, this.seq);
    if (this.ctl[STATUS]) {
      const bytes = new Uint8Array(this.block, MSG, MSG_BYTES), end = bytes.indexOf(0);
      throw new LowbitError('BAD_ARGUMENT', `engine pool worker: ${new TextDecoder().decode(bytes.slice(0, end < 0 ? MSG_BYTES : end))}`);
    }
  }
}

/**
 * `exports` with each kernel of ROW_SPLITS wrapped: while `active()`, a call estimated long enough
 * runs in parts, one per thread (this one last, then it waits for the others).
 */
function splittingExports(exports: WasmExports, channels: Channel[], heap: Heap, active: () => boolean, minNs: number): WasmExports {
  const wrapped: Record<string, unknown> = { ...exports };
  const scratch = channels.map(() => new Slot(heap));
  SPLIT_NAMES.forEach((name, fn) => {
    const spec = ROW_SPLITS[name], kernel = (exports as unknown as Record<string, (...a: number[]) => void>)[name];
    // fixed arity (no rest array): the unsplit path is on every kernel call of the calling thread
    wrapped[name] = (a0: number, a1: number, a2: number, a3: number, a4: number, a5: number, a6: number, a7: number, a8: number, a9: number) => {
      if (!active()) return kernel(a0, a1, a2, a3, a4, a5, a6, a7, a8, a9);
      const args = [a0, a1, a2, a3, a4, a5, a6, a7, a8, a9].slice(0, kernel.length);
      if (spec.ns(args) < minNs) return kernel(...args);
      const parts = rowParts(args[spec.rows], channels.length + 1, spec.align);
      const bytes = spec.scratch ? spec.scratch[1](args, exports) : 0;
      for (let p = 1; p < parts.length; p++) {
        const at = bytes ? scratch[p - 1].get(bytes) : 0;
        channels[p - 1].post(CALL, fn, partArgs(spec, args, parts[p][0], parts[p][1], at, exports));
      }
      // every posted part is waited for, whatever fails, so the control blocks stay in step
      let error: unknown;
      try { kernel(...partArgs(spec, args, parts[0][0], parts[0][1], spec.scratch ? args[spec.scratch[0]] : 0, exports)); } catch (e) { error = e; }
      for (let p = 1; p < parts.length; p++) try { channels[p - 1].wait(); } catch (e) { error ??= e; }
      if (error) throw error;
    };
  });
  return wrapped as unknown as WasmExports;
}

export interface SharedPoolOptions {
  /** 'auto' (default): small batches try splitting one image's kernels and keep it where it is faster; 'always' (tests): split every call worth it by `minNs` */
  split?: 'auto' | 'always';
  /** calls estimated shorter than this (ns) never split (default SPLIT_MIN_NS) */
  minNs?: number;
}

/**
 * Start a pool of `threads` threads over one shared memory: the model loads on the calling thread,
 * which also builds (and sizes) one engine per worker; `module` is a shared-memory build.
 */
export async function startSharedPool(spawn: () => PoolPort, module: WebAssembly.Module, bytes: Uint8Array, threads: number, options: SharedPoolOptions = {}): Promise<EnginePool> {
  const memory = new WebAssembly.Memory({ initial: 2, maximum: 65536, shared: true });
  const plain = await initFrom(module, undefined, memory);
  const channels = Array.from({ length: threads - 1 }, () => new Channel(new SharedArrayBuffer(MSG + MSG_BYTES)));
  let splitting = false, splitPays = options.split === 'always', trials = splitPays ? TRIAL_RUNS : 0;
  const on: number[] = [], off: number[] = [];
  // the calling thread's engine runs on wrapped kernels, which split one image's large calls while `splitting`
  const heap = new Heap(splittingExports(plain.wasm, channels, plain.heap, () => splitting, options.minNs ?? SPLIT_MIN_NS));
  seedDotMode(heap, dotMode(plain.heap)); // one instance: the self-test runs once, not per heap
  const lb: Lowbit = Object.assign(Object.create(plain) as Lowbit, { wasm: heap.wasm, heap });
  const plan = decodeModel(bytes), source = new Resident(lb.heap);
  const engines = [Engine.fromPlan(plan, lb, source)];
  const layouts: SharedLayout[] = [];
  try {
    warm(engines[0]);
    for (let t = 1; t < threads; t++) {
      // the same runners ask for the same buffers in the same order: size them as the warmed engine's
      const r = new SharingResident(plain.heap, source);
      engines.push(Engine.fromPlan(plan, plain, r));
      r.slots.forEach((s, i) => s.get(source.slots[i].bytes));
      layouts.push(r.layout());
    }
  } catch (e) {
    for (const x of engines) x.dispose();
    throw e;
  }
  const [h, w, c] = plan.inputShape, per = h * w * c, k = plan.classes.length;
  const inputs = channels.map(() => new Slot(plain.heap)), outputs = channels.map(() => new Slot(plain.heap));
  const local = {
    inputShape: engines[0].inputShape, classes: engines[0].classes,
    logits: (p: Uint8Array, n: number) => engines[0].logits(p, n),
    dispose: () => {
      for (const ch of channels) ch.post(EXIT, 0, []);
      for (const x of engines.reverse()) x.dispose();
    },
  };
  /** A batch: split by images over all threads, or (too few images) one image at a time with kernels split by rows. */
  const run = (pixels: Uint8Array, count: number): Float32Array => {
    const parts = poolShares(count, threads);
    if (parts === 1) {
      // whether splitting one image's kernels pays for this model on this machine: the first
      // TRIAL_RUNS small batches alternate in blocks (a block keeps each thread's rows in its
      // cache and its loop awake, as steady use does), the last 60% of each block counts
      const trial = trials < TRIAL_RUNS, t0 = trial ? performance.now() : 0;
      splitting = trial ? Math.floor(trials / TRIAL_BLOCK) % 2 === 0 : splitPays;
      try { return engines[0].logits(pixels, count); } finally {
        if (trial) {
          if (trials % TRIAL_BLOCK >= 0.4 * TRIAL_BLOCK) (splitting ? on : off).push((performance.now() - t0) / count);
          if (++trials === TRIAL_RUNS) splitPays = median(on) < 0.95 * median(off);
        }
        splitting = false;
      }
    }
    const sizes = shareSizes(count, parts);
    const out = new Float32Array(count * k);
    for (let p = 1, from = sizes[0]; p < parts; p++) {
      const n = sizes[p], x = inputs[p - 1].get(n * per), y = outputs[p - 1].get(n * k * 4);
      plain.heap.write(x, pixels.subarray(from * per, (from + n) * per));
      channels[p - 1].post(LOGITS, 0, [n, x, y]);
      from += n;
    }
    let error: unknown;
    try { out.set(engines[0].logits(pixels.subarray(0, sizes[0] * per), sizes[0])); } catch (e) { error = e; }
    for (let p = 1, from = sizes[0]; p < parts; p++) {
      try { channels[p - 1].wait(); } catch (e) { error ??= e; }
      if (!error) plain.heap.read(Float32Array, outputs[p - 1].ptr, sizes[p] * k, out.subarray(from * k, (from + sizes[p]) * k));
      from += sizes[p];
    }
    if (error) throw error;
    return out;
  };
  const load = (wk: number): LoadMessage => ({ type: 'load', model: bytes.slice(), shared: { module, memory, layout: layouts[wk], control: channels[wk].block } });
  return EnginePool.start(spawn, bytes, threads, local, load, run);
}

/** Small batches that try splitting and not, alternately, before the faster is kept. */
const TRIAL_RUNS = 400, TRIAL_BLOCK = 50;
const median = (xs: number[]): number => xs.sort((x, y) => x - y)[xs.length >> 1];

/**
 * The worker side of a shared pool: build its engine over the calling thread's memory and pointers;
 * the returned `serve` leaves the event loop for the control block (call it after replying ready).
 */
export async function loadSharedEngine(m: Required<LoadMessage>): Promise<Engine & { serve(): void }> {
  const { module, memory, layout, control } = m.shared;
  const lb = await initFrom(module, undefined, memory);
  // this instance must never allocate: its allocator would lay itself over the calling thread's blocks
  lb.heap.alloc = () => { throw new LowbitError('BAD_ARGUMENT', 'engine pool: a worker sharing memory tried to allocate; please report it with the model'); };
  seedDotMode(lb.heap, layout.dotMode);
  const engine = Engine.fromPlan(decodeModel(m.model), lb, new ReplayResident(lb.heap, layout));
  const kernels = SPLIT_NAMES.map((name) => (lb.wasm as unknown as Record<string, (...a: number[]) => void>)[name]);
  const [h, w, c] = engine.plan.inputShape, per = h * w * c;
  const serve = (): void => {
    const ctl = new Int32Array(control, 0, ARGS + MAX_ARGS);
    for (let seen = 0; ;) {
      waitWhile(ctl, SEQ, seen);
      seen = Atomics.load(ctl, SEQ);
      const kind = ctl[KIND];
      if (kind === EXIT) return;
      let status = 0;
      try {
        const args = Array.from(ctl.subarray(ARGS, ARGS + ctl[ARGC]));
        if (kind === CALL) kernels[ctl[FN]](...args);
        else {
          const [n, x, y] = args, z = engine.logits(new Uint8Array(memory.buffer, x >>> 0, n * per), n);
          new Float32Array(memory.buffer, y >>> 0, z.length).set(z);
        }
      } catch (e) {
        status = 1;
        const msg = new TextEncoder().encode(String((e as Error)?.message ?? e)).subarray(0, MSG_BYTES - 1), bytes = new Uint8Array(control, MSG, MSG_BYTES);
        bytes.fill(0); bytes.set(msg);
      }
      ctl[STATUS] = status;
      Atomics.store(ctl, DONE, seen);
      Atomics.notify(ctl, DONE);
    }
  };
  return Object.assign(engine, { serve });
}
