// compile(model): a trained Sequential -> an integer-only Plan (./plan.ts).
//
// Real values per step: input x = s_in * a (a: pixel byte with s_in = 1/255, a qReLU code with
// s_in = alpha, or a sign +-1 with s_in = 1); weights w[c] = step[c] * q (q integer: +-1 for
// binary with step = s, the level index for k-bit uniform with step = s). So the pre-activation is
// z[c] = s_in step[c] acc[c] + bias[c] with acc the integer dot product, and after inference-mode
// BatchNorm y = A[c] acc + B[c]:
//   A = s_in step g / sqrt(var + eps),  B = (bias - mean) g / sqrt(var + eps) + beta.
// The next activation then becomes integer comparisons on acc (assembly/infer.ts, threshold.ts):
//   qReLU: code = clamp(ceil(y / alpha), 0, L) = #{k in 1..L : acc >= T_k}, T_k = floor((k-1-B')/A') + 1
//          (A' = A / alpha, B' = B / alpha; for A' < 0 the count of acc < ceil((k-1-B')/A'))
//   sign:  bit = y >= 0 = acc >= ceil(-B/A) (A > 0), or !(acc >= floor(-B/A) + 1) (A < 0, flip)
// The last layer keeps logit = s_in step acc + bias as one float scale and bias per class.
import { LowbitError } from '../errors.js';
import type { Model } from '../graph/model.js';
import { Dropout } from '../ops/dropout.js';
import { compileGraph } from './compile-graph.js';
import type { Heap } from '../memory.js';
import type { Layer } from '../ops/layer.js';
import { Conv2d } from '../ops/conv2d.js';
import { Dense } from '../ops/dense.js';
import { QReLU, ReLU, Sign } from '../ops/activations.js';
import { BatchNorm, Flatten, MaxPool } from '../ops/simple.js';
import type { LinearWeights } from '../ops/weights.js';
import type { ActKind, Plan, PlanStep } from './plan.js';
import { stepOutputShape } from './plan.js';
import { packSignsNHWC } from '../kernels/pack-signs.js';
import { affineZeroPoint } from '../quantize/weights.js';
import { bnAffine, codeThresholds, qreluAlpha, signThresholds } from './fold.js';

export { bnAffine, qreluAlpha } from './fold.js';

const fail = (msg: string) => new LowbitError('CANNOT_COMPILE', msg);

/**
 * Integer weights of a layer: binary bits or integer codes q, with the real step per output
 * channel (w = step q). Trained affine weights give q = code - zero point, up to +-255 at 8 bits;
 * where a channel's q do not fit int8 they are stored shifted, wInt8 = q + zero[c], and the kernel
 * subtracts zero[c] again (`zero`, absent when every channel fits).
 */
export function integerWeights(heap: Heap, lw: LinearWeights, name: string): { kind: 'binary' | 'int8'; bits: number; q: Float32Array; step: Float64Array; zero?: Int8Array } {
  const qz = lw.quant, q = qz.q;
  if (q.kind !== 'binary' && q.kind !== 'ternary' && q.kind !== 'uniform' && q.kind !== 'affine' && !(q.kind === 'pow2' && q.bits <= 4)) {
    throw fail(`${name}: ${q.label} weights have no integer form here; train with --wbits 1, 2, 4 or 8 (uniform or affine; pow2 up to 6 bits), and --first-last-bits 8`);
  }
  const wq = heap.read(Float32Array, qz.wq, lw.w.size);
  const scales = q.kind === 'affine' ? heap.read(Float32Array, qz.extra[0].w, qz.groups) : heap.read(Float32Array, qz.scales, qz.groups);
  // pow2 levels s 2^-j, j < n, are integers in units of s 2^(1-n)
  const unit = q.kind === 'pow2' ? 2 ** (1 - (2 ** (q.bits - 1) - 1)) : 1;
  const step = new Float64Array(lw.out), codes = new Float32Array(wq.length);
  const rowsPerGroup = lw.out / qz.groups;
  for (let o = 0; o < lw.out; o++) { // per output channel, at compile time
    const s = scales[Math.floor(o / rowsPerGroup)] * unit;
    step[o] = s;
    for (let i = o * lw.K; i < (o + 1) * lw.K; i++) codes[i] = s > 0 ? Math.round(wq[i] / s) : 0;
  }
  const max = q.kind === 'binary' ? 1 : q.kind === 'affine' ? 255 : 127;
  if (codes.some((v) => Math.abs(v) > max)) throw fail(`${name}: weight codes exceed ${max}`);
  const out = { kind: q.kind === 'binary' ? 'binary' as const : 'int8' as const, bits: q.bits, q: codes, step };
  if (q.kind === 'affine' && q.bits <= 4) {
    // stored as code - 2^(b-1) in [-2^(b-1), 2^(b-1) - 1] (sub-byte fields in the file): zero[c] = z - 2^(b-1)
    const b = heap.read(Float32Array, qz.extra[1].w, qz.groups);
    const zero = Int8Array.from({ length: lw.out }, (_, o) => { const g = Math.floor(o / rowsPerGroup); return affineZeroPoint(scales[g], b[g], q.bits) - 2 ** (q.bits - 1); });
    return { ...out, zero };
  }
  if (!codes.some((v) => Math.abs(v) > 127)) return out;
  const zero = new Int8Array(lw.out);
  for (let o = 0; o < lw.out; o++) { // a channel spans at most 255 codes: shift its lowest to -128 if it does not fit
    let lo = Infinity, hi = -Infinity;
    for (let i = o * lw.K; i < (o + 1) * lw.K; i++) { lo = Math.min(lo, codes[i]); hi = Math.max(hi, codes[i]); }
    if (lo < -127 || hi > 127) zero[o] = -128 - lo;
  }
  return { ...out, zero };
}

