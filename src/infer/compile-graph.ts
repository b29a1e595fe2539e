// compileGraph(model): a trained graph Model -> an integer-only graph plan (version 2 file).
// Passes, node by node in topological order, over what each model value is at inference:
//   pixels / codes / bits  u8 pixels, quantized-ReLU codes (real = alpha code), sign bits
//   pending                a weight layer's int32 sums not yet written: real = A[c] acc + B[c];
//                          batch norm folds into A and B (fold batch norm)
//   stream                 int32 fixed point, real = scale q (a residual stream)
//   stream affine          a stream seen through batch norm: real = A[c] q + B[c]
// An activation after a pending value becomes the step's thresholds (fold activations), a max
// pool after it the step's pooling (fuse pooling); anything else that reads a pending value
// (an add, a pool, a second reader) makes the step write a stream. An activation after a stream
// becomes a threshold node. Adds rescale their inputs by powers of two to a common scale; average
// pooling writes window sums with the scale divided by the window. The kernel of each weight layer
// follows from its input and weights (xnor, bit-serial, 8-bit affine, depthwise).
import { LowbitError } from '../errors.js';
import type { Model } from '../graph/model.js';
import type { AnyLayer } from '../ops/layer.js';
import { Conv2d } from '../ops/conv2d.js';
import { Dense } from '../ops/dense.js';
import { QReLU, Sign } from '../ops/activations.js';
import { BatchNorm, Flatten, MaxPool } from '../ops/simple.js';
import { Add } from '../ops/add.js';
import { Concat } from '../ops/concat.js';
import { AvgPool } from '../ops/avgpool.js';
import { Dropout } from '../ops/dropout.js';
import { Reshape } from '../ops/reshape.js';
import { Shift } from '../ops/shift.js';
import { PReLU } from '../ops/prelu.js';
import { packSignsNHWC } from '../kernels/pack-signs.js';
import type { Plan, PlanNode, PlanStep } from './plan.js';
import { stepConvSize, stepOutputShape } from './plan.js';
import { bnAffine, codeThresholds, integerWeights, pow2Parts, qreluAlpha, roundThresholds, signThresholds } from './compile.js';
import { AffineAct } from '../ops/affine-act.js';

type Shape = [number, number, number];
type IntVal =
  | { kind: 'pixels' | 'codes' | 'bits'; at: number; shape: Shape; bits: number; scale: number; zero?: number }
  | { kind: 'pending'; step: PlanStep; from: number; A: Float64Array; B: Float64Array; accMax: Float64Array }
  | { kind: 'stream'; at: number; shape: Shape; scale: number; bound: number }
  | { kind: 'affine'; src: Extract<IntVal, { kind: 'stream' }>; A: Float64Array; B: Float64Array };

const fail = (msg: string) => new LowbitError('CANNOT_COMPILE', msg);
/** Streams keep |q| below 2^30: headroom for adds and rounding in int32. */
const STREAM_BITS = 30;

