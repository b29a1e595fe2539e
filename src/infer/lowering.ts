// The state of lowering a trained graph Model to an integer-only graph plan (version 2 file), and the
// rules every op shares. Each op's own rule is its `lower` method, in its op file (src/ops/);
// compileGraph (./compile-graph.ts) walks the nodes in topological order and calls them.
// What a model value is at inference:
//   pixels / codes / bits  u8 pixels, quantized-ReLU codes (real = alpha code), sign bits
//   pending                a weight layer's int32 sums not yet written: real = A[c] acc + B[c];
//                          batch norm folds into A and B (fold batch norm)
//   stream                 int32 fixed point, real = scale q (a residual stream)
//   affine                 a stream seen through batch norm or shifts: real = A[c] q + B[c]
// An activation after a pending value becomes the step's thresholds (fold activations), a max
// pool after it the step's pooling (fuse pooling); anything else that reads a pending value
// (an add, a pool, a second reader) makes the step write a stream. An activation after a stream
// becomes a threshold node. Adds rescale their inputs by powers of two to a common scale. The
// kernel of each weight layer follows from its input and weights (xnor, bit-serial, 8-bit affine,
// depthwise).
import { LowbitError } from '../errors.js';
import type { Model } from '../graph/model.js';
import type { Heap } from '../memory.js';
import type { Conv2d } from '../ops/conv2d.js';
import type { Dense } from '../ops/dense.js';
import type { MaxPool } from '../ops/simple.js';
import { packSignsNHWC } from '../kernels/pack-signs.js';
import type { ActKind, PlanNode, PlanStep } from './plan.js';
import { stepOutputShape } from './plan.js';
import { integerWeights, pow2Parts } from './compile.js';
import { STREAM_BITS } from './fold.js';

export type Shape = [number, number, number];
export type Stream = { kind: 'stream'; at: number; shape: Shape; scale: number; bound: number };
export type Pending = { kind: 'pending'; step: PlanStep; from: number; A: Float64Array; B: Float64Array; accMax: Float64Array };
export type Quantized = { kind: 'pixels' | 'codes' | 'bits'; at: number; shape: Shape; bits: number; scale: number; zero?: number };
export type IntVal = Quantized | Pending | Stream | { kind: 'affine'; src: Stream; A: Float64Array; B: Float64Array };

/** One node as its lowering rule sees it: its index, name for messages, input values and output value. */
export interface LowerNode { i: number; name: string; inputs: readonly number[]; out: number }

/** How an activation turns real values into integers: its output kind and bits, and its thresholds for real = A v + B. */
export interface ActivationRule {
  kind: ActKind & ('bits' | 'codes');
  bits: number;
  /** real value of one code step, and the code of zero */
  scale: number;
  zero: number;
  fold(A: ArrayLike<number>, B: ArrayLike<number>): { thresholds: Int32Array; flip: Uint8Array };
}

export const cannotCompile = (msg: string) => new LowbitError('CANNOT_COMPILE', msg);

export class Lowering {
  readonly heap: Heap;
  readonly steps: PlanStep[] = [];
  readonly graph: PlanNode[] = [];
  /** readers of each model value (each output counts as one) */
  readonly readers: number[];
  /** what each model value is at inference */
  readonly iv: IntVal[];
  /** max pools folded into the step or threshold before them */
  readonly absorbed = new Set<number>();

  constructor(readonly model: Model) {
    this.heap = model.heap;
    this.readers = model.shapes.map(() => 0);
    model.nodes.forEach((n) => n.inputs.forEach((v) => this.readers[v]++));
    for (const o of model.outputs) this.readers[o]++;
    this.iv = model.inputShapes.map((s, j) => ({ kind: 'pixels', at: j, shape: [s[0], s[1], s[2]], bits: 8, scale: 1 / 255 }));
  }

  /** Appends a plan node; returns the new value's index (the k inputs are values 0..k-1). */
  emit(node: PlanNode): number { this.graph.push(node); return this.model.inputShapes.length + this.graph.length - 1; }

  /** The next node reading value `out` (written by node i), or -1. */
  nextReader(i: number, out: number): number { return this.model.nodes.findIndex((m, j) => j > i && m.inputs.includes(out)); }

