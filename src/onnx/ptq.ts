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
import { decodeOnnx, type OnnxModel } from './decode.js';
import { lowerOnnx, type LowerOptions } from './lower.js';
import { chooseClip } from './ptq-weights.js';

export interface QuantizeOptions {
  /** calibration inputs: `count` samples in the model's input layout */
  calibration: Float32Array;
  count: number;
  wbits?: 8 | 4 | 2;
  abits?: 8 | 4 | 2;
  /** weight and activation ranges: max |x| (minmax) or the least squared error (mse, the default); multipoint: mse plus a second weight point on the channels with the largest error */
  method?: 'minmax' | 'mse' | 'multipoint';
  /** multipoint: the fraction of output channels that get a second point (the extra MACs), default 0.1 */
  extra?: number;
}

export interface QuantizeResult { model: Uint8Array; summary: string[]; ranges: { name: string; min: number; max: number; scale: number; signed: boolean }[] }

/** The activations to quantize: the graph input and every Relu / Clip output. */
function activationPoints(m: OnnxModel): string[] {
  const g = m.graph, input = g.inputs.find((v) => !g.initializers.has(v.name))!.name;
  return [input, ...g.nodes.filter((n) => n.op === 'Relu' || n.op === 'Clip').map((n) => n.outputs[0])];
}

export async function quantizeOnnx(bytes: Uint8Array, opts: QuantizeOptions, runtime: Lowbit): Promise<QuantizeResult> {
  checkOptions('quantizeOnnx', opts, ['calibration', 'count', 'wbits', 'abits', 'method', 'extra']);
  const wbits = opts.wbits ?? 8, abits = opts.abits ?? 8, method = opts.method ?? 'mse';
  if (![8, 4, 2].includes(wbits) || ![8, 4, 2].includes(abits)) throw new LowbitError('BAD_ARGUMENT', `wbits and abits must be 8, 4 or 2, got ${wbits} and ${abits}`);
  if (method !== 'minmax' && method !== 'mse' && method !== 'multipoint') throw new LowbitError('BAD_ARGUMENT', `method must be minmax, mse or multipoint, got ${String(method)}`);
  const extra = opts.extra ?? 0.1;
  if (!(extra >= 0 && extra <= 1)) throw new LowbitError('BAD_ARGUMENT', `extra must be a fraction in [0, 1], got ${String(opts.extra)}`);
  checkInt('count', opts.count, 1, 1 << 20);
  enableImportedModels();
  const m = decodeOnnx(bytes), activations: NonNullable<LowerOptions['activations']> = new Map(), ranges: QuantizeResult['ranges'] = [];
  const points = activationPoints(m);
  for (const name of points) {
    // the float model cut at this activation, run on the calibration samples (the input: the samples)
    let xs = opts.calibration;
    if (name !== points[0]) {
      const { plan } = lowerOnnx({ ...m, graph: { ...m.graph, outputs: [{ name, dtype: 1, dims: undefined }] } });
      const eng = await Engine.load(encodeModel(plan), { runtime });
      xs = eng.run(opts.calibration, opts.count);
      eng.dispose();
    }
    let min = Infinity, max = -Infinity;
    for (let i = 0; i < xs.length; i++) { min = Math.min(min, xs[i]); max = Math.max(max, xs[i]); } // calibration
    const signed = min < 0, top = signed ? 2 ** (abits - 1) - 1 : 2 ** abits - 1;
    const clip = chooseClip(xs, 0, xs.length, top, signed ? -top : 0, top, method === 'minmax' ? 'minmax' : 'mse');
    const scale = clip / top;
    activations.set(name, { scale, zero: 0, bits: abits, signed });
    ranges.push({ name, min, max, scale, signed });
  }
  const { plan, report } = lowerOnnx(m, { weights: { bits: wbits, method, extra }, activations });
  // the points per output channel of each weight layer (1, or 2 for multipoint channels)
  plan.meta = { source: 'onnx', ptq: { wbits, abits, method, calibration: opts.count, ...(method === 'multipoint' ? { extra, points: report.points } : {}) }, floatNodes: report.floatNodes };
  return { model: encodeModel(plan), summary: report.lines, ranges };
}