/**
 * Power-of-two weights s 2^-j, j < n = 2^(bits - 1) - 1, split by exponent into parts of 7
 * exponents each: part p holds the weights with 7p <= j < 7p + 7 as int8 codes +-2^(7p + 6 - j)
 * (1..64) on the step s 2^-(7p + 6), so sum_p step_p q_p is the layer's weights exactly. Parts no
 * weight uses are left out. 5- and 6-bit weights (down to 2^-14 and 2^-30) need up to 3 and 5 parts.
 */
export function pow2Parts(heap: Heap, lw: LinearWeights): { q: Float32Array; step: Float64Array }[] {
  const qz = lw.quant, wq = heap.read(Float32Array, qz.wq, lw.w.size), scales = heap.read(Float32Array, qz.scales, qz.groups);
  const n = 2 ** (qz.q.bits - 1) - 1, parts = Math.ceil(n / 7), rowsPerGroup = lw.out / qz.groups;
  const out = Array.from({ length: parts }, (_, p) => ({ q: new Float32Array(wq.length), step: new Float64Array(lw.out), used: false, p }));
  for (let o = 0; o < lw.out; o++) { // per output channel, at compile time
    const s = scales[Math.floor(o / rowsPerGroup)];
    for (const part of out) part.step[o] = s * 2 ** -(7 * part.p + 6);
    for (let i = o * lw.K; i < (o + 1) * lw.K; i++) {
      if (wq[i] === 0 || !(s > 0)) continue;
      const j = Math.round(-Math.log2(Math.abs(wq[i]) / s)), part = out[Math.floor(j / 7)];
      if (!part || j < 0) throw fail(`layer ${lw.w.name}: weight ${wq[i]} is not a power-of-two level of ${s}`);
      part.q[i] = Math.sign(wq[i]) * 2 ** (7 * part.p + 6 - j);
      part.used = true;
    }
  }
  return out.filter((part) => part.used).map(({ q, step }) => ({ q, step }));
}

/**
 * Chains of today's layers (one input and output, each node reading the one before, square
 * stride-1 convs without groups) compile to a chain plan, written as a version-1 file as before;
 * everything else goes through compileGraph (./compile-graph.ts).
 */
function isSimpleChain(model: Model): boolean {
  if (model.inputShapes.length !== 1 || model.outputs.length !== 1 || model.outputs[0] !== model.nodes.length) return false;
  return model.nodes.every((n, i) => n.inputs.length === 1 && n.inputs[0] === i && [Conv2d, Dense, BatchNorm, QReLU, Sign, ReLU, MaxPool, Flatten, Dropout].some((t) => n.layer instanceof t)
    && !(n.layer instanceof Conv2d && (n.layer.kh !== n.layer.kw || n.layer.sh !== 1 || n.layer.sw !== 1 || n.layer.groups !== 1 || n.layer.pads))
    && !((n.layer instanceof Conv2d || n.layer instanceof Dense) && (n.layer.weights.quant.q.kind === 'affine' || (n.layer.weights.quant.q.kind === 'pow2' && n.layer.weights.quant.q.bits > 4)))); // zero points, or pow2 parts (version 2)
}