  /** The window of a max pool that alone reads value `out` of node i (0 when there is none); the pool is then absorbed. */
  absorbMaxPool(i: number, out: number): number {
    const next = this.nextReader(i, out), l = next >= 0 ? this.model.nodes[next].layer : undefined;
    if (this.readers[out] !== 1 || !l || l.op !== 'maxpool') return 0;
    this.absorbed.add(next);
    return (l as MaxPool).k;
  }

  /**
   * real = A[c] v + B[c] for int32 v bounded by vMax[c], as a stream: scale 2^e with e the smallest
   * keeping |q| < 2^30, and q = (v mult[c] + addend[c]) >> T with mult keeping ~31 significant bits.
   */
  fixedPoint(A: ArrayLike<number>, B: ArrayLike<number>, vMax: ArrayLike<number>) {
    let bound = 0, ratio = 0;
    for (let c = 0; c < A.length; c++) bound = Math.max(bound, Math.abs(A[c]) * vMax[c] + Math.abs(B[c]));
    const scale = 2 ** Math.ceil(Math.log2(Math.max(bound, 1e-30) / 2 ** STREAM_BITS));
    for (let c = 0; c < A.length; c++) ratio = Math.max(ratio, Math.abs(A[c]) / scale);
    const T = Math.max(0, Math.min(31, Math.floor(Math.log2((2 ** 31 - 1) / Math.max(ratio, 1e-30)))));
    const mult = Int32Array.from(A, (a) => Math.round((a / scale) * 2 ** T));
    const addend = Float64Array.from(B, (b) => Math.round((b / scale) * 2 ** T));
    return { scale, bound, mult, addend, T };
  }

  /** The integer sum of streams, each rescaled by a power of two to a common scale. */
  addStreams(xs: Stream[], name: string): Stream {
    const bound = xs.reduce((a, x) => a + x.bound, 0);
    const scale = Math.max(Math.min(...xs.map((x) => x.scale)), 2 ** Math.ceil(Math.log2(Math.max(bound, 1e-30) / 2 ** STREAM_BITS)));
    const shifts = xs.map((x) => Math.log2(x.scale / scale));
    if (!shifts.every((s) => Math.abs(s - Math.round(s)) < 1e-9 && Math.abs(s) <= 31)) throw cannotCompile(`${name}: its inputs' scales (${xs.map((x) => x.scale.toExponential(3)).join(', ')}) are not powers of two apart; the integer add needs them so`);
    const at = this.emit({ op: 'add', inputs: xs.map((x) => x.at), shifts: shifts.map(Math.round) });
    return { kind: 'stream', at, shape: [...xs[0].shape], scale, bound };
  }

  /** A pending step written out as a stream. */
  materialize(p: Pending): Stream {
    const f = this.fixedPoint(p.A, p.B, p.accMax);
    Object.assign(p.step, { output: 'stream', outBits: 32, pool: 0, mult: f.mult, addend: f.addend, streamShift: f.T });
    this.steps.push(p.step);
    const at = this.emit({ op: 'step', inputs: [p.from], step: this.steps.length - 1 });
    return { kind: 'stream', at, shape: stepOutputShape(p.step), scale: f.scale, bound: f.bound };
  }

  /** A stream through batch norm or shifts, written out as a new stream by a requant node. */
  private requant(x: Extract<IntVal, { kind: 'affine' }>): Stream {
    const qMax = new Float64Array(x.A.length).fill(Math.min(2 ** 31, x.src.bound / x.src.scale));
    const f = this.fixedPoint(x.A, x.B, qMax);
    const at = this.emit({ op: 'requant', inputs: [x.src.at], mult: f.mult, addend: f.addend, shift: f.T });
    return { kind: 'stream', at, shape: [...x.src.shape], scale: f.scale, bound: f.bound };
  }

  /** Value v as a stream, writing out a pending step or an affine view when it is one. */
  asStream(v: number, name: string): Stream {
    const x = this.iv[v];
    if (x.kind === 'pending') return (this.iv[v] = this.materialize(x));
    if (x.kind === 'affine') return (this.iv[v] = this.requant(x));
    if (x.kind === 'stream') return x;
    throw cannotCompile(`${name}: reads ${x.kind}; integer ${name.includes('add') ? 'adds' : 'ops'} here take residual streams (the sums of weight layers)`);
  }

