// The Engine runs an integer-only plan (./plan.ts) on u8 pixels: integer kernels between layers,
// one float scale per class at the end. Web-standard: loads from bytes in any host.
import { LowbitError, checkInt } from '../errors.js';
import { scoped } from '../memory.js';
import type { Lowbit } from '../runtime.js';
import type { Plan, PlanStep } from './plan.js';
import { stepOutputShape } from './plan.js';
import { decodeModel } from './format.js';

type Init = () => Promise<Lowbit>;
let defaultInit: Init | undefined;
/** The runtime loader Engine.load uses when given none (the Node entry installs its file reader). */
export function setDefaultRuntime(init: Init): void { defaultInit = init; }

/** Largest per-chunk activation (elements): images run in chunks that keep every layer under it. */
const CHUNK_ELEMENTS = 1 << 22;

interface Prepared extends PlanStep {
  /** dense int8 weights transposed to [in][out] (MatMulInteger's B) */
  wT?: Int8Array;
  /** dense binary weight rows of ceil(in / 32) words */
  wRows?: Uint32Array;
  /** per output channel sum of int8 codes (for +-1 inputs: sum q x = 2 sum q b - sum q) */
  qsum?: Int32Array;
}

export class Engine {
  private readonly steps: Prepared[];
  private readonly chunk: number;
  private disposed = false;

  private constructor(private readonly lb: Lowbit, readonly plan: Plan) {
    this.steps = plan.steps.map((s) => prepare(s));
    // per image: the largest output (int32 sums) or im2col-sized input of any step
    const per = Math.max(...plan.steps.map((s) => Math.max(s.h * s.w * s.out, s.h * s.w * s.c * s.k * s.k)));
    this.chunk = Math.max(1, Math.min(256, Math.floor(CHUNK_ELEMENTS / per)));
  }

  /** Load a model file (.lbm bytes); validates it completely before anything reaches wasm. */
  static async load(bytes: Uint8Array, options: { runtime?: Lowbit } = {}): Promise<Engine> {
    const plan = decodeModel(bytes);
    let lb = options.runtime;
    if (!lb) {
      if (!defaultInit) { const core = await import('../index.js'); lb = await core.init(); } else lb = await defaultInit();
    }
    return new Engine(lb, plan);
  }

  /** Run a plan directly (tests, compile-and-run without a file). */
  static fromPlan(plan: Plan, runtime: Lowbit): Engine { return new Engine(runtime, plan); }

  get inputShape(): [number, number, number] { return [...this.plan.inputShape]; }
  get classes(): string[] { return [...this.plan.classes]; }

  /** Logits [count][classes] for `count` NHWC u8 images. */
  logits(pixels: Uint8Array, count: number): Float32Array {
    if (this.disposed) throw new LowbitError('DISPOSED', 'this Engine was disposed; load the model again');
    checkInt('count', count, 1, 2 ** 24);
    const [h, w, c] = this.plan.inputShape, per = h * w * c;
    if (!(pixels instanceof Uint8Array)) throw new LowbitError('BAD_ARGUMENT', `pixels must be a Uint8Array of ${count} x ${h}x${w}x${c} bytes (NHWC, 0..255)`);
    if (pixels.length !== count * per) {
      throw new LowbitError('BAD_SHAPE', `pixels has ${pixels.length} bytes but ${count} image(s) of ${h}x${w}x${c} need ${count * per}`);
    }
    const classes = this.plan.classes.length, out = new Float32Array(count * classes);
    for (let from = 0; from < count; from += this.chunk) {
      const n = Math.min(this.chunk, count - from);
      out.set(this.run(pixels.subarray(from * per, (from + n) * per), n), from * classes);
    }
    return out;
  }

  /** Class index per image. */
  predict(pixels: Uint8Array, count: number): Int32Array {
    const z = this.logits(pixels, count), k = this.plan.classes.length, out = new Int32Array(count);
    for (let i = 0; i < count; i++) { // per image: argmax over the classes
      let best = 0;
      for (let j = 1; j < k; j++) if (z[i * k + j] > z[i * k + best]) best = j;
      out[i] = best;
    }
    return out;
  }

  dispose(): void { this.disposed = true; }

