// Post-training quantization of a float ONNX model: calibrate the activations that feed weight
// layers (the graph input and every ReLU / Clip output) on sample inputs, then lower the graph
// with a quantizer on each of them and per-channel weight quantizers (./ptq-weights.ts): the
// result is an integer-only lowbit model. Calibration runs the float model itself, cut at each
// activation, on lowbit's float kernels.
import { LowbitError, checkInt, checkOptions } from '../errors.js';
import { encodeModel } from '../infer/format.js';
import { Engine } from '../infer/engine.js';
import type { Lowbit } from '../runtime.js';
import { enableImportedModels } from '../infer/imported.js';
import { decodeOnnx, type OnnxModel, type OnnxNode } from './decode.js';
import { lowerOnnx, type LowerOptions } from './lower.js';
import { chooseClip, type InputStats } from './ptq-weights.js';

export interface QuantizeOptions {
  /** calibration inputs: `count` samples in the model's input layout */
  calibration: Float32Array;
  count: number;
  /** weight bits: 8, 4, 2, or 1 (signs times a per-channel scale: binary weights, on the bit-serial kernel after 2..8-bit codes) */
  wbits?: 8 | 4 | 2 | 1;
  abits?: 8 | 4 | 2;
  /** weight and activation ranges: max |x| (minmax) or the least squared error (mse, the default); multipoint: mse plus a second weight point on the channels with the largest error */
  method?: 'minmax' | 'mse' | 'multipoint';
  /** multipoint: the fraction of output channels that get a second point (the extra MACs), default 0.1 */
  extra?: number;
  /** activation ranges: max |x| (minmax), the least squared error (mse), or the 99.99th percentile of |x|; default: minmax for method minmax, else mse */
  actRange?: 'minmax' | 'mse' | 'percentile';
  /** subtract each quantized weight layer's expected output shift on the calibration set from its bias (default true) */
  biasCorrection?: boolean;
  /** report each weight layer's output SNR on (up to 64 of) the calibration samples (default true) */
  report?: boolean;
  /** 5+-bit codes by a requantizing multiply-add where it equals the thresholds exactly (default true) */
  streamCodes?: boolean;
}

/** A weight layer's output, float model against the quantized one, on the calibration samples: 10 log10(sum y^2 / sum (y - y_q)^2). */
export interface LayerSnr { layer: string; output: string; snrDb: number }

export interface QuantizeResult { model: Uint8Array; summary: string[]; ranges: { name: string; min: number; max: number; scale: number; signed: boolean }[]; snr: LayerSnr[] }

const WEIGHT_OPS = new Set(['Conv', 'Gemm', 'MatMul']);

type Producers = Map<string, OnnxNode>;
const producers = (m: OnnxModel): Producers => new Map(m.graph.nodes.flatMap((n) => n.outputs.map((o) => [o, n] as const)));

/** The model cut at value `name` (its only output), run on samples. */
async function runCut(m: OnnxModel, producer: Producers, name: string, xs: Float32Array, count: number, runtime: Lowbit, opts: LowerOptions = {}): Promise<{ y: Float32Array; dims: number[] }> {
  // only the nodes the value depends on: lowering later nodes would fuse into the steps before the cut
  const keep = new Set<OnnxNode>(), todo = [name];
  while (todo.length) { const n = producer.get(todo.pop()!); if (n && !keep.has(n)) { keep.add(n); todo.push(...n.inputs); } }
  const { plan } = lowerOnnx({ ...m, graph: { ...m.graph, nodes: m.graph.nodes.filter((n) => keep.has(n)), outputs: [{ name, dtype: 1, dims: undefined }] } }, opts);
  const eng = await Engine.load(encodeModel(plan), { runtime });
  try { return { y: eng.run(xs, count), dims: [...eng.outputShape] }; } finally { eng.dispose(); }
}

/** Per-channel (3 dims: [c, h, w]) or per-feature mean and mean square of `count` samples. */
function channelStats(y: Float32Array, dims: number[], count: number): InputStats {
  const per = y.length / count, c = dims.length === 3 ? dims[0] : per, inner = per / c;
  const mean = new Float64Array(c), sq = new Float64Array(c), n = count * inner;
  for (let i = 0; i < count; i++) for (let ch = 0; ch < c; ch++) for (let j = 0; j < inner; j++) { const v = y[i * per + ch * inner + j]; mean[ch] += v / n; sq[ch] += (v * v) / n; }
  return { mean, sq };
}

/** The activations to quantize: the graph input and every Relu / Clip output. */
function activationPoints(m: OnnxModel): string[] {
  const g = m.graph, input = g.inputs.find((v) => !g.initializers.has(v.name))!.name;
  return [input, ...g.nodes.filter((n) => n.op === 'Relu' || n.op === 'Clip').map((n) => n.outputs[0])];
}