/** Compile a trained model into an integer-only plan; throws CANNOT_COMPILE naming the layer. */
export function compile(model: Model, classes: string[], meta: Record<string, unknown> = {}): Plan {
  if (!isSimpleChain(model)) return compileGraph(model, classes, meta);
  const L = model.layers.filter((l) => !(l instanceof Dropout)) as Layer[]; // dropout is the identity at inference
  if (model.inShape.length !== 3) throw fail(`the model input must be [height, width, channels] pixels, got [${model.inShape.join(', ')}]`);
  let shape = model.inShape.slice() as [number, number, number];
  let input: ActKind = 'pixels', inBits = 8, sIn = 1 / 255;
  const steps: PlanStep[] = [];
  let i = 0;
  const take = <T extends Layer>(ctor: new (...a: never[]) => T): T | undefined => (L[i] instanceof ctor ? (L[i++] as T) : undefined);
  while (i < L.length) {
    if (take(Flatten)) { shape = [1, 1, shape[0] * shape[1] * shape[2]]; continue; }
    const layer = L[i++];
    if (!(layer instanceof Conv2d) && !(layer instanceof Dense)) throw fail(`layer ${i - 1} (${layer.name}) must follow a conv2d or dense layer`);
    const lw = layer.weights, name = `layer ${i - 1} (${layer.name})`;
    const iw = integerWeights(model.heap, lw, name);
    const conv = layer instanceof Conv2d;
    if (!conv && shape[0] * shape[1] * shape[2] !== lw.K) throw fail(`${name}: input size ${shape.join('x')} does not match ${lw.K}`);
    if (conv && layer.options.padding === 'valid' && input === 'bits') throw fail(`${name}: 'valid' convolutions on sign bits are not supported`);
    const step: PlanStep = {
      kind: conv ? 'conv' : 'dense', h: conv ? shape[0] : 1, w: conv ? shape[1] : 1, c: conv ? shape[2] : lw.K, out: lw.out,
      k: conv ? (layer as Conv2d).kh : 1, padding: conv ? (layer as Conv2d).padding as 'same' | 'valid' : 'valid',
      input, inBits, weights: iw.kind, weightBits: iw.bits, output: 'logits', outBits: 32, pool: 0,
    };
    if (input === 'pixels' && iw.kind === 'binary') throw fail(`${name}: binary weights on raw pixels are not supported; keep the first layer 8-bit (--first-last-bits 8)`);
    // binary: [out][k][k] pixels of 2 * ceil(c / 64) words, bit 1 = +1 (binaryConv2d's weight layout)
    if (iw.kind === 'binary') step.wBinary = packSignsNHWC(model.heap, iw.q, lw.out * step.k * step.k, step.c);
    else step.wInt8 = Int8Array.from(iw.q);
    const bias = lw.params()[1];
    const heap = model.heap, b = heap.read(Float32Array, bias.w, lw.out);
    const bn = take(BatchNorm);
    const { g, shift } = bnAffine(bn, lw.out);
    const A = new Float64Array(lw.out), B = new Float64Array(lw.out);
    for (let o = 0; o < lw.out; o++) { A[o] = sIn * iw.step[o] * g[o]; B[o] = b[o] * g[o] + shift[o]; }
    const q = take(QReLU), sg = q ? undefined : take(Sign);
    if (L[i] instanceof ReLU) throw fail(`layer ${i} (relu): a float ReLU cannot run integer-only; train with --abits 1, 2, 4 or 8`);
    if (q) {
      const alpha = qreluAlpha(q);
      Object.assign(step, { output: 'codes', outBits: q.bits, ...codeThresholds(A, B, alpha, 2 ** q.bits - 1) });
      input = 'codes'; inBits = q.bits; sIn = alpha;
    } else if (sg) {
      Object.assign(step, { output: 'bits', outBits: 1, ...signThresholds(A, B) });
      input = 'bits'; inBits = 1; sIn = 1;
    } else {
      if (bn) throw fail(`${name}: batch norm without an activation after it is only supported on the last layer`);
      if (i !== L.length) throw fail(`${name}: a weight layer without an activation must be the last layer (the logits)`);
      step.scale = Float32Array.from(A);
      step.bias = Float32Array.from(B);
    }
    const pool = take(MaxPool);
    if (pool) {
      if (!conv) throw fail(`${name}: max pooling after a dense layer is not supported`);
      step.pool = pool.k;
    }
    shape = stepOutputShape(step);
    steps.push(step);
  }
  const last = steps.at(-1);
  if (!last || last.output !== 'logits') throw fail('the model must end in a dense or conv layer giving the logits');
  if (last.out !== classes.length) throw fail(`the model has ${last.out} outputs but ${classes.length} class names were given`);
  return { inputShape: model.inShape.slice() as [number, number, number], classes, steps, meta };
}