export function compileGraph(model: Model, classes: string[], meta: Record<string, unknown> = {}): Plan {
  if (model.inputShapes.length !== 1 || model.outputs.length !== 1) throw fail(`integer plans take one input and one output; this model has ${model.inputShapes.length} and ${model.outputs.length}`);
  const inShape = model.inShape;
  if (inShape.length !== 3) throw fail(`the model input must be [height, width, channels] pixels, got [${inShape.join(', ')}]`);
  const heap = model.heap, steps: PlanStep[] = [], graph: PlanNode[] = [];
  const readers = model.shapes.map(() => 0);
  model.nodes.forEach((n) => n.inputs.forEach((v) => readers[v]++));
  readers[model.outputs[0]]++;
  const iv: IntVal[] = [{ kind: 'pixels', at: 0, shape: [inShape[0], inShape[1], inShape[2]], bits: 8, scale: 1 / 255 }];
  const emit = (node: PlanNode): number => { graph.push(node); return graph.length; }; // the new value's index
  const absorbed = new Set<number>(); // max pools folded into the step before them
  const first = model.inputShapes.length;

  /**
   * real = A[c] v + B[c] for int32 v bounded by vMax[c], as a stream: scale 2^e with e the smallest
   * keeping |q| < 2^30, and q = (v mult[c] + addend[c]) >> T with mult keeping ~31 significant bits.
   */
  const fixedPoint = (A: ArrayLike<number>, B: ArrayLike<number>, vMax: ArrayLike<number>) => {
    let bound = 0, ratio = 0;
    for (let c = 0; c < A.length; c++) bound = Math.max(bound, Math.abs(A[c]) * vMax[c] + Math.abs(B[c]));
    const scale = 2 ** Math.ceil(Math.log2(Math.max(bound, 1e-30) / 2 ** STREAM_BITS));
    for (let c = 0; c < A.length; c++) ratio = Math.max(ratio, Math.abs(A[c]) / scale);
    const T = Math.max(0, Math.min(31, Math.floor(Math.log2((2 ** 31 - 1) / Math.max(ratio, 1e-30)))));
    const mult = Int32Array.from(A, (a) => Math.round((a / scale) * 2 ** T));
    const addend = Float64Array.from(B, (b) => Math.round((b / scale) * 2 ** T));
    return { scale, bound, mult, addend, T };
  };
  /** The integer sum of streams, each rescaled by a power of two to a common scale. */
  const addStreams = (xs: Extract<IntVal, { kind: 'stream' }>[], name: string): Extract<IntVal, { kind: 'stream' }> => {
    const bound = xs.reduce((a, x) => a + x.bound, 0);
    const scale = Math.max(Math.min(...xs.map((x) => x.scale)), 2 ** Math.ceil(Math.log2(Math.max(bound, 1e-30) / 2 ** STREAM_BITS)));
    const shifts = xs.map((x) => Math.log2(x.scale / scale));
    if (!shifts.every((s) => Math.abs(s - Math.round(s)) < 1e-9 && Math.abs(s) <= 31)) throw fail(`${name}: its inputs' scales (${xs.map((x) => x.scale.toExponential(3)).join(', ')}) are not powers of two apart; the integer add needs them so`);
    const at = emit({ op: 'add', inputs: xs.map((x) => x.at), shifts: shifts.map(Math.round) });
    return { kind: 'stream', at, shape: [...xs[0].shape], scale, bound };
  };
  /** A pending step written out as a stream. */
  const materialize = (p: Extract<IntVal, { kind: 'pending' }>): Extract<IntVal, { kind: 'stream' }> => {
    const f = fixedPoint(p.A, p.B, p.accMax);
    Object.assign(p.step, { output: 'stream', outBits: 32, pool: 0, mult: f.mult, addend: f.addend, streamShift: f.T });
    steps.push(p.step);
    const at = emit({ op: 'step', inputs: [p.from], step: steps.length - 1 });
    return { kind: 'stream', at, shape: stepOutputShape(p.step), scale: f.scale, bound: f.bound };
  };
  /** A stream through batch norm or shifts, written out as a new stream by a requant node. */
  const requant = (x: Extract<IntVal, { kind: 'affine' }>): Extract<IntVal, { kind: 'stream' }> => {
    const qMax = new Float64Array(x.A.length).fill(Math.min(2 ** 31, x.src.bound / x.src.scale));
    const f = fixedPoint(x.A, x.B, qMax);
    const at = emit({ op: 'requant', inputs: [x.src.at], mult: f.mult, addend: f.addend, shift: f.T });
    return { kind: 'stream', at, shape: [...x.src.shape], scale: f.scale, bound: f.bound };
  };
  const asStream = (v: number, name: string): Extract<IntVal, { kind: 'stream' }> => {
    const x = iv[v];
    if (x.kind === 'pending') { iv[v] = materialize(x); return iv[v] as Extract<IntVal, { kind: 'stream' }>; }
    if (x.kind === 'affine') { iv[v] = requant(x); return iv[v] as Extract<IntVal, { kind: 'stream' }>; }
    if (x.kind === 'stream') return x;
    throw fail(`${name}: reads ${x.kind}; integer ${name.includes('add') ? 'adds' : 'ops'} here take residual streams (the sums of weight layers)`);
  };

  model.nodes.forEach((node, i) => {
    const l: AnyLayer = node.layer, name = `node ${i} (${l.name})`, out = first + i, v0 = node.inputs[0];
    if (absorbed.has(i)) { iv[out] = iv[v0]; return; }
    if (l instanceof Dropout || l instanceof Flatten || l instanceof Reshape) {
      if (iv[v0].kind === 'pending' || iv[v0].kind === 'affine') throw fail(`${name}: follows a weight layer or batch norm directly; put an activation before it`);
      iv[out] = iv[v0];
      return;
    }
    if (l instanceof Conv2d || l instanceof Dense) { iv[out] = weightStep(l, iv[v0], name); return; }
    if (l instanceof BatchNorm) {
      const x = readers[v0] > 1 && iv[v0].kind === 'pending' ? asStream(v0, name) : iv[v0];
      const { g, shift } = bnAffine(l, model.shapes[v0].at(-1)!);
      if (x.kind === 'pending') { iv[out] = { ...x, A: x.A.map((a, c) => a * g[c]), B: x.B.map((b, c) => b * g[c] + shift[c]) }; return; }
      if (x.kind === 'stream') { iv[out] = { kind: 'affine', src: x, A: g.map((a) => a * x.scale), B: shift }; return; }
      if (x.kind === 'affine') { iv[out] = { ...x, A: x.A.map((a, c) => a * g[c]), B: x.B.map((b, c) => b * g[c] + shift[c]) }; return; }
      throw fail(`${name}: batch norm on ${x.kind} has no integer form; put it after a weight layer or on a residual stream`);
    }
    if (l instanceof QReLU || l instanceof Sign || l instanceof AffineAct) {
      const levels = l instanceof Sign ? 1 : 2 ** l.bits - 1, map = l instanceof AffineAct ? l.map : undefined;
      const alpha = l instanceof QReLU ? qreluAlpha(l) : map ? map.scale : 1, zero = map?.zero ?? 0;
      const fold = (A: ArrayLike<number>, B: ArrayLike<number>) => (l instanceof QReLU ? codeThresholds(A, B, alpha, levels) : map ? roundThresholds(A, B, map.scale, map.zero, levels) : signThresholds(A, B));
      const kind = l instanceof Sign ? 'bits' as const : 'codes' as const, bits = l instanceof Sign ? 1 : l.bits;
      let x = iv[v0];
      if (x.kind === 'pending' && readers[v0] === 1) {
        // fold the activation (and a max pool that alone reads it) into the step
        const next = model.nodes.findIndex((m, j) => j > i && m.inputs.includes(out));
        if (readers[out] === 1 && next >= 0 && model.nodes[next].layer instanceof MaxPool) {
          if (x.step.kind !== 'conv') throw fail(`node ${next} (maxpool): max pooling after a dense layer is not supported`);
          x.step.pool = (model.nodes[next].layer as MaxPool).k;
          absorbed.add(next);
        }
        Object.assign(x.step, { output: kind, outBits: bits, ...fold(x.A, x.B) });
        steps.push(x.step);
        const at = emit({ op: 'step', inputs: [x.from], step: steps.length - 1 });
        iv[out] = { kind, at, shape: stepOutputShape(x.step), bits, scale: alpha, zero };
        return;
      }
      if (x.kind === 'pending') x = asStream(v0, name);
      if (x.kind !== 'stream' && x.kind !== 'affine') throw fail(`${name}: an activation on ${x.kind} has no integer form here`);
      const src = x.kind === 'stream' ? x : x.src;
      const A = x.kind === 'stream' ? new Float64Array(src.shape[2]).fill(src.scale) : x.A, B = x.kind === 'stream' ? new Float64Array(src.shape[2]) : x.B;
      // a max pool that alone reads the activation pools the stream first (signed by the flips)
      const next = model.nodes.findIndex((m, j) => j > i && m.inputs.includes(out));
      const pool = readers[out] === 1 && next >= 0 && model.nodes[next].layer instanceof MaxPool ? (model.nodes[next].layer as MaxPool).k : 0;
      if (pool) absorbed.add(next);
      const at = emit({ op: 'threshold', inputs: [src.at], output: kind, outBits: bits, ...fold(A, B), ...(pool ? { pool } : {}) });
      const [h, w, c] = src.shape;
      iv[out] = { kind, at, shape: pool ? [Math.floor(h / pool), Math.floor(w / pool), c] : [...src.shape], bits, scale: alpha, zero };
      return;
    }
    if (l instanceof Add) { iv[out] = addStreams(node.inputs.map((v) => asStream(v, name)), name); return; }
    if (l instanceof AvgPool) {
      const x = iv[v0].kind === 'codes' || iv[v0].kind === 'bits' ? iv[v0] : asStream(v0, name);
      const [h, w] = x.shape, cfg = l.options;
      const pair = (p: number | [number, number] | undefined, d: [number, number]): [number, number] => (p === undefined ? d : Array.isArray(p) ? [p[0], p[1]] : [p, p]);
      const k = cfg.global ? [h, w] as [number, number] : pair(cfg.pool, [2, 2]), strides = cfg.global ? [1, 1] as [number, number] : pair(cfg.strides, k);
      const N = k[0] * k[1];
      if (x.kind === 'codes' || x.kind === 'bits') {
        const at = emit({ op: 'avgpool', inputs: [x.at], k, strides, shift: 0 });
        const shape: Shape = [Math.floor((h - k[0]) / strides[0]) + 1, Math.floor((w - k[1]) / strides[1]) + 1, x.shape[2]];
        const st = { kind: 'stream' as const, at, shape, scale: x.scale / N, bound: x.kind === 'bits' ? 1 : x.scale * (2 ** x.bits - 1) };
        // codes with a zero point z: the mean of s (q - z) is (s / N) sum q - s z
        iv[out] = x.zero ? { kind: 'affine', src: st, A: new Float64Array(shape[2]).fill(st.scale), B: new Float64Array(shape[2]).fill(-x.scale * x.zero) } : st;
        return;
      }
      const s = x as Extract<IntVal, { kind: 'stream' }>;
      const shift = Math.max(0, Math.ceil(Math.log2((N * s.bound) / s.scale / 2 ** STREAM_BITS)));
      const at = emit({ op: 'avgpool', inputs: [s.at], k, strides, shift });
      iv[out] = { kind: 'stream', at, shape: [Math.floor((h - k[0]) / strides[0]) + 1, Math.floor((w - k[1]) / strides[1]) + 1, s.shape[2]], scale: (s.scale * 2 ** shift) / N, bound: s.bound };
      return;
    }
    if (l instanceof Concat) {
      const xs = node.inputs.map((v) => asStream(v, name));
      if (!xs.every((x) => x.scale === xs[0].scale)) throw fail(`${name}: joins streams of different scales (${xs.map((x) => x.scale.toExponential(3)).join(', ')}); the integer concat needs one scale`);
      const at = emit({ op: 'concat', inputs: xs.map((x) => x.at) });
      iv[out] = { kind: 'stream', at, shape: [xs[0].shape[0], xs[0].shape[1], xs.reduce((a, x) => a + x.shape[2], 0)], scale: xs[0].scale, bound: Math.max(...xs.map((x) => x.bound)) };
      return;
    }
    if (l instanceof Shift) {
      const b = l.values(), x = readers[v0] > 1 && iv[v0].kind === 'pending' ? asStream(v0, name) : iv[v0];
      if (x.kind === 'pending' || x.kind === 'affine') { iv[out] = { ...x, B: x.B.map((v, c) => v + b[c]) }; return; }
      if (x.kind === 'stream') { iv[out] = { kind: 'affine', src: x, A: new Float64Array(b.length).fill(x.scale), B: Float64Array.from(b) }; return; }
      throw fail(`${name}: a shift on ${x.kind} has no integer form; put it after a weight layer, batch norm or on a residual stream`);
    }
    if (l instanceof PReLU) {
      const x = asStream(v0, name), a = l.slopes();
      const top = Math.max(...Array.from(a, Math.abs), 1e-30), T = Math.max(0, Math.min(31, Math.floor(Math.log2((2 ** 31 - 1) / top))));
      if ((x.bound * top) / x.scale >= 2 ** 31) throw fail(`${name}: slopes up to ${top.toFixed(3)} can take the stream past 32 bits`);
      const at = emit({ op: 'prelu', inputs: [x.at], mult: Int32Array.from(a, (s) => Math.round(s * 2 ** T)), shift: T });
      iv[out] = { kind: 'stream', at, shape: [...x.shape], scale: x.scale, bound: x.bound * Math.max(1, top) };
      return;
    }
    if (l instanceof MaxPool) throw fail(`${name}: max pooling lowers only right after conv, batch norm and an activation, as the one reader of the activation`);
    throw fail(`${name}: ${l.op} has no integer form (a float ReLU needs --abits 1..8: sign or a quantized ReLU)`);
  });

  const last = iv[model.outputs[0]];
  if (last.kind !== 'pending') throw fail('the model must end in a dense or conv layer (optionally with batch norm) giving the logits');
  const s = last.step;
  if (stepConvSize(s)[0] * stepConvSize(s)[1] !== 1) throw fail('the logits layer must give one value per class (a 1x1 output)');
  if (s.out !== classes.length) throw fail(`the model has ${s.out} outputs but ${classes.length} class names were given`);
  Object.assign(s, { output: 'logits', outBits: 32, pool: 0, scale: Float32Array.from(last.A), bias: Float32Array.from(last.B) });
  steps.push(s);
  emit({ op: 'step', inputs: [last.from], step: steps.length - 1 });
  return { inputShape: [inShape[0], inShape[1], inShape[2]], classes, steps, graph, meta };

  /** A conv / dense layer on pixels, codes or bits: its integer step, still pending its output. */
  function weightStep(l: Conv2d | Dense, x: IntVal, name: string): IntVal {
    if (x.kind !== 'pixels' && x.kind !== 'codes' && x.kind !== 'bits') throw fail(`${name}: reads ${x.kind === 'stream' || x.kind === 'affine' ? 'a residual stream' : 'the sums of another weight layer'}; put sign or a quantized ReLU before it`);
    const q = l.weights.quant.q;
    if (q.kind !== 'pow2' || q.bits <= 4) return partStep(l, x, integerWeights(heap, l.weights, name), true, name);
    // 5- and 6-bit powers of two: one int8 step per used part of the exponent range, summed as streams
    const parts = pow2Parts(heap, l.weights).map((p, k) => partStep(l, x, { kind: 'int8', bits: 8, ...p }, k === 0, name) as Extract<IntVal, { kind: 'pending' }>);
    // a part whose largest contribution is below one unit of the sum's int32 resolution (2^-30 of its bound) is left out
    const bounds = parts.map((p) => p.A.reduce((m, a, o) => Math.max(m, Math.abs(a) * p.accMax[o] + Math.abs(p.B[o])), 0));
    const unit = 2 ** Math.ceil(Math.log2(Math.max(bounds.reduce((a, b) => a + b, 0), 1e-30) / 2 ** STREAM_BITS));
    const kept = parts.filter((p, k) => k === 0 || bounds[k] >= unit);
    return kept.length === 1 ? kept[0] : addStreams(kept.map(materialize), name);
  }

  /** One integer step of a weight layer (all of its weights, or one pow2 part), pending its output; the bias goes with the first. */
  function partStep(l: Conv2d | Dense, x: Extract<IntVal, { kind: 'pixels' | 'codes' | 'bits' }>, iw: ReturnType<typeof integerWeights>, withBias: boolean, name: string): IntVal {
    const lw = l.weights, conv = l instanceof Conv2d;
    const [h, w, c] = x.shape;
    if (conv) {
      if (l.kh !== l.kw || l.pads || l.sh !== l.sw) throw fail(`${name}: integer plans run square kernels and strides with 'same' or 'valid' padding`);
      if (l.groups !== 1 && !(l.groups === c && l.filters === c)) throw fail(`${name}: grouped convs lower only as depthwise (groups = channels = filters)`);
      if (l.padding === 'valid' && x.kind === 'bits') throw fail(`${name}: 'valid' convolutions on sign bits are not supported`);
    } else if (h * w * c !== lw.K) throw fail(`${name}: input size ${h}x${w}x${c} does not match ${lw.K}`);
    if (x.kind === 'pixels' && iw.kind === 'binary') throw fail(`${name}: binary weights on raw pixels are not supported; keep the first layer 8-bit (--first-last-bits 8)`);
    const k = conv ? l.kh : 1, groups = conv ? l.groups : 1;
    const step: PlanStep = {
      kind: conv ? 'conv' : 'dense', h: conv ? h : 1, w: conv ? w : 1, c: conv ? c : lw.K, out: lw.out, k,
      padding: conv ? l.padding as 'same' | 'valid' : 'valid', input: x.kind, inBits: x.bits, weights: iw.kind, weightBits: iw.bits,
      output: 'logits', outBits: 32, pool: 0,
    };
    if (conv && l.sh !== 1) step.stride = l.sh;
    if (groups !== 1) step.groups = groups;
    // strided and depthwise convs run on the int8 kernels: binary weights go there as +-1 codes
    const asInt8 = iw.kind === 'binary' && (step.stride !== undefined || step.groups !== undefined);
    if (asInt8) Object.assign(step, { weights: 'int8', weightBits: 2 });
    if (iw.kind === 'binary' && !asInt8) step.wBinary = packSignsNHWC(heap, iw.q, lw.out * k * k, step.c);
    else if (iw.zero) {
      // shifted storage: wInt8 - wZero[c] is the weight code
      const K = lw.K, zr = iw.zero;
      step.wInt8 = Int8Array.from(iw.q, (v, j) => v + zr[Math.floor(j / K)]);
      step.wZero = zr;
    } else step.wInt8 = Int8Array.from(iw.q);
    if (x.kind === 'codes' && x.zero) step.inZero = x.zero;
    const bias = heap.read(Float32Array, lw.params()[1].w, lw.out);
    const A = new Float64Array(lw.out), B = new Float64Array(lw.out);
    for (let o = 0; o < lw.out; o++) { A[o] = x.scale * iw.step[o]; B[o] = withBias ? bias[o] : 0; }
    // |acc[o]| <= max|input| sum_k |q[o][k]|: the stream's scale follows from this bound
    const inMax = x.kind === 'pixels' ? 255 : x.kind === 'codes' ? Math.max(x.zero ?? 0, 2 ** x.bits - 1 - (x.zero ?? 0)) : 1, K = lw.K, accMax = new Float64Array(lw.out);
    for (let o = 0; o < lw.out; o++) { let s = 0; for (let j = o * K; j < (o + 1) * K; j++) s += Math.abs(iw.q[j]); accMax[o] = inMax * s; } // compile time
    return { kind: 'pending', step, from: x.at, A, B, accMax };
  }
}