  /** Value v for a per-channel affine op (batch norm, shift): a pending value read twice is written out first. */
  forChannelOp(v: number, name: string): IntVal {
    return this.readers[v] > 1 && this.iv[v].kind === 'pending' ? this.asStream(v, name) : this.iv[v];
  }

  /** An identity at inference (dropout, flatten, reshape): the value passes through. */
  passThrough(n: LowerNode): IntVal {
    const x = this.iv[n.inputs[0]];
    if (x.kind === 'pending' || x.kind === 'affine') throw cannotCompile(`${n.name}: follows a weight layer or batch norm directly; put an activation before it`);
    return x;
  }

  /** An activation: folded into the step before it as thresholds, or a threshold node on a stream. */
  activation(n: LowerNode, rule: ActivationRule): IntVal {
    const v0 = n.inputs[0], { kind, bits, scale, zero } = rule;
    let x = this.iv[v0];
    if (x.kind === 'pending' && this.readers[v0] === 1) {
      // fold the activation (and a max pool that alone reads it) into the step
      const pool = this.absorbMaxPool(n.i, n.out);
      if (pool && x.step.kind !== 'conv') throw cannotCompile(`node ${this.nextReader(n.i, n.out)} (maxpool): max pooling after a dense layer is not supported`);
      if (pool) x.step.pool = pool;
      Object.assign(x.step, { output: kind, outBits: bits, ...rule.fold(x.A, x.B) });
      this.steps.push(x.step);
      const at = this.emit({ op: 'step', inputs: [x.from], step: this.steps.length - 1 });
      return { kind, at, shape: stepOutputShape(x.step), bits, scale, zero };
    }
    if (x.kind === 'pending') x = this.asStream(v0, n.name);
    if (x.kind !== 'stream' && x.kind !== 'affine') throw cannotCompile(`${n.name}: an activation on ${x.kind} has no integer form here`);
    const src = x.kind === 'stream' ? x : x.src;
    const A = x.kind === 'stream' ? new Float64Array(src.shape[2]).fill(src.scale) : x.A, B = x.kind === 'stream' ? new Float64Array(src.shape[2]) : x.B;
    // a max pool that alone reads the activation pools the stream first (signed by the flips)
    const pool = this.absorbMaxPool(n.i, n.out);
    const at = this.emit({ op: 'threshold', inputs: [src.at], output: kind, outBits: bits, ...rule.fold(A, B), ...(pool ? { pool } : {}) });
    const [h, w, c] = src.shape;
    return { kind, at, shape: pool ? [Math.floor(h / pool), Math.floor(w / pool), c] : [...src.shape], bits, scale, zero };
  }

  /** A conv / dense layer on pixels, codes or bits: its integer step, still pending its output. */
  weightStep(l: Conv2d | Dense, n: LowerNode): IntVal {
    const x = this.iv[n.inputs[0]], name = n.name;
    if (x.kind !== 'pixels' && x.kind !== 'codes' && x.kind !== 'bits') throw cannotCompile(`${name}: reads ${x.kind === 'stream' || x.kind === 'affine' ? 'a residual stream' : 'the sums of another weight layer'}; put sign or a quantized ReLU before it`);
    const q = l.weights.quant.q;
    if (q.kind !== 'pow2' || q.bits <= 4) return this.partStep(l, x, integerWeights(this.heap, l.weights, name), true, name);
    // 5- and 6-bit powers of two: one int8 step per used part of the exponent range, summed as streams
    const parts = pow2Parts(this.heap, l.weights).map((p, k) => this.partStep(l, x, { kind: 'int8', bits: 8, ...p }, k === 0, name));
    // a part whose largest contribution is below one unit of the sum's int32 resolution (2^-30 of its bound) is left out
    const bounds = parts.map((p) => p.A.reduce((m, a, o) => Math.max(m, Math.abs(a) * p.accMax[o] + Math.abs(p.B[o])), 0));
    const unit = 2 ** Math.ceil(Math.log2(Math.max(bounds.reduce((a, b) => a + b, 0), 1e-30) / 2 ** STREAM_BITS));
    const kept = parts.filter((p, k) => k === 0 || bounds[k] >= unit);
    return kept.length === 1 ? kept[0] : this.addStreams(kept.map((p) => this.materialize(p)), name);
  }