  private run(pixels: Uint8Array, n: number): Float32Array {
    const K = this.lb.kernels, heap = this.lb.heap, wasm = heap.wasm;
    let x: Uint8Array | Uint32Array = pixels;
    for (const s of this.steps) {
      const [oh, ow] = s.kind === 'conv' ? (s.padding === 'same' ? [s.h, s.w] : [s.h - s.k + 1, s.w - s.k + 1]) : [1, 1];
      const rows = n * oh * ow;
      const conv = { batch: n, height: s.h, width: s.w, channels: s.c, filters: s.out, kernelSize: s.k };
      let acc: Int32Array | undefined;
      let bits: Uint32Array | undefined;
      if (s.kind === 'conv') {
        if (s.weights === 'int8') acc = K.affineConv2d(x as Uint8Array, 0, s.wInt8!, 0, { ...conv, padding: s.padding });
        else if (s.input === 'codes') acc = K.bitserialConv2d(x as Uint8Array, s.inBits, s.wBinary!, { ...conv, padding: s.padding });
        else if (s.output === 'bits') bits = K.binaryConv2d(x as Uint32Array, s.wBinary!, { ...conv, padding: s.padding === 'same' ? 'same-zero' : 'valid' }, { thresholds: s.thresholds!, flip: s.flip });
        else acc = K.binaryConv2d(x as Uint32Array, s.wBinary!, { ...conv, padding: s.padding === 'same' ? 'same-zero' : 'valid' });
      } else if (s.weights === 'binary') {
        acc = s.input === 'bits' ? K.xnorGemm(x as Uint32Array, s.wRows!, n, s.out, s.c) : K.bitserialGemm(x as Uint8Array, s.inBits, s.wRows!, n, s.out, s.c);
      } else {
        const a = s.input === 'bits' ? unpackBits(this.lb, x as Uint32Array, n, s.c) : (x as Uint8Array);
        acc = K.affineGemm(a, 0, s.wT!, 0, n, s.out, s.c);
      }
      if (s.output === 'logits') {
        const plus = s.input === 'bits' && s.weights === 'int8';
        return scoped(heap, (arena) => {
          const po = arena.alloc(rows * s.out * 4);
          wasm.affineLogits(arena.put(acc!), rows, s.out, plus ? 2 : 1, arena.put(plus ? s.qsum! : new Int32Array(s.out)), arena.put(s.scale!), arena.put(s.bias!), po);
          return heap.read(Float32Array, po, rows * s.out);
        });
      }
      if (s.output === 'bits') {
        bits ??= K.thresholdPack(acc!, rows, s.out, { thresholds: s.thresholds!, flip: s.flip });
        x = s.pool ? poolBits(this.lb, bits, n, oh, ow, 2 * Math.ceil(s.out / 64), s.pool) : bits;
      } else {
        const levels = 2 ** s.outBits - 1;
        x = scoped(heap, (arena) => {
          const po = arena.alloc(rows * s.out);
          wasm.multiThreshold(arena.put(acc!), rows, s.out, arena.put(s.thresholds!), levels, arena.put(s.flip!), po);
          if (!s.pool) return heap.u8().slice(po, po + rows * s.out);
          const [ph, pw] = stepOutputShape(s);
          const pp = arena.alloc(n * ph * pw * s.out);
          wasm.maxPoolU8(po, n, oh, ow, s.out, s.pool, ph, pw, pp);
          return heap.u8().slice(pp, pp + n * ph * pw * s.out);
        });
      }
    }
    throw new LowbitError('BAD_MODEL', 'the plan has no logits step');
  }
}

function poolBits(lb: Lowbit, bits: Uint32Array, n: number, h: number, w: number, words: number, k: number): Uint32Array {
  const oh = Math.floor(h / k), ow = Math.floor(w / k), heap = lb.heap;
  return scoped(heap, (arena) => {
    const po = arena.alloc(n * oh * ow * words * 4);
    heap.wasm.maxPoolBits(arena.put(bits), n, h, w, words, k, oh, ow, po);
    return heap.read(Uint32Array, po, n * oh * ow * words);
  });
}

function unpackBits(lb: Lowbit, bits: Uint32Array, rows: number, k: number): Uint8Array {
  const heap = lb.heap, wpr = bits.length / rows;
  return scoped(heap, (arena) => {
    const po = arena.alloc(rows * k);
    heap.wasm.unpackBitsU8(arena.put(bits), rows, wpr, k, po);
    return heap.u8().slice(po, po + rows * k);
  });
}

/** Load-time layouts: dense int8 weights transposed, dense binary rows re-cut to ceil(in / 32) words. */
function prepare(s: PlanStep): Prepared {
  const p: Prepared = { ...s };
  if (s.kind !== 'dense') return p;
  if (s.wInt8) {
    const wT = new Int8Array(s.c * s.out), qsum = new Int32Array(s.out);
    for (let o = 0; o < s.out; o++) for (let i = 0; i < s.c; i++) { wT[i * s.out + o] = s.wInt8[o * s.c + i]; qsum[o] += s.wInt8[o * s.c + i]; } // load time
    p.wT = wT; p.qsum = qsum;
  }
  if (s.wBinary) {
    const from = 2 * Math.ceil(s.c / 64), to = Math.ceil(s.c / 32), rows = new Uint32Array(s.out * to);
    for (let o = 0; o < s.out; o++) rows.set(s.wBinary.subarray(o * from, o * from + to), o * to); // load time
    p.wRows = rows;
  }
  return p;
}