export async function quantizeOnnx(bytes: Uint8Array, opts: QuantizeOptions, runtime: Lowbit): Promise<QuantizeResult> {
  checkOptions('quantizeOnnx', opts, ['calibration', 'count', 'wbits', 'abits', 'method', 'extra', 'actRange', 'biasCorrection', 'report', 'streamCodes']);
  const wbits = opts.wbits ?? 8, abits = opts.abits ?? 8, method = opts.method ?? 'mse';
  if (![8, 4, 2, 1].includes(wbits) || ![8, 4, 2].includes(abits)) throw new LowbitError('BAD_ARGUMENT', `wbits must be 8, 4, 2 or 1 and abits 8, 4 or 2, got ${wbits} and ${abits}`);
  if (method !== 'minmax' && method !== 'mse' && method !== 'multipoint') throw new LowbitError('BAD_ARGUMENT', `method must be minmax, mse or multipoint, got ${String(method)}`);
  const extra = opts.extra ?? 0.1;
  if (!(extra >= 0 && extra <= 1)) throw new LowbitError('BAD_ARGUMENT', `extra must be a fraction in [0, 1], got ${String(opts.extra)}`);
  checkInt('count', opts.count, 1, 1 << 20);
  const actRange = opts.actRange ?? (method === 'minmax' ? 'minmax' : 'mse');
  if (actRange !== 'minmax' && actRange !== 'mse' && actRange !== 'percentile') throw new LowbitError('BAD_ARGUMENT', `actRange must be minmax, mse or percentile, got ${String(opts.actRange)}`);
  enableImportedModels();
  const m = decodeOnnx(bytes), activations: NonNullable<LowerOptions['activations']> = new Map(), ranges: QuantizeResult['ranges'] = [];
  const points = activationPoints(m), producer = producers(m);
  // the float model cut at a value, run on the calibration samples (the input: the samples themselves), each value once
  const cuts = new Map<string, { y: Float32Array; dims: number[] }>();
  const calibrated = async (name: string) => {
    let r = cuts.get(name);
    if (!r) cuts.set(name, (r = name === points[0] ? { y: opts.calibration, dims: inputDims(m) } : await runCut(m, producer, name, opts.calibration, opts.count, runtime)));
    return r;
  };
  for (const name of points) {
    const xs = (await calibrated(name)).y;
    let min = Infinity, max = -Infinity;
    for (let i = 0; i < xs.length; i++) { min = Math.min(min, xs[i]); max = Math.max(max, xs[i]); } // calibration
    const signed = min < 0, top = signed ? 2 ** (abits - 1) - 1 : 2 ** abits - 1;
    const clip = actRange === 'percentile' ? percentileAbs(xs, 0.9999) : chooseClip(xs, 0, xs.length, top, signed ? -top : 0, top, actRange);
    const scale = clip / top;
    activations.set(name, { scale, zero: 0, bits: abits, signed });
    ranges.push({ name, min, max, scale, signed });
  }
  // every weight layer's input statistics (bias correction, the multipoint channel choice)
  const inputStats = new Map<string, InputStats>(), weightNodes = m.graph.nodes.filter((n) => WEIGHT_OPS.has(n.op));
  for (const n of weightNodes) {
    if (inputStats.has(n.inputs[0])) continue;
    // a flattened map has the statistics of its channels: measure before the Flatten / Reshape
    let name = n.inputs[0], p = producer.get(name);
    while (p && (p.op === 'Flatten' || p.op === 'Reshape')) { name = p.inputs[0]; p = producer.get(name); }
    const cut = await calibrated(name);
    inputStats.set(n.inputs[0], channelStats(cut.y, cut.dims, opts.count));
  }
  const weights = { bits: wbits, method, extra, inputStats, biasCorrection: opts.biasCorrection !== false };
  const { plan, report } = lowerOnnx(m, { weights, activations, streamCodes: opts.streamCodes });
  // each weight layer's output SNR: the float model against the quantized one, both cut there
  const snr: LayerSnr[] = [];
  if (opts.report !== false) {
    const k = Math.min(opts.count, 64), xs = opts.calibration.subarray(0, (opts.calibration.length / opts.count) * k);
    for (const n of weightNodes) {
      const out = n.outputs[0], f = (await runCut(m, producer, out, xs, k, runtime)).y, q = (await runCut(m, producer, out, xs, k, runtime, { weights, activations })).y;
      let sig = 0, noise = 0;
      for (let i = 0; i < f.length; i++) { sig += f[i] * f[i]; noise += (f[i] - q[i]) ** 2; }
      snr.push({ layer: n.name || n.op, output: out, snrDb: noise > 0 ? 10 * Math.log10(sig / noise) : Infinity });
    }
  }
  // the points per output channel of each weight layer (1, or 2 for multipoint channels)
  plan.meta = { source: 'onnx', ptq: { wbits, abits, method, actRange, biasCorrection: weights.biasCorrection, calibration: opts.count, ...(method === 'multipoint' ? { extra, points: report.points } : {}) }, floatNodes: report.floatNodes };
  return { model: encodeModel(plan), summary: report.lines, ranges, snr };
}

/** Per-sample dims of the graph input (without the batch axis). */
function inputDims(m: OnnxModel): number[] {
  const g = m.graph, v = g.inputs.find((i) => !g.initializers.has(i.name))!;
  return (v.dims ?? []).slice(1).map((d) => (d > 0 ? d : 1));
}

/** The q-quantile of |x| (a sort of a copy; calibration sets are small). */
function percentileAbs(xs: Float32Array, q: number): number {
  const a = Float32Array.from(xs, Math.abs).sort();
  return a[Math.min(a.length - 1, Math.floor(q * a.length))] || 1;
}
