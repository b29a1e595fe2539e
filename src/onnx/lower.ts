// ONNX graph -> lowbit graph plan. One pass over the nodes in topological order, tracking what
// each ONNX value is at inference:
//   const     folded at import (initializers, weight subgraphs, shape arithmetic); a Quant'd
//             constant keeps its quantizer's scale (qscale), so weights become integer codes
//   value     a plan value: float32 (the model input, float layers' outputs) or u8 codes with
//             real = (code + offset[c]) scale[c] (a quantizer's output)
//   pending   a layer's sums not yet written, seen through per-channel monotone ops
//             (bias, batch norm, Mul / Add / Sub / Div by constants, Relu, Clip): an integer step
//             (codes in, integer weights), a float layer, or a float value itself
// A quantizer (Quant, BipolarQuant, MultiThreshold) after a pending value becomes thresholds:
// integer thresholds on the sums of an integer step (FINN's streamlining), float thresholds on a
// float value. Anything else that reads a pending value makes it write floats. Values are NHWC
// inside; `dims` keeps the ONNX shape, `perm` the order of a flattened NCHW value.
import { LowbitError } from '../errors.js';
import type { Plan, PlanIO, PlanNode, PlanStep } from '../infer/plan.js';
import { DTYPE, type OnnxModel, type OnnxNode, type Tensor } from './decode.js';
import { attr, attrFloat, attrInt, attrInts, attrStr, cannot } from './attrs.js';
import { foldConst, type ConstValue } from './fold.js';
import { channelSteps, codeBits, convGeom, packBinaryRows, poolGeom, reshapeLayout, type ConvGeom, type HWC, type Layout, type PoolGeom } from './layer-shapes.js';
import { bipolarQuantizer, floatThresholds, intThresholds, quantQuantizer, roundingMode, thresholdQuantizer, type Quantizer } from './quant.js';
import { quantizeWeightRows, type InputStats } from './ptq-weights.js';
import { fitStreamCodes } from './stream-codes.js';
import { broadcastDims, count, expandTo, makeTensor, reshapeDims, transpose } from './tensor-ops.js';
import { needsWholeSample, wholeProduct } from './whole-sample.js';

type Op = { kind: 'affine'; a: Float64Array; b: Float64Array } | { kind: 'relu' } | { kind: 'clip'; lo: number; hi: number };
/** y = ops(A[c] x + B[c]) per channel c */
interface Chain { A: Float64Array; B: Float64Array; ops: Op[] }
type Source =
  | { kind: 'int'; step: PlanStep; from: number; accMax: Float64Array }
  | { kind: 'fstep'; node: Extract<PlanNode, { op: 'fstep' }>; from: number }
  | { kind: 'float'; at: number };
type Lv =
  | ConstValue
  | ({ kind: 'float'; at: number } & Layout)
  | ({ kind: 'codes'; at: number; bits: number; levels: number; scale: Float64Array; offset: Float64Array; sign?: boolean; step?: PlanStep; scodes?: Extract<PlanNode, { op: 'scodes' }>; name?: string } & Layout)
  | ({ kind: 'pending'; src: Source; chain: Chain } & Layout);

export interface ImportReport { lines: string[]; floatNodes: string[]; points: { layer: string; points: number[] }[] }

/** Inputs each op needs at least (others: 1). */
const MIN_INPUTS: Record<string, number> = {
  Quant: 4, IntQuant: 4, Trunc: 5, QuantizeLinear: 2, DequantizeLinear: 2, MatMulInteger: 2, ConvInteger: 2, QLinearMatMul: 8, QLinearConv: 8, BipolarQuant: 2, MultiThreshold: 2, Add: 2, Sub: 2, Mul: 2, Div: 2, Pow: 2, MatMul: 2, Gemm: 2, Conv: 2,
  BatchNormalization: 5, Reshape: 2, Gather: 2, Slice: 3, Constant: 0,
};
const QUANT_DOMAINS = new Set(['onnx.brevitas', 'qonnx.custom_op.general', 'finn.custom_op.general', 'finn', 'qonnx']);

/** Nodes in an order where every input comes first; a cycle or a missing input is BAD_MODEL. */
export function topoOrder(model: OnnxModel): OnnxNode[] {
  const g = model.graph, known = new Set<string>([...g.initializers.keys(), ...g.inputs.map((v) => v.name), '']);
  const producer = new Map<string, number>();
  g.nodes.forEach((n, i) => n.outputs.forEach((o) => { if (o) producer.set(o, i); }));
  const state = new Uint8Array(g.nodes.length), order: OnnxNode[] = [];
  // iterative depth-first search: 1 = on the stack, 2 = placed
  for (let root = 0; root < g.nodes.length; root++) {
    if (state[root]) continue;
    const stack: [number, number][] = [[root, 0]];
    state[root] = 1;
    while (stack.length) {
      const top = stack[stack.length - 1], n = g.nodes[top[0]];
      if (top[1] < n.inputs.length) {
        const name = n.inputs[top[1]++], p = producer.get(name);
        if (p === undefined) { if (!known.has(name)) throw new LowbitError('BAD_MODEL', `node ${n.name || n.op} reads ${JSON.stringify(name)}, which no node, input or initializer provides`); continue; }
        if (state[p] === 1) throw new LowbitError('BAD_MODEL', `the graph has a cycle through node ${g.nodes[p].name || g.nodes[p].op}`);
        if (!state[p]) { state[p] = 1; stack.push([p, 0]); }
      } else { state[top[0]] = 2; order.push(n); stack.pop(); }
    }
  }
  return order;
}

/** Post-training quantization while lowering: weights without a quantizer, and quantizers on named activations. */
export interface LowerOptions {
  weights?: {
    bits: number; method: 'minmax' | 'mse' | 'multipoint'; extra?: number;
    /** calibration statistics of weight layers' inputs by value name, per channel (NCHW values) or per feature ([batch, K] values) */
    inputStats?: Map<string, InputStats>;
    /** subtract the quantized weights' expected output shift from the bias (needs inputStats) */
    biasCorrection?: boolean;
  };
  /** 5+-bit codes after integer layers by a requantizing multiply-add where it is exact (default true), else thresholds */
  streamCodes?: boolean;
  activations?: Map<string, { scale: number; zero: number; bits: number; signed: boolean }>;
}

