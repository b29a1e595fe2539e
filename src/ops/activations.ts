// Activation layers: ReLU, the quantized ReLU with trainable resolution alpha (BCGD), and sign
// (1-bit activations) with its clipped straight-through gradient. Kernels: assembly/activations.ts.
import { checkOptions, LowbitError } from '../errors.js';
import type { Heap } from '../memory.js';
import { param, Slot, type Layer, type Param } from './layer.js';
import type { IntVal, Lowering, LowerNode } from '../infer/lowering.js';
import { codeThresholds, qreluAlpha, signThresholds } from '../infer/fold.js';

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** A parameter-free elementwise layer over one forward and one backward kernel (x, y, n) / (x, dy, dx, n). */
abstract class Pointwise implements Layer {
  private heap!: Heap; private n = 0; private x = 0;
  private y!: Slot; private dx!: Slot;
  constructor(readonly name: string, private readonly fwd: 'reluForward' | 'signForward', private readonly bwd: 'reluBackward' | 'signBackward') {}
  get op(): string { return this.name; }
  config(): Record<string, unknown> { return {}; }
  build(heap: Heap, inShape: number[]): number[] { this.heap = heap; this.n = size(inShape); this.y = new Slot(heap); this.dx = new Slot(heap); return inShape; }
  forward(x: number, batch: number): number { this.x = x; const y = this.y.get(batch * this.n * 4); this.heap.wasm[this.fwd](x, y, batch * this.n); return y; }
  backward(dy: number, batch: number): number { const dx = this.dx.get(batch * this.n * 4); this.heap.wasm[this.bwd](this.x, dy, dx, batch * this.n); return dx; }
  params(): Param[] { return []; }
  dispose(): void { this.y.free(); this.dx.free(); }
}

/** ReLU: max(x, 0); backward passes dy where x > 0. */
export class ReLU extends Pointwise { constructor() { super('relu', 'reluForward', 'reluBackward'); } }

/** Sign: +1 for x >= 0, else -1; backward passes dy where |x| <= 1 (clipped straight-through). */
export class Sign extends Pointwise {
  constructor() { super('sign', 'signForward', 'signBackward'); }
  /** one threshold per channel on the sums before it: bit = (y >= 0) */
  lower(ctx: Lowering, n: LowerNode): IntVal { return ctx.activation(n, { kind: 'bits', bits: 1, scale: 1, zero: 0, fold: signThresholds }); }
}

const alphaCache = new Map<number, number>();

/**
 * The initial alpha for b-bit activations: the step minimising E[(Q(z) - z)^2] for z = |N(0, 1)|
 * (ReLU of a batch-normalised input) and Q rounding to the nearest of {0, alpha, .., L alpha},
 * L = 2^b - 1. This reproduces BCGD's table {1: 1.2221, 2: 0.6511, 4: 0.1946} to 2e-3.
 * Numerical: a trapezoid rule on [0, 8] and a golden-section search (init time only).
 */
export function initialAlpha(bits: number): number {
  const hit = alphaCache.get(bits);
  if (hit !== undefined) return hit;
  const L = 2 ** bits - 1, N = 8000, dz = 8 / N;
  const mse = (a: number) => {
    let s = 0;
    for (let i = 0; i <= N; i++) {
      const z = i * dz, q = Math.min(L, Math.round(z / a)) * a;
      s += (i === 0 || i === N ? 0.5 : 1) * (q - z) ** 2 * Math.exp(-z * z / 2);
    }
    return s * dz * Math.sqrt(2 / Math.PI);
  };
  let lo = 1e-3, hi = 3;
  const r = (Math.sqrt(5) - 1) / 2;
  for (let it = 0; it < 60; it++) {
    const a = hi - r * (hi - lo), b = lo + r * (hi - lo);
    if (mse(a) < mse(b)) hi = b; else lo = a;
  }
  const alpha = (lo + hi) / 2;
  alphaCache.set(bits, alpha);
  return alpha;
}

export interface QReLUOptions {
  /** activation bits, 1..8 */
  bits: number;
  /** initial resolution; default initialAlpha(bits) */
  alpha?: number;
  /** the coarse gradient in alpha: '3-valued' (BCGD's default) or '2-valued' (PACT) */
  alphaGrad?: '3-valued' | '2-valued';
  /** scale of the alpha gradient before clipping (BCGD's reference code: 0.01) */
  alphaRate?: number;
  /** the scaled alpha gradient is clipped to [-alphaClip, alphaClip] (BCGD's reference code: 1) */
  alphaClip?: number;
}