  /** One integer step of a weight layer (all of its weights, or one pow2 part), pending its output; the bias goes with the first. */
  private partStep(l: Conv2d | Dense, x: Quantized, iw: ReturnType<typeof integerWeights>, withBias: boolean, name: string): Pending {
    const lw = l.weights, conv = l.op === 'conv2d', cv = l as Conv2d;
    const [h, w, c] = x.shape;
    if (conv) {
      if (cv.kh !== cv.kw || cv.pads || cv.sh !== cv.sw) throw cannotCompile(`${name}: integer plans run square kernels and strides with 'same' or 'valid' padding`);
      if (cv.groups !== 1 && !(cv.groups === c && cv.filters === c)) throw cannotCompile(`${name}: grouped convs lower only as depthwise (groups = channels = filters)`);
      if (cv.padding === 'valid' && x.kind === 'bits') throw cannotCompile(`${name}: 'valid' convolutions on sign bits are not supported`);
    } else if (h * w * c !== lw.K) throw cannotCompile(`${name}: input size ${h}x${w}x${c} does not match ${lw.K}`);
    if (x.kind === 'pixels' && iw.kind === 'binary') throw cannotCompile(`${name}: binary weights on raw pixels are not supported; keep the first layer 8-bit (--first-last-bits 8)`);
    const k = conv ? cv.kh : 1, groups = conv ? cv.groups : 1;
    const step: PlanStep = {
      kind: conv ? 'conv' : 'dense', h: conv ? h : 1, w: conv ? w : 1, c: conv ? c : lw.K, out: lw.out, k,
      padding: conv ? cv.padding as 'same' | 'valid' : 'valid', input: x.kind, inBits: x.bits, weights: iw.kind, weightBits: iw.bits,
      output: 'logits', outBits: 32, pool: 0,
    };
    if (conv && cv.sh !== 1) step.stride = cv.sh;
    if (groups !== 1) step.groups = groups;
    // strided and depthwise convs run on the int8 kernels: binary weights go there as +-1 codes
    const asInt8 = iw.kind === 'binary' && (step.stride !== undefined || step.groups !== undefined);
    if (asInt8) Object.assign(step, { weights: 'int8', weightBits: 2 });
    if (iw.kind === 'binary' && !asInt8) step.wBinary = packSignsNHWC(this.heap, iw.q, lw.out * k * k, step.c);
    else if (iw.zero) {
      // shifted storage: wInt8 - wZero[c] is the weight code
      const K = lw.K, zr = iw.zero;
      step.wInt8 = Int8Array.from(iw.q, (v, j) => v + zr[Math.floor(j / K)]);
      step.wZero = zr;
    } else step.wInt8 = Int8Array.from(iw.q);
    if (x.kind === 'codes' && x.zero) step.inZero = x.zero;
    const bias = this.heap.read(Float32Array, lw.params()[1].w, lw.out);
    const A = new Float64Array(lw.out), B = new Float64Array(lw.out);
    for (let o = 0; o < lw.out; o++) { A[o] = x.scale * iw.step[o]; B[o] = withBias ? bias[o] : 0; }
    // |acc[o]| <= max|input| sum_k |q[o][k]|: the stream's scale follows from this bound
    const inMax = x.kind === 'pixels' ? 255 : x.kind === 'codes' ? Math.max(x.zero ?? 0, 2 ** x.bits - 1 - (x.zero ?? 0)) : 1, K = lw.K, accMax = new Float64Array(lw.out);
    for (let o = 0; o < lw.out; o++) { let s = 0; for (let j = o * K; j < (o + 1) * K; j++) s += Math.abs(iw.q[j]); accMax[o] = inMax * s; } // compile time
    return { kind: 'pending', step, from: x.at, A, B, accMax };
  }
}