export function lowerOnnx(model: OnnxModel, opts: LowerOptions = {}): { plan: Plan; report: ImportReport } {
  const g = model.graph, env = new Map<string, Lv>(), steps: PlanStep[] = [], graph: PlanNode[] = [];
  const report: ImportReport = { lines: [], floatNodes: [], points: [] };
  for (const [name, t] of g.initializers) env.set(name, { kind: 'const', t });
  const realInputs = g.inputs.filter((v) => !g.initializers.has(v.name));
  if (realInputs.length !== 1) throw cannot('graph', `lowbit runs models with one input; this one has ${realInputs.length} (${realInputs.map((v) => v.name).join(', ')})`);
  if (g.outputs.length !== 1) throw cannot('graph', `lowbit runs models with one output; this one has ${g.outputs.length}`);
  const inp = realInputs[0];
  // the whole input tensor as one sample, held flat (./whole-sample.ts), or its first dimension as the batch
  const whole = needsWholeSample(model) ? inp.dims : undefined;
  if (whole && (whole.length > 6 || whole.some((d) => !(d >= 1)) || count(whole) > 1 << 24)) {
    throw cannot(`input ${inp.name}`, `its products need the whole tensor as one sample, so every dimension must be known (at most 6, 16 M values); got [${whole.join(', ')}]`);
  }
  if (!whole && (!inp.dims || inp.dims.length < 2)) throw cannot(`input ${inp.name}`, 'needs a known shape with a batch dimension first, e.g. [1, 784] or [1, 1, 28, 28]');
  const inDims = whole ? [1, count(whole)] : [1, ...inp.dims!.slice(1)];
  if (inDims.some((d) => !(d >= 1))) throw cannot(`input ${inp.name}`, `has an unknown dimension in [${inp.dims!.join(', ')}]; only the batch dimension may be symbolic`);
  if (count(inDims) > 1 << 24 || inDims.length > 4) throw cannot(`input ${inp.name}`, `[${inp.dims!.join(', ')}] is larger than lowbit runs (at most 16 M values, 4 dimensions)`);
  // an NHWC input read only by Transposes to NCHW (what tf2onnx writes for a Keras conv net) is held as it comes
  const readersOf = (name: string) => g.nodes.filter((r) => r.inputs.includes(name));
  const isPerm = (r: OnnxNode, p: number[]) => { const q = attrInts(r, 'perm'); return r.op === 'Transpose' && q !== undefined && q.length === p.length && q.every((v, i) => v === p[i]); };
  const nhwcInput = !whole && inDims.length === 4 && readersOf(inp.name).length > 0 && readersOf(inp.name).every((r) => isPerm(r, [0, 3, 1, 2]));
  const inShape: HWC = nhwcInput ? [inDims[1], inDims[2], inDims[3]] : inDims.length === 4 ? [inDims[2], inDims[3], inDims[1]] : [1, 1, count(inDims)];
  if (inDims.length === 3) inShape[2] = count(inDims);
  env.set(inp.name, { kind: 'float', at: 0, dims: inDims, shape: inShape, whole, ...(nhwcInput ? { nhwc: true as const } : {}) });
  const emit0 = graph.length;
  void emit0;
  const emit = (n: PlanNode): number => { graph.push(n); return graph.length; };
  let searchWork = 0;
  const readers = new Map<string, number>();
  for (const n of g.nodes) for (const i of n.inputs) readers.set(i, (readers.get(i) ?? 0) + 1);
  for (const o of g.outputs) readers.set(o.name, (readers.get(o.name) ?? 0) + 1);

  /** Per-channel values of constant `t` applied to a value of layout `v`, or a failure. */
  const channelVector = (t: Tensor, v: Layout, where: string): Float64Array => {
    const C = v.shape[2];
    if (count(t.dims) === 1) return new Float64Array(C).fill(t.data[0]);
    const dims = broadcastDims(v.dims, t.dims, where);
    if (dims.length !== v.dims.length || dims.some((d, i) => d !== v.dims[i])) throw cannot(where, `constant of shape [${t.dims.join(', ')}] would change the shape [${v.dims.join(', ')}]`);
    const full = expandTo(t, dims, where);
    const axis = !v.perm && !v.d2s && (dims.length === 4 ? dims[1] === C : dims.length === 2 && v.shape[0] * v.shape[1] === 1) ? 1 : -1;
    const out = new Float64Array(C), inner = count(dims.slice(2)), per = count(dims.slice(1));
    if (axis < 0) {
      if (!full.every((x) => x === full[0])) throw cannot(where, `a per-element constant on a value lowbit keeps as ${v.shape.join('x')} (NHWC) is not supported; only per-channel constants`);
      return out.fill(full[0]);
    }
    for (let c = 0; c < C; c++) {
      out[c] = full[c * inner];
      for (let j = 0; j < inner; j++) if (full[c * inner + j] !== out[c]) throw cannot(where, 'a constant that varies within a channel is not supported');
    }
    void per;
    return out;
  };

  const identity = (C: number): Chain => ({ A: new Float64Array(C).fill(1), B: new Float64Array(C), ops: [] });
  const asPending = (v: Lv, where: string): Extract<Lv, { kind: 'pending' }> => {
    if (v.kind === 'pending') return v;
    if (v.kind === 'float') return { kind: 'pending', src: { kind: 'float', at: v.at }, chain: identity(v.shape[2]), dims: v.dims, shape: v.shape, perm: v.perm, d2s: v.d2s, whole: v.whole, nhwc: v.nhwc };
    if (v.kind === 'codes') { const f = materialize(v, where); return asPending(f, where); }
    throw cannot(where, 'an elementwise op on constants only is folded; this one reads a runtime value it cannot follow');
  };
  const affine = (p: Extract<Lv, { kind: 'pending' }>, a: Float64Array, b: Float64Array): Lv => {
    const chain: Chain = p.chain.ops.length ? { ...p.chain, ops: [...p.chain.ops, { kind: 'affine', a, b }] } : { A: p.chain.A.map((x, c) => x * a[c]), B: p.chain.B.map((x, c) => x * a[c] + b[c]), ops: [] };
    return { ...p, chain };
  };
  const evalChain = (ch: Chain) => (x: number, c: number) => {
    let y = ch.A[c] * x + ch.B[c];
    for (const op of ch.ops) y = op.kind === 'affine' ? op.a[c] * y + op.b[c] : op.kind === 'relu' ? (y > 0 ? y : 0) : Math.min(op.hi, Math.max(op.lo, y));
    return y;
  };
  const direction = (ch: Chain): Int8Array => Int8Array.from(ch.A, (a, c) => {
    let s = Math.sign(a);
    for (const op of ch.ops) if (op.kind === 'affine') s *= Math.sign(op.a[c]);
    return s;
  });
  /** A chain of affine ops with at most one ReLU at the end: y = relu?(A x + B). */
  const simpleChain = (ch: Chain): { A: Float64Array; B: Float64Array; relu: boolean } | undefined => {
    let A = ch.A, B = ch.B, relu = false;
    for (const op of ch.ops) {
      if (relu) return undefined;
      if (op.kind === 'relu') relu = true;
      else if (op.kind === 'affine') { const a = op.a, b = op.b; A = A.map((x, c) => x * a[c]); B = B.map((x, c) => x * a[c] + b[c]); }
      else return undefined;
    }
    return { A, B, relu };
  };

  /** A runtime value written out as float32. */
  function materialize(v: Lv, where: string): Extract<Lv, { kind: 'float' }> {
    const lay: Layout = { dims: (v as Layout).dims, shape: (v as Layout).shape, perm: (v as Layout).perm, d2s: (v as Layout).d2s, whole: (v as Layout).whole, nhwc: (v as Layout).nhwc };
    if (v.kind === 'float') return v;
    if (v.kind === 'const') throw cannot(where, 'a constant cannot be a runtime value here');
    if (v.kind === 'codes') {
      // sign bits: the node scales +-1; real = (c + offset) scale with c = (pm + 1) / 2
      const at = v.sign ? emit({ op: 'dequant', inputs: [v.at], scale: Float32Array.from(v.scale, (s) => s / 2), bias: Float32Array.from(v.scale, (s, c) => s * (0.5 + v.offset[c])) })
        : emit({ op: 'dequant', inputs: [v.at], scale: Float32Array.from(v.scale), bias: Float32Array.from(v.scale, (s, c) => s * v.offset[c]) });
      report.floatNodes.push(`${where} (dequantize codes)`);
      return { kind: 'float', at, ...lay };
    }
    const s = simpleChain(v.chain), src = v.src;
    if (src.kind === 'float') {
      if (!s || s.relu) throw cannot(where, 'a ReLU or clip on the float input is not supported before a float op');
      if (v.chain.ops.length === 0 && s.A.every((a) => a === 1) && s.B.every((b) => b === 0)) return { kind: 'float', at: src.at, ...lay };
      const at = emit({ op: 'dequant', inputs: [src.at], scale: Float32Array.from(s.A), bias: Float32Array.from(s.B) });
      return { kind: 'float', at, ...lay };
    }
    if (!s) throw cannot(where, 'a Clip (or ops after a ReLU) before a float op is not supported');
    if (src.kind === 'fstep') {
      Object.assign(src.node, { scale: Float32Array.from(s.A), bias: Float32Array.from(s.B), relu: s.relu ? 1 : 0 });
      return { kind: 'float', at: emit(src.node), ...lay };
    }
    if (s.relu) throw cannot(where, 'a ReLU after an integer layer must be followed by a quantizer (Quant) to stay integer');
    const st = src.step;
    Object.assign(st, { output: 'logits', outBits: 32, pool: 0, scale: Float32Array.from(s.A), bias: Float32Array.from(s.B) });
    steps.push(st);
    return { kind: 'float', at: emit({ op: 'step', inputs: [src.from], step: steps.length - 1 }), ...lay };
  }

  /** A quantizer applied to a runtime value: thresholds on the pending sums, or on floats. */
  function quantize(v: Lv, q: Quantizer, where: string): Lv {
    const p = asPending(v, where), bits = Math.max(1, Math.ceil(Math.log2(q.levels + 1)));
    // the threshold search evaluates the chain ~64 times per level and channel
    if ((searchWork += p.shape[2] * q.levels) > 1 << 22) throw cannot(where, 'the quantizers ask for more than 4 M thresholds in all; lowbit does not import a model this large');
    if (bits > 8) throw cannot(where, `${q.levels + 1} levels need ${bits}-bit codes; lowbit's codes hold up to 8 bits`);
    const f = evalChain(p.chain), dir = direction(p.chain), lay: Layout = { dims: p.dims, shape: p.shape, perm: p.perm, d2s: p.d2s, whole: p.whole, nhwc: p.nhwc };
    // channels with equal chains and quantizer parameters share their thresholds (computed once)
    const ch = p.chain, key = (c: number) => [ch.A[c], ch.B[c], ...ch.ops.map((o) => (o.kind === 'affine' ? `${o.a[c]}:${o.b[c]}` : o.kind === 'clip' ? `${o.lo}:${o.hi}` : 'r')), q.scale[c], q.offset[c], q.key?.(c) ?? ''].join('|');
    const L = q.levels, full = 2 ** bits - 1;
    /** the plan's codes have 2^bits - 1 thresholds: the levels past q's are never reached */
    const pad = <T extends Int32Array | Float32Array>(r: { thresholds: T; flip: Uint8Array }, never: [number, number]): { thresholds: T; flip: Uint8Array } => {
      if (L === full) return r;
      const C = r.flip.length, t = new (r.thresholds.constructor as { new (n: number): T })(C * full);
      for (let c = 0; c < C; c++) for (let k = 0; k < full; k++) t[c * full + k] = k < L ? r.thresholds[c * L + k] : never[r.flip[c]];
      return { thresholds: t, flip: r.flip };
    };
    if (p.src.kind === 'int' && q.bipolar) {
      // sign bits: the xnor and binary kernels read them, and pad with a real 0
      const st = p.src.step;
      Object.assign(st, { output: 'bits', outBits: 1, ...intThresholds(f, dir, p.src.accMax, q, key) });
      steps.push(st);
      const at = emit({ op: 'step', inputs: [p.src.from], step: steps.length - 1 });
      report.lines.push(`${where}: -> sign bits by one integer threshold per channel`);
      return { kind: 'codes', at, bits: 1, levels: 1, scale: q.scale, offset: q.offset, sign: true, step: st, ...lay };
    }
    if (p.src.kind === 'int') {
      const st = p.src.step, thr = intThresholds(f, dir, p.src.accMax, q, key);
      // 5+ bits: one fixed-point multiply-add per value where it gives exactly the thresholds' codes
      const fit = bits >= 5 && opts.streamCodes !== false ? fitStreamCodes(thr.thresholds, thr.flip, L, p.src.accMax, full) : undefined;
      if (fit) {
        Object.assign(st, { output: 'stream', outBits: 32, pool: 0, mult: fit.mult, addend: fit.addend, streamShift: fit.shift });
        steps.push(st);
        const node: Extract<PlanNode, { op: 'scodes' }> = { op: 'scodes', inputs: [emit({ op: 'step', inputs: [p.src.from], step: steps.length - 1 })], outBits: bits, k: [1, 1] };
        report.lines.push(`${where}: -> ${bits}-bit codes by a requantizing multiply-add per channel (equal to ${q.levels} integer thresholds)`);
        return { kind: 'codes', at: emit(node), bits, levels: q.levels, scale: q.scale, offset: q.offset, scodes: node, ...lay };
      }
      Object.assign(st, { output: 'codes', outBits: bits, ...pad(thr, [2 ** 31 - 1, -(2 ** 31)]) });
      steps.push(st);
      const at = emit({ op: 'step', inputs: [p.src.from], step: steps.length - 1 });
      report.lines.push(`${where}: -> ${bits}-bit codes by ${q.levels} integer thresholds per channel`);
      return { kind: 'codes', at, bits, levels: q.levels, scale: q.scale, offset: q.offset, step: st, ...lay };
    }
    let from: number;
    if (p.src.kind === 'fstep') from = emit(p.src.node); // raw sums: the thresholds see the whole chain in float64
    else from = p.src.at;
    const at = emit({ op: 'quantize', inputs: [from], output: 'codes', outBits: bits, ...pad(floatThresholds(f, dir, q, key), [Infinity, -Infinity]) });
    report.lines.push(`${where}: ${p.src.kind === 'float' ? 'float input' : 'float sums'} -> ${bits}-bit codes by ${q.levels} float thresholds per channel`);
    return { kind: 'codes', at, bits, levels: q.levels, scale: q.scale, offset: q.offset, ...lay };
  }

  /**
   * A weight layer's input statistics per weight column (physical order: conv (ky kw + kx) c + ch,
   * dense the flattened NHWC index) from per-channel (NCHW) or per-feature (flat, ONNX order) ones.
   * Border taps of a padded conv see zeros, which the per-channel means ignore.
   */
  function columnStats(st: InputStats | undefined, lay: Layout, K: number, conv: ConvGeom | undefined): InputStats | undefined {
    if (!st) return undefined;
    const c = lay.shape[2], mean = new Float64Array(K), sq = new Float64Array(K);
    // per channel: a conv's columns, or a dense layer's on a flattened map (NHWC order), end in the channel
    const perChannel = st.mean.length === c && (conv ? conv.groups === 1 : K % c === 0 && st.mean.length !== K);
    if (perChannel) for (let k = 0; k < K; k++) { mean[k] = st.mean[k % c]; sq[k] = st.sq[k % c]; }
    else if (!conv && st.mean.length === K) for (let k = 0; k < K; k++) { const p = lay.perm ? lay.perm[k] : k; mean[p] = st.mean[k]; sq[p] = st.sq[k]; }
    else return undefined;
    return { mean, sq };
  }

  /** Conv / MatMul / Gemm: integer step when codes meet per-channel integer weights, else a float layer. */
  function weightLayer(n: OnnxNode, x: Lv, W: Float64Array, wSteps: Float64Array | undefined, bias: Float64Array, conv: ConvGeom | undefined, where: string): Lv {
    if (x.kind === 'const') throw cannot(where, 'both operands are constants (fold them before export)');
    const lay = x as Layout, [h, w, c] = lay.shape, out = bias.length;
    const K = W.length / out; // weights here are [out][K] in physical (NHWC) order
    if (!wSteps && opts.weights) {
      const r = quantizeWeightRows(W, out, opts.weights.bits, opts.weights.method, opts.weights.extra, columnStats(opts.weights.inputStats?.get(n.inputs[0]), lay, K, conv));
      ({ W, steps: wSteps } = r);
      if (r.biasShift && opts.weights.biasCorrection !== false) bias = bias.map((b, o) => b - r.biasShift![o]);
      const two = r.points.reduce((a, p) => a + (p - 1), 0);
      report.points.push({ layer: where, points: Array.from(r.points) });
      if (two) report.lines.push(`${where}: multipoint: ${two} of ${out} channels with a second ${opts.weights.bits}-bit point`);
    }
    // integer: codes in, one quantizer step per output channel, |q| <= 127
    let intOk = x.kind === 'codes' && wSteps !== undefined;
    let q: Int8Array | undefined;
    const sW = wSteps;
    if (intOk && x.kind === 'codes') {
      q = new Int8Array(W.length);
      for (let o = 0; o < out && intOk; o++) {
        const inv = 1 / sW![o];
        for (let k = o * K, end = k + K; k < end; k++) {
          const v = W[k] * inv, r = Math.round(v);
          if (Math.abs(v - r) > 1e-6 || r > 127 || r < -127) { intOk = false; break; }
          q[k] = r;
        }
      }
      if (!x.scale.every((s) => s === x.scale[0]) || !x.offset.every((s) => s === x.offset[0])) intOk = false;
      if (conv && x.offset[0] !== 0 && conv.padding !== 'valid' && !x.sign) intOk = false; // zero padding must mean real 0
      if (conv && !conv.intOk) intOk = false;
      if (x.sign && (conv ? conv.padding === 'valid' || conv.strides[0] !== 1 || conv.groups !== 1 : false)) intOk = false; // the sign-bit kernels: 'same', stride 1, no groups
    }
    if (intOk && x.kind === 'codes') {
      const step: PlanStep = {
        kind: conv ? 'conv' : 'dense', h: conv ? h : 1, w: conv ? w : 1, c: conv ? c : h * w * c, out, k: conv ? conv.k[0] : 1,
        padding: conv ? conv.padding : 'valid', input: x.sign ? 'bits' : 'codes', inBits: x.bits, weights: 'int8', weightBits: codeBits(q!), output: 'logits', outBits: 32, pool: 0,
        wInt8: q,
      };
      // +-1 weights: bit-packed; on sign bits the xnor kernels (a binary dense layer on sign bits of a
      // map needs 64-channel multiples), on codes the bit-serial kernel (dense) or the 8-bit one (conv)
      if (q!.every((v) => v === 1 || v === -1) && (!x.sign || conv || c % 64 === 0 || h * w === 1)) {
        Object.assign(step, { weights: 'binary', weightBits: 1, wInt8: undefined, wBinary: packBinaryRows(q!, out * step.k * step.k, step.c) });
        delete step.wInt8;
      }
      if (conv && conv.strides[0] !== 1) step.stride = conv.strides[0];
      if (conv && conv.groups !== 1) step.groups = conv.groups;
      const A = new Float64Array(out), B = new Float64Array(out), accMax = new Float64Array(out);
      for (let o = 0; o < out; o++) {
        let sum = 0, abs = 0;
        for (let k = 0; k < K; k++) { sum += q![o * K + k]; abs += Math.abs(q![o * K + k]); }
        // sign bits: the kernels sum w (+-1), real = (scale / 2) (+-1)
        A[o] = (x.sign ? x.scale[0] / 2 : x.scale[0]) * sW![o];
        B[o] = x.sign ? bias[o] : A[o] * x.offset[0] * sum + bias[o];
        accMax[o] = x.levels * abs;
      }
      report.lines.push(`${where}: integer ${step.kind} ${step.weightBits}-bit weights x ${x.sign ? 'sign bits' : `${x.bits}-bit codes`}${conv ? ` (${conv.k.join('x')}, stride ${conv.strides[0]}, ${conv.padding})` : ''}, ${out} outputs`);
      const outShape: HWC = conv ? [conv.oh, conv.ow, out] : [1, 1, out];
      return { kind: 'pending', src: { kind: 'int', step, from: x.at, accMax }, chain: { A: new Float64Array(A), B, ops: [] }, dims: conv ? [1, out, conv.oh, conv.ow] : [1, out], shape: outShape };
    }
    const f = materialize(x, where);
    const node: Extract<PlanNode, { op: 'fstep' }> = {
      op: 'fstep', inputs: [f.at], kind: conv ? 'conv' : 'dense', out, k: conv ? conv.k : [1, 1], strides: conv ? conv.strides : [1, 1], pads: conv ? conv.pads : [0, 0, 0, 0],
      ...(conv && conv.dilations[0] * conv.dilations[1] > 1 ? { dilations: conv.dilations } : {}),
      groups: conv ? conv.groups : 1, relu: 0, weights: Float32Array.from(W), scale: new Float32Array(out).fill(1), bias: new Float32Array(out),
    };
    report.lines.push(`${where}: float ${node.kind} (float32 weights), ${out} outputs`);
    report.floatNodes.push(`${where} (${n.op})`);
    const outShape: HWC = conv ? [conv.oh, conv.ow, out] : [1, 1, out];
    return { kind: 'pending', src: { kind: 'fstep', node, from: f.at }, chain: { A: new Float64Array(out).fill(1), B: Float64Array.from(bias), ops: [] }, dims: conv ? [1, out, conv.oh, conv.ow] : [1, out], shape: outShape };
  }

  /** MatMul / Gemm / MatMulInteger: weights [K, out] (or [out, K] with transB) on a [batch, K] value. */
  function denseLayer(n: OnnxNode, x: Lv, w: Tensor, qscale: Tensor | undefined, transB: boolean, alpha: number, biasT: Tensor | undefined, beta: number, where: string, transA = false): Lv {
    const lay = x as Layout;
    if (lay.whole) {
      // one dense layer over the whole flattened sample; a per-column weight scale applies per output
      const { W, outDims, column } = wholeProduct(lay.whole, w, { transA, transB, alpha }, where), out = column.length;
      const N = w.dims.length === 1 ? 1 : transB ? w.dims[0] : w.dims[w.dims.length - 1], perColumn = qscale && channelSteps(qscale, transB ? 0 : qscale.dims.length - 1, N);
      const steps = perColumn ? Float64Array.from(column, (j) => perColumn[j] * Math.abs(alpha)) : undefined;
      const bias = biasT ? expandTo(biasT, outDims, where).map((v) => beta * v) : new Float64Array(out);
      return { ...weightLayer(n, x, W, steps, bias, undefined, where), whole: outDims } as Lv;
    }
    if (transA) throw cannot(where, 'transA is supported where the whole input is one sample');
    if (lay.dims.length !== 2) throw cannot(where, `the input must be [batch, features], got [${lay.dims.join(', ')}]`);
    if (w.dims.length !== 2) throw cannot(where, 'the weights must be a matrix');
    const KK = transB ? w.dims[1] : w.dims[0], out = transB ? w.dims[0] : w.dims[1];
    if (KK !== lay.dims[1]) throw cannot(where, `input has ${lay.dims[1]} features, weights take ${KK}`);
    const steps = channelSteps(qscale, transB ? 0 : 1, out);
    const Wt = transB ? w : transpose(w, [1, 0]); // to [out][K]
    const W = alpha === 1 ? Wt.data : Wt.data.map((v) => v * alpha);
    const sW = steps && alpha !== 1 ? steps.map((v) => v * Math.abs(alpha)) : steps;
    // physical (NHWC) order of the input features
    let Wp = W;
    if (lay.perm) { Wp = new Float64Array(W.length); for (let o = 0; o < out; o++) for (let k = 0; k < KK; k++) Wp[o * KK + lay.perm[k]] = W[o * KK + k]; }
    const bias = new Float64Array(out);
    if (biasT) { const e = expandTo(biasT, [1, out], where); for (let o = 0; o < out; o++) bias[o] = beta * e[o]; }
    return weightLayer(n, x, Wp, sW, bias, undefined, where);
  }

  /** Conv / ConvInteger / QLinearConv: weights [out, in / group, kh, kw] on an NCHW value. */
  function convLayer(n: OnnxNode, x: Lv, w: Tensor, qscale: Tensor | undefined, biasIn: Float64Array | undefined, where: string): Lv {
    if (w.dims.length !== 4) throw cannot(where, 'the weights must be a constant [out, in / group, kh, kw] tensor');
    const lay = x as Layout;
    if (lay.dims.length !== 4 || lay.perm) throw cannot(where, `the input must be NCHW, got [${lay.dims.join(', ')}]`);
    const geom = convGeom(n, lay.shape, w.dims, where);
    const [O, I, kh, kw] = w.dims;
    const W = new Float64Array(O * kh * kw * I);
    for (let o = 0; o < O; o++) for (let i = 0; i < I; i++) for (let y = 0; y < kh; y++) for (let xx = 0; xx < kw; xx++) W[((o * kh + y) * kw + xx) * I + i] = w.data[((o * I + i) * kh + y) * kw + xx];
    const bias = biasIn ? Float64Array.from(biasIn) : new Float64Array(O);
    if (bias.length !== O) throw cannot(where, `bias of ${bias.length} for ${O} filters`);
    return weightLayer(n, x, W, channelSteps(qscale, 0, O), bias, geom, where);
  }

  /** QuantizeLinear / DequantizeLinear scales and zero points: one value, or one per channel along `axis`. */
  const axisVector = (t: Tensor, v: Layout, axis: number, where: string): Float64Array => {
    const C = v.shape[2];
    if (count(t.dims) === 1) return new Float64Array(C).fill(t.data[0]);
    const a = axis < 0 ? axis + v.dims.length : axis;
    if (a !== 1 || count(t.dims) !== C || v.perm || v.d2s) throw cannot(where, `per-axis parameters lower on the channel axis (1) only, got axis ${axis} with ${count(t.dims)} values`);
    return Float64Array.from(t.data);
  };

  /**
   * ONNX QuantizeLinear (8 bits, round half to even, saturating) to the integer tensor itself:
   * codes that stand for the integer q (real = (code + lo) x 1).
   */
  function quantizeLinear(v: Lv, scale: Float64Array, zero: Float64Array, signed: boolean, where: string): Lv {
    const q = quantize(v, quantQuantizer(scale, zero, 8, signed, false, roundingMode('ROUND', where), where), where) as Extract<Lv, { kind: 'codes' }>;
    return { ...q, scale: new Float64Array(scale.length).fill(1), offset: new Float64Array(scale.length).fill(signed ? -128 : 0) };
  }

  /** A calibrated quantizer on a named activation (post-training quantization). */
  function ptqActivation(name: string, v: Lv, where: string): Lv {
    const a = opts.activations?.get(name);
    if (!a || v.kind === 'const' || v.kind === 'codes') return v; // constants and values already quantized stay
    const C = (v as Layout).shape[2];
    return quantize(v, quantQuantizer(new Float64Array(C).fill(a.scale), new Float64Array(C).fill(a.zero), a.bits, a.signed, a.signed, roundingMode('ROUND', where), where), `${where} (calibrated ${a.bits}-bit)`);
  }

  const constOf = (name: string, where: string): Extract<Lv, { kind: 'const' }> | undefined => {
    if (name === '') return undefined;
    const v = env.get(name);
    if (!v) throw new LowbitError('BAD_MODEL', `${where} reads ${JSON.stringify(name)}, which is not defined`);
    return v.kind === 'const' ? v : undefined;
  };

  env.set(inp.name, ptqActivation(inp.name, env.get(inp.name)!, `input ${inp.name}`));
  // an integer graph input arrives as float values of the integers: quantize them to codes (real = the integer)
  if (inp.dtype === DTYPE.UINT8 || inp.dtype === DTYPE.INT8) {
    const C = inShape[2];
    env.set(inp.name, quantizeLinear(env.get(inp.name)!, new Float64Array(C).fill(1), new Float64Array(C), inp.dtype === DTYPE.INT8, `input ${inp.name}`));
  } else if (inp.dtype !== DTYPE.FLOAT && inp.dtype !== 0) throw cannot(`input ${inp.name}`, `element type ${inp.dtype} is not supported (float, uint8 or int8)`);
  for (const n of topoOrder(model)) {
    const where = `node ${n.name || n.outputs[0]} (${n.op})`;
    const ins = n.inputs.map((i) => (i === '' ? undefined : env.get(i)));
    if (ins.some((v, i) => v === undefined && n.inputs[i] !== '')) throw new LowbitError('BAD_MODEL', `${where} reads a value that is not defined`);
    const need = MIN_INPUTS[n.op] ?? 1;
    if (ins.length < need || ins.slice(0, need).some((v) => v === undefined) || n.outputs.length < 1) throw new LowbitError('BAD_MODEL', `${where} has ${ins.filter(Boolean).length} inputs and ${n.outputs.length} outputs; ${n.op} needs ${need} inputs and an output`);
    const set = (v: Lv) => { if (n.outputs[0]) env.set(n.outputs[0], ptqActivation(n.outputs[0], v, where)); };
    const allConst = ins.every((v) => v === undefined || v.kind === 'const');
    const isQuantDomain = QUANT_DOMAINS.has(n.domain);
    if (n.domain !== '' && !isQuantDomain) throw cannot(where, `domain ${JSON.stringify(n.domain)} is not supported (lowbit reads standard ONNX and the QONNX / FINN / Brevitas quantizers)`);
    const t = (i: number) => (ins[i] as Extract<Lv, { kind: 'const' }>).t;

    // ----- constant folding
    if (n.op === 'Constant') {
      const v = attr(n, 'value');
      if (v?.kind === 't') set({ kind: 'const', t: v.v });
      else if (v === undefined && attr(n, 'value_float')) set({ kind: 'const', t: makeTensor([], Float64Array.of(attrFloat(n, 'value_float', 0))) });
      else if (attr(n, 'value_ints')) { const a = attrInts(n, 'value_ints')!; set({ kind: 'const', t: makeTensor([a.length], Float64Array.from(a), 7) }); }
      else if (attr(n, 'value_int')) set({ kind: 'const', t: makeTensor([], Float64Array.of(attrInt(n, 'value_int', 0)), 7) });
      else throw cannot(where, 'a Constant without a tensor value');
      continue;
    }
    if (n.op === 'Shape' && ins[0] && ins[0].kind !== 'const') {
      const d = (ins[0] as Layout).dims;
      set({ kind: 'const', t: makeTensor([d.length], Float64Array.from(d), 7) });
      continue;
    }
    if (allConst && ins.length) {
      const folded = foldConst(n, ins as (Extract<Lv, { kind: 'const' }> | undefined)[], where);
      if (folded) { set(folded); continue; }
    }

    // ----- runtime ops
    const x = ins[0]!;
    if (x.kind === 'const' && !['Add', 'Sub', 'Mul', 'Div'].includes(n.op)) throw cannot(where, `its data input is a constant while other inputs are computed; lowbit folds ${n.op} only over constants`);
    switch (n.op) {
      case 'Identity': case 'Dropout': set(x); continue;
      case 'Quant': case 'IntQuant': {
        const [s, z, b] = [constOf(n.inputs[1], where), constOf(n.inputs[2], where), constOf(n.inputs[3], where)];
        if (!s || !z || !b) throw cannot(where, 'scale, zero point and bit width must be constants');
        const lay = x as Layout, signed = attrInt(n, 'signed', 1) === 1, narrow = attrInt(n, 'narrow', 0) === 1;
        const round = roundingMode(attrStr(n, 'rounding_mode', 'ROUND'), where);
        if (count(b.t.dims) !== 1) throw cannot(where, 'per-channel bit widths are not supported');
        set(quantize(x, quantQuantizer(channelVector(s.t, lay, where), channelVector(z.t, lay, where), b.t.data[0], signed, narrow, round, where), where));
        continue;
      }
      case 'BipolarQuant': {
        const s = constOf(n.inputs[1], where);
        if (!s) throw cannot(where, 'the scale must be a constant');
        set(quantize(x, bipolarQuantizer(channelVector(s.t, x as Layout, where)), where));
        continue;
      }
      case 'MultiThreshold': {
        const th = constOf(n.inputs[1], where);
        if (!th || th.t.dims.length !== 2) throw cannot(where, 'thresholds must be a constant [channels or 1, levels] matrix');
        const C = (x as Layout).shape[2], [rows, L] = th.t.dims;
        if (rows !== C && rows !== 1) throw cannot(where, `thresholds for ${rows} channels on a value of ${C}`);
        if (attrStr(n, 'data_layout', 'NCHW') === 'NHWC' && (x as Layout).dims.length === 4) throw cannot(where, 'data_layout NHWC is not supported');
        const thr = new Float64Array(C * L);
        for (let c = 0; c < C; c++) for (let k = 0; k < L; k++) thr[c * L + k] = th.t.data[(rows === 1 ? 0 : c) * L + k];
        set(quantize(x, thresholdQuantizer(thr, C, L, attrFloat(n, 'out_scale', 1), attrFloat(n, 'out_bias', 0)), where));
        continue;
      }
      case 'Sign': set(quantize(x, { levels: 2, code: (y) => (y > 0 ? 2 : y === 0 ? 1 : 0), scale: new Float64Array((x as Layout).shape[2]).fill(1), offset: new Float64Array((x as Layout).shape[2]).fill(-1) }, where)); continue;
      case 'Relu': {
        const p = asPending(x, where);
        set({ ...p, chain: { ...p.chain, ops: [...p.chain.ops, { kind: 'relu' }] } });
        continue;
      }
      case 'Clip': {
        const lo = n.inputs[1] ? constOf(n.inputs[1], where)?.t.data[0] : attrFloat(n, 'min', -Infinity);
        const hi = n.inputs[2] ? constOf(n.inputs[2], where)?.t.data[0] : attrFloat(n, 'max', Infinity);
        if (lo === undefined || hi === undefined) throw cannot(where, 'Clip bounds must be constants');
        const p = asPending(x, where);
        set({ ...p, chain: { ...p.chain, ops: [...p.chain.ops, { kind: 'clip', lo, hi }] } });
        continue;
      }
      case 'Add': case 'Sub': case 'Mul': case 'Div': {
        const ci = ins[0]!.kind === 'const' ? 0 : ins[1]!.kind === 'const' ? 1 : -1;
        if (ci < 0) {
          if (n.op !== 'Add') throw cannot(where, `${n.op} of two runtime values is not supported`);
          const a = materialize(ins[0]!, where), b = materialize(ins[1]!, where);
          if (a.shape.some((d, i) => d !== b.shape[i]) || a.perm || b.perm) throw cannot(where, 'adds values of different shapes');
          report.lines.push(`${where}: float add`);
          report.floatNodes.push(`${where} (residual Add)`);
          set({ kind: 'float', at: emit({ op: 'fadd', inputs: [a.at, b.at] }), dims: a.dims, shape: a.shape, whole: a.whole });
          continue;
        }
        const other = ins[1 - ci]!, p = asPending(other, where), k = channelVector(t(ci), p, where);
        const C = p.shape[2], one = new Float64Array(C).fill(1), zero = new Float64Array(C);
        if (n.op === 'Add') set(affine(p, one, k));
        else if (n.op === 'Sub') set(ci === 1 ? affine(p, one, k.map((v) => -v)) : affine(p, one.map(() => -1), k));
        else if (n.op === 'Mul') set(affine(p, k, zero));
        else { if (ci === 0) throw cannot(where, 'a constant divided by a runtime value is not supported'); set(affine(p, k.map((v) => 1 / v), zero)); }
        continue;
      }
      case 'BatchNormalization': {
        const [s, b, m, v] = [1, 2, 3, 4].map((i) => constOf(n.inputs[i], where));
        if (!s || !b || !m || !v) throw cannot(where, 'batch norm parameters must be constants');
        const p = asPending(x, where), eps = attrFloat(n, 'epsilon', 1e-5), C = p.shape[2];
        const vec = (tt: Tensor) => { if (count(tt.dims) !== C && count(tt.dims) !== 1) throw cannot(where, `batch norm has ${count(tt.dims)} channels, the value ${C}`); return Float64Array.from({ length: C }, (_, c) => tt.data[count(tt.dims) === 1 ? 0 : c]); };
        const [gs, bs, ms, vs] = [s.t, b.t, m.t, v.t].map(vec);
        const a = gs.map((gm, c) => gm / Math.sqrt(vs[c] + eps));
        set(affine(p, a, bs.map((bb, c) => bb - ms[c] * a[c])));
        continue;
      }
      case 'MatMul': case 'Gemm': {
        const wc = constOf(n.inputs[1], where);
        if (!wc) throw cannot(where, 'the weights (second input) must be a constant');
        const bc = n.op === 'Gemm' && n.inputs[2] ? constOf(n.inputs[2], where) : undefined;
        if (n.op === 'Gemm' && n.inputs[2] && !bc) throw cannot(where, 'the bias must be a constant');
        const gemm = n.op === 'Gemm';
        set(denseLayer(n, x, wc.t, wc.qscale, gemm && attrInt(n, 'transB', 0) === 1, gemm ? attrFloat(n, 'alpha', 1) : 1, bc?.t, gemm ? attrFloat(n, 'beta', 1) : 1, where, gemm && attrInt(n, 'transA', 0) === 1));
        continue;
      }
      case 'Conv': {
        const wc = constOf(n.inputs[1], where);
        const bc = n.inputs[2] ? constOf(n.inputs[2], where) : undefined;
        if (n.inputs[2] && !bc) throw cannot(where, 'the bias must be a constant');
        if (!wc) throw cannot(where, 'the weights must be a constant');
        set(convLayer(n, x, wc.t, wc.qscale, bc?.t.data, where));
        continue;
      }
      // ----- the standard int8 ops: integer tensors are codes with scale 1 (real = the integer)
      case 'QuantizeLinear': {
        const sc = constOf(n.inputs[1], where), zc = n.inputs[2] ? constOf(n.inputs[2], where) : undefined;
        if (!sc) throw cannot(where, 'y_scale must be a constant');
        const lay = x as Layout, C = lay.shape[2];
        const s0 = axisVector(sc.t, lay, attrInt(n, 'axis', 1), where), z0 = zc ? axisVector(zc.t, lay, attrInt(n, 'axis', 1), where) : new Float64Array(C);
        set(quantizeLinear(x, s0, z0, zc?.t.dtype === DTYPE.INT8, where));
        continue;
      }
      case 'DequantizeLinear': {
        if (x.kind !== 'codes') throw cannot(where, 'dequantizes an integer tensor: a QuantizeLinear output or an integer input');
        const sc = constOf(n.inputs[1], where), zc = n.inputs[2] ? constOf(n.inputs[2], where) : undefined;
        if (!sc) throw cannot(where, 'x_scale must be a constant');
        const s0 = axisVector(sc.t, x, attrInt(n, 'axis', 1), where), z0 = zc ? axisVector(zc.t, x, attrInt(n, 'axis', 1), where) : new Float64Array(x.shape[2]);
        // real = (q - zp) s with q = (code + offset) scale
        set({ ...x, scale: x.scale.map((v, c) => v * s0[c]), offset: x.offset.map((o, c) => o - z0[c] / x.scale[c]) });
        continue;
      }
      case 'MatMulInteger': case 'ConvInteger': case 'QLinearMatMul': case 'QLinearConv': {
        const qlinear = n.op.startsWith('QLinear'), conv = n.op.includes('Conv');
        // input positions: x, [x_scale], x_zp, w, [w_scale], w_zp, [y_scale, y_zp], [bias]
        const at = qlinear ? { xs: 1, xz: 2, w: 3, ws: 4, wz: 5, ys: 6, yz: 7, b: 8 } : { xs: -1, xz: conv ? 2 : 2, w: 1, ws: -1, wz: 3, ys: -1, yz: -1, b: -1 };
        const c = (i: number) => (i >= 0 && n.inputs[i] ? constOf(n.inputs[i], where) : undefined);
        const w = c(at.w);
        if (!w) throw cannot(where, 'the weights must be a constant');
        if (x.kind !== 'codes') throw cannot(where, 'the data input must be an integer tensor (a QuantizeLinear output or an integer input)');
        const xz = c(at.xz)?.t.data[0] ?? 0, xs = qlinear ? c(at.xs)?.t.data[0] : 1;
        if (xs === undefined || (n.inputs[at.xz] && !c(at.xz)) || (qlinear && (!c(at.ws) || !c(at.ys)))) throw cannot(where, 'scales and zero points must be constants');
        // the data as codes of real (q - x_zp) x_s; the weights as (w - w_zp) w_s with one step per output channel
        const xin: Lv = { ...x, scale: x.scale.map((v) => v * xs), offset: x.offset.map((o, ch) => o - xz / x.scale[ch]) };
        const outAxis = conv ? 0 : w.t.dims.length - 1, O = w.t.dims[outAxis]; // matmul weights [..., K, N]: N outputs
        const zW = c(at.wz)?.t, sWt = qlinear ? c(at.ws)!.t : makeTensor([], Float64Array.of(1));
        const zv = zW ? (count(zW.dims) === 1 ? new Float64Array(O).fill(zW.data[0]) : Float64Array.from(zW.data)) : new Float64Array(O);
        const sv = count(sWt.dims) === 1 ? new Float64Array(O).fill(sWt.data[0]) : Float64Array.from(sWt.data);
        if (zv.length !== O || sv.length !== O) throw cannot(where, `weight zero points and scales must be one value or one per output channel (${O})`);
        const inner = count(w.t.dims) / O, data = new Float64Array(w.t.data.length);
        for (let i = 0; i < data.length; i++) { const o = conv ? Math.floor(i / inner) : i % O; data[i] = (w.t.data[i] - zv[o]) * sv[o]; }
        const qscale = makeTensor(conv ? [O, 1, 1, 1] : [1, O], sv);
        const wt = makeTensor(w.t.dims, data);
        let bias: Float64Array | undefined;
        if (qlinear && conv && n.inputs[at.b]) { const bc = c(at.b); if (!bc) throw cannot(where, 'the bias must be a constant'); bias = bc.t.data.map((v, o) => v * xs * sv[o]); }
        let y = conv ? convLayer(n, xin, wt, qscale, bias, where) : denseLayer(n, xin, wt, qscale, false, 1, undefined, 1, where);
        if (qlinear) {
          const ys = c(at.ys)!.t, yz = c(at.yz)?.t, C = (y as Layout).shape[2];
          y = quantizeLinear(y, new Float64Array(C).fill(ys.data[0]), new Float64Array(C).fill(yz?.data[0] ?? 0), yz?.dtype === DTYPE.INT8, where);
        }
        set(y);
        continue;
      }
      case 'MaxPool': {
        const lay = x as Layout;
        if (lay.dims.length !== 4 || lay.perm) throw cannot(where, 'max pooling lowers on NCHW values');
        const [h, w, c] = lay.shape, geom = poolGeom(n, h, w, where), { k: k2, strides: s } = geom;
        if (k2[0] !== k2[1] || s[0] !== k2[0] || s[1] !== k2[0] || geom.pads.some((p) => p)) {
          // other windows, strides or pads: in float, taps in the pads skipped (ONNX pads max pooling with -infinity)
          const f = materialize(x, where);
          report.lines.push(`${where}: float max pool ${k2[0]}x${k2[1]}, strides ${s.join('x')}, pads [${geom.pads.join(', ')}]`);
          report.floatNodes.push(`${where} (MaxPool)`);
          set({ kind: 'float', at: emit({ op: 'fmaxpool', inputs: [f.at], k: k2, strides: s, pads: geom.pads }), dims: [1, c, geom.oh, geom.ow], shape: [geom.oh, geom.ow, c] });
          continue;
        }
        const k = k2, oh = geom.oh, ow = geom.ow;
        // codes or sign bits of an integer conv read by this pool alone: the step pools (max commutes with its monotone thresholds)
        if (x.kind === 'codes' && x.step && x.step.kind === 'conv' && !x.step.pool && (readers.get(n.inputs[0]) ?? 0) === 1 && k[0] <= 8) {
          x.step.pool = k[0];
          report.lines.push(`${where}: max pool ${k[0]}x${k[0]} in the step before`);
          set({ ...x, step: undefined, dims: [1, c, oh, ow], shape: [oh, ow, c] });
          continue;
        }
        if (x.kind === 'codes' && x.scodes && x.scodes.k[0] === 1 && (readers.get(n.inputs[0]) ?? 0) === 1 && k[0] <= 8) {
          x.scodes.k = [k[0], k[0]]; // the requantized stream pools before its clamp
          report.lines.push(`${where}: max pool ${k[0]}x${k[0]} in the requantizing node before`);
          set({ ...x, scodes: undefined, dims: [1, c, oh, ow], shape: [oh, ow, c] });
          continue;
        }
        const f = materialize(x, where);
        report.lines.push(`${where}: float max pool ${k[0]}x${k[0]}`);
        set({ kind: 'float', at: emit({ op: 'fmaxpool', inputs: [f.at], k: [k[0], k[0]], strides: [k[0], k[0]] }), dims: [1, c, oh, ow], shape: [oh, ow, c] });
        continue;
      }
      case 'AveragePool': case 'GlobalAveragePool': {
        const lay = x as Layout;
        if (lay.dims.length !== 4 || lay.perm) throw cannot(where, 'average pooling lowers on NCHW values');
        const [h, w, c] = lay.shape, global = n.op === 'GlobalAveragePool';
        const geom: PoolGeom = global ? { k: [h, w], strides: [1, 1], pads: [0, 0, 0, 0], oh: 1, ow: 1 } : poolGeom(n, h, w, where), { k, strides: st, oh, ow } = geom;
        const padded = geom.pads.some((p) => p), countPads = padded && attrInt(n, 'count_include_pad', 0) === 1;
        const f = materialize(x, where);
        report.lines.push(`${where}: float average pool ${k[0]}x${k[1]}${padded ? `, pads [${geom.pads.join(', ')}]${countPads ? ' counted' : ''}` : ''}`);
        report.floatNodes.push(`${where} (${n.op})`);
        set({ kind: 'float', at: emit({ op: 'favgpool', inputs: [f.at], k, strides: st, ...(padded ? { pads: geom.pads } : {}), ...(countPads ? { countPads: 1 as const } : {}) }), dims: [1, c, oh, ow], shape: [oh, ow, c] });
        continue;
      }
      case 'Trunc': {
        // QONNX Trunc: the input's integer code round(x / s + z) divided by t = 2^k and rounded (FLOOR by default), in the
        // output range. Version 1 (5 inputs): t = 2^(in_bits - out_bits), output (v - z) s. Version 2 (6 inputs, out_scale):
        // t = 2^round(log2(out_scale / s)), output (v - z / t) out_scale
        const v2 = n.inputs.length >= 6, cs = (v2 ? [1, 2, 3, 4, 5] : [1, 2, 3, 4]).map((i) => constOf(n.inputs[i], where));
        if (cs.some((t) => !t || count(t.t.dims) !== 1)) throw cannot(where, 'scale, zero point, bit widths (and out_scale) must be scalar constants');
        const [s0, z0, inBits] = cs.slice(0, 3).map((t) => t!.t.data[0]), outBits = cs.at(-1)!.t.data[0];
        const outScale = v2 ? cs[3]!.t.data[0] : s0, t = v2 ? 2 ** Math.round(Math.log2(outScale / s0)) : 2 ** (inBits - outBits);
        const signed = attrInt(n, 'signed', 1) === 1, narrow = attrInt(n, 'narrow', 0) === 1, C = (x as Layout).shape[2];
        const round = roundingMode(attrStr(n, 'rounding_mode', 'FLOOR'), where), r2 = roundingMode('ROUND', where);
        if (!(outBits >= 1 && outBits <= 8) || !(t >= 1) || !(s0 > 0) || !(outScale > 0)) throw cannot(where, `output bit width ${outBits} (1..8), scales and the truncation 2^k >= 1 are required`);
        const lo = signed ? -(2 ** (outBits - 1)) + (narrow ? 1 : 0) : 0, hi = signed ? 2 ** (outBits - 1) - 1 : 2 ** outBits - 1;
        const zOut = v2 ? z0 / t : z0;
        set(quantize(x, {
          levels: hi - lo, code: (y) => round(Math.min(hi, Math.max(lo, r2(y / s0 + z0) / t))) - lo,
          scale: new Float64Array(C).fill(outScale), offset: new Float64Array(C).fill(lo - zOut),
        }, where));
        continue;
      }
      case 'Flatten': case 'Reshape': {
        const lay = x as Layout, from = lay.whole ?? lay.dims;
        let dims: number[];
        if (n.op === 'Flatten') {
          const ax = attrInt(n, 'axis', 1), a = ax < 0 ? ax + from.length : ax;
          dims = [count(from.slice(0, a)), count(from.slice(a))];
        } else {
          const sc = constOf(n.inputs[1], where);
          if (!sc) throw cannot(where, 'the target shape must be a constant');
          dims = reshapeDims(from, Array.from(sc.t.data), where, attrInt(n, 'allowzero', 0) === 1);
        }
        if (lay.whole) { set({ ...x, whole: dims } as Lv); continue; } // held flat: only the ONNX dims change
        if (dims[0] !== 1) throw cannot(where, `reshaping the batch dimension is not supported ([${lay.dims.join(', ')}] to [${dims.join(', ')}])`);
        set({ ...x, ...reshapeLayout(lay, dims, where) } as Lv);
        continue;
      }
      case 'Softmax': {
        const lay = x as Layout, ax = attrInt(n, 'axis', model.opsets.get('') !== undefined && model.opsets.get('')! < 13 ? 1 : -1);
        if (lay.whole && lay.whole.length > 1) throw cannot(where, 'softmax of a value whose whole tensor is one sample lowers for 1-D values only');
        const a = ax < 0 ? ax + lay.dims.length : ax;
        if (a !== 1 || (lay.dims.length !== 2 && lay.dims.length !== 4)) throw cannot(where, 'softmax lowers over the channel axis only');
        const f = materialize(x, where);
        report.lines.push(`${where}: softmax (float)`);
        report.floatNodes.push(`${where} (Softmax)`);
        set({ kind: 'float', at: emit({ op: 'softmax', inputs: [f.at] }), dims: f.dims, shape: f.shape, whole: f.whole });
        continue;
      }
      case 'DepthToSpace': {
        const lay = x as Layout, b = attrInt(n, 'blocksize', 0), mode = attrStr(n, 'mode', 'DCR');
        if (lay.dims.length !== 4 || lay.perm || lay.d2s || b < 1 || lay.shape[2] % (b * b) || (mode !== 'DCR' && mode !== 'CRD')) throw cannot(where, 'DepthToSpace lowers once, on an NCHW value whose channels split into blocks');
        if ((readers.get(n.outputs[0]) ?? 0) > 1) throw cannot(where, 'DepthToSpace lowers only on the way to the output');
        const [h, w, c] = lay.shape;
        set({ ...x, dims: [1, c / (b * b), h * b, w * b], d2s: { block: b, mode } } as Lv);
        continue;
      }
      case 'Transpose': {
        // between NCHW and NHWC only, without moving data: an NHWC value is held as the NCHW one was
        const lay = x as Layout, [h, w, c] = lay.shape;
        if (lay.dims.length === 4 && !lay.perm && !lay.d2s && !lay.whole) {
          if (lay.nhwc && isPerm(n, [0, 3, 1, 2])) { set({ ...x, dims: [1, c, h, w], nhwc: undefined } as Lv); continue; }
          // an NHWC value may be read by Reshape / Flatten (its row-major order is the memory order), a Transpose back, or the output
          const fine = (r: OnnxNode) => r.op === 'Reshape' || r.op === 'Flatten' || isPerm(r, [0, 3, 1, 2]);
          if (!lay.nhwc && isPerm(n, [0, 2, 3, 1]) && readersOf(n.outputs[0]).every(fine)) { set({ ...x, dims: [1, h, w, c], nhwc: true } as Lv); continue; }
        }
        throw cannot(where, 'a Transpose of a runtime value lowers between NCHW and NHWC only: perm [0, 2, 3, 1] read by Reshape, Flatten, a Transpose back or the output, and perm [0, 3, 1, 2] back (or on the input)');
      }
      default:
        throw cannot(where, `the op ${n.domain ? `${n.domain}.` : ''}${n.op} is not supported`);
    }
  }

  // ----- the output
  const outName = g.outputs[0].name, last = env.get(outName);
  if (!last || last.kind === 'const') throw cannot(`output ${outName}`, 'is a constant or not computed');
  const fin = materialize(last, `output ${outName}`);
  const lay = fin as Layout, [oh, ow, oc] = fin.shape;
  if (fin.perm) throw cannot(`output ${outName}`, 'a flattened NCHW value as output is not supported');
  // a whole-sample model keeps the ONNX dims of its input and output (a scalar output as [1])
  const declared = g.outputs[0].dims, wholeOut = declared && declared.every((d) => d >= 1) && count(declared) === count(lay.dims) ? declared : lay.whole;
  const io: PlanIO = {
    input: whole ? [...whole] : inDims.slice(1), inputLayout: inDims.length === 4 && !nhwcInput ? 'nchw' : 'flat',
    output: whole ? (wholeOut?.length ? [...wholeOut] : [count(lay.dims)]) : lay.dims.slice(1), outputLayout: lay.dims.length === 4 && !lay.nhwc ? 'nchw' : 'flat',
  };
  if (lay.d2s) io.depthToSpace = lay.d2s;
  if (io.outputLayout === 'flat' && oh * ow > 1 && oc > 1 && !lay.nhwc) throw cannot(`output ${outName}`, `an output of [${lay.dims.join(', ')}] from an NHWC ${oh}x${ow}x${oc} value is not supported`);
  const outCount = count(io.output);
  const classes = outCount <= 4096 && io.output.length === 1 ? Array.from({ length: outCount }, (_, i) => String(i)) : ['output'];
  const plan: Plan = { inputShape: inShape, classes, steps, graph, io, meta: {} };
  return { plan, report };
}