/**
 * Quantized ReLU (BCGD): 0 for x <= 0, min(ceil(x / alpha), L) alpha above, L = 2^bits - 1, with a
 * trainable alpha kept in [1e-3, 5]. Backward: clipped-ReLU straight-through in x; in alpha the
 * selected coarse gradient, times alphaRate, clipped to [-1, 1] (as the BCGD code does).
 */
export class QReLU implements Layer {
  readonly name: string;
  readonly op = 'qrelu';
  readonly bits: number;
  readonly alphaGrad: '3-valued' | '2-valued';
  private heap!: Heap; private n = 0; private x = 0; private alphaNow = 0;
  private alpha!: Param;
  private y!: Slot; private dx!: Slot;
  constructor(readonly options: QReLUOptions) {
    checkOptions('QReLU', options, ['bits', 'alpha', 'alphaGrad', 'alphaRate', 'alphaClip']);
    for (const k of ['alphaRate', 'alphaClip'] as const) {
      const v = options[k];
      if (v !== undefined && !(Number.isFinite(v) && v > 0)) throw new LowbitError('BAD_ARGUMENT', `qrelu ${k} must be a positive number, got ${v}`);
    }
    const b = options.bits;
    if (!Number.isInteger(b) || b < 1 || b > 8) throw new LowbitError('BAD_ARGUMENT', `qrelu bits must be an integer in [1, 8], got ${b}`);
    const ag = options.alphaGrad ?? '3-valued';
    if (ag !== '3-valued' && ag !== '2-valued') throw new LowbitError('BAD_ARGUMENT', `qrelu alphaGrad must be '3-valued' or '2-valued', got '${String(ag)}'`);
    this.bits = b;
    this.alphaGrad = ag;
    this.name = `qrelu(${b}-bit, ${ag} alpha gradient)`;
  }
  build(heap: Heap, inShape: number[]): number[] {
    this.heap = heap; this.n = size(inShape);
    this.alpha = param(heap, 'qrelu.alpha', Float32Array.of(this.options.alpha ?? initialAlpha(this.bits)));
    this.y = new Slot(heap); this.dx = new Slot(heap);
    return inShape;
  }
  config(): Record<string, unknown> { return { ...this.options }; }
  /** the current resolution */
  get value(): number { return this.heap.read(Float32Array, this.alpha.w, 1)[0]; }
  private get levels(): number { return 2 ** this.bits - 1; }
  forward(x: number, batch: number): number {
    this.x = x;
    let a = this.value;
    const clamped = Math.min(5, Math.max(1e-3, Number.isFinite(a) ? a : 1e-3));
    if (clamped !== a) { a = clamped; this.heap.write(this.alpha.w, Float32Array.of(a)); }
    this.alphaNow = a;
    const y = this.y.get(batch * this.n * 4);
    this.heap.wasm.qreluForward(x, y, batch * this.n, a, this.levels);
    return y;
  }
  backward(dy: number, batch: number): number {
    const dx = this.dx.get(batch * this.n * 4);
    const inside = this.alphaGrad === '3-valued' ? 2 ** (this.bits - 1) : 0;
    const da = this.heap.wasm.qreluBackward(this.x, dy, dx, batch * this.n, this.alphaNow, this.levels, inside);
    const rate = this.options.alphaRate ?? 0.01, clip = this.options.alphaClip ?? 1;
    this.heap.write(this.alpha.g, Float32Array.of(Math.min(clip, Math.max(-clip, rate * da))));
    return dx;
  }
  params(): Param[] { return [this.alpha]; }
  dispose(): void { this.heap.free(this.alpha.w); this.heap.free(this.alpha.g); this.y.free(); this.dx.free(); }
  /** thresholds on the sums before it: code = clamp(ceil(y / alpha), 0, L) */
  lower(ctx: Lowering, n: LowerNode): IntVal {
    const alpha = qreluAlpha(this), levels = 2 ** this.bits - 1;
    return ctx.activation(n, { kind: 'codes', bits: this.bits, scale: alpha, zero: 0, fold: (A, B) => codeThresholds(A, B, alpha, levels) });
  }
}
