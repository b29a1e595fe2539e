// An SDP-trained classifier as a lowbit model file. The graph:
//   input (pixels / 255 or features) -> float dense: the projection x = diag(scale) B^T (p - mean)
//   -> quantize x to k-bit codes on one uniform grid: x ~ s (code - z), z = 2^(k-1)
//   -> the binary layer on the bit-serial xnor kernel: t_j = s (sum_k u_jk code_k - z sum_k u_jk)
//   -> the quadratic activation (a t + b) t + c -> float dense: the output weights alpha.
// One scale s for all features is what lets the +-1 weights act on integer codes directly.
import { LowbitError } from '../errors.js';
import { encodeModel } from '../infer/format.js';
import { enableImportedModels } from '../infer/imported.js';
import type { Plan, PlanNode, PlanStep } from '../infer/plan.js';
import type { SdpClassifier } from './classifier.js';
import type { Projection } from './features.js';

export interface SdpExportOptions {
  /** bits of the feature codes the binary layer reads (default 8) */
  bits?: number;
  /** |x| the code grid covers (features beyond it saturate); e.g. a high percentile of the training features */
  range: number;
  /** the model's per-sample input dims: [1, h, w] for gray images (NCHW), [P] for feature vectors */
  input: number[];
  classes?: string[];
  meta?: Record<string, unknown>;
}

/** The grid step of the feature codes. */
export function featureStep(range: number, bits: number): number { return range / (2 ** (bits - 1) - 0.5); }

export function sdpClassifierPlan(net: SdpClassifier, proj: Projection, o: SdpExportOptions): Plan {
  const bits = o.bits ?? 8, { d, m, classes } = net, P = proj.inputs;
  if (!Number.isInteger(bits) || bits < 2 || bits > 8) throw new LowbitError('BAD_ARGUMENT', `bits must be an integer in 2..8, got ${bits}`);
  if (!(o.range > 0 && Number.isFinite(o.range))) throw new LowbitError('BAD_ARGUMENT', `range must be a positive finite number, got ${o.range}`);
  if (proj.d !== d) throw new LowbitError('BAD_ARGUMENT', `the projection gives ${proj.d} features but the net takes ${d}`);
  if (o.input.reduce((a, b) => a * b, 1) !== P) throw new LowbitError('BAD_ARGUMENT', `input dims [${o.input.join(', ')}] do not hold the projection's ${P} inputs`);
  const names = o.classes ?? Array.from({ length: classes }, (_, c) => String(c));
  if (names.length !== classes) throw new LowbitError('BAD_ARGUMENT', `${names.length} class names for ${classes} classes`);
  // the projection as a float dense layer: weight [j][k] = scale_j B_kj, bias_j = -scale_j B_:j . mean
  const projW = new Float32Array(d * P), projB = new Float32Array(d);
  for (let j = 0; j < d; j++) {
    let b = 0;
    for (let k = 0; k < P; k++) { const w = proj.scale[j] * proj.basis[k * d + j]; projW[j * P + k] = w; b -= w * proj.mean[k]; }
    projB[j] = b;
  }
  // codes: code >= k iff x >= (k - z - 1/2) s
  const L = 2 ** bits - 1, z = 2 ** (bits - 1), s = featureStep(o.range, bits), thresholds = new Float32Array(d * L);
  for (let j = 0; j < d; j++) for (let k = 1; k <= L; k++) thresholds[j * L + k - 1] = (k - z - 0.5) * s;
  // binary weights: bit k of row j is 1 for u_jk = +1 (rows of 2 ceil(d / 64) words)
  const wpr = 2 * Math.ceil(d / 64), wBinary = new Uint32Array(m * wpr), bias = new Float32Array(m);
  for (let j = 0; j < m; j++) {
    let sum = 0;
    for (let k = 0; k < d; k++) { const u = net.neurons[j * d + k]; sum += u; if (u > 0) wBinary[j * wpr + (k >> 5)] |= 1 << (k & 31); }
    bias[j] = -s * z * sum;
  }
  const step: PlanStep = {
    kind: 'dense', h: 1, w: 1, c: d, out: m, k: 1, padding: 'valid', input: 'codes', inBits: bits, weights: 'binary', weightBits: 1,
    output: 'logits', outBits: 32, pool: 0, wBinary, scale: new Float32Array(m).fill(s), bias,
  };
  const dense = (out: number, weights: Float32Array, b: Float32Array): PlanNode => ({
    op: 'fstep', inputs: [0], kind: 'dense', out, k: [1, 1], strides: [1, 1], pads: [0, 0, 0, 0], groups: 1, relu: 0, weights, scale: new Float32Array(out).fill(1), bias: b,
  });
  const graph: PlanNode[] = [
    dense(d, projW, projB),
    { op: 'quantize', inputs: [1], output: 'codes', outBits: bits, thresholds, flip: new Uint8Array(d) },
    { op: 'step', inputs: [2], step: 0 },
    { op: 'fpoly', inputs: [3], coef: Float32Array.of(net.act.a, net.act.b, net.act.c) },
    { ...dense(classes, Float32Array.from(net.alpha), new Float32Array(classes)), inputs: [4] } as PlanNode,
  ];
  const nchw = o.input.length === 3;
  return {
    inputShape: nchw ? [o.input[1], o.input[2], o.input[0]] : [1, 1, P],
    classes: names, steps: [step], graph,
    io: { input: [...o.input], inputLayout: nchw ? 'nchw' : 'flat', output: [classes], outputLayout: 'flat' },
    meta: { source: 'sdp', projection: proj.method, d, neurons: m, featureBits: bits, featureRange: o.range, act: net.act, ...o.meta },
  };
}

/** The classifier as .lbm bytes (runs on the Engine from the 'lowbit' entry, like imported models). */
export function exportSdpClassifier(net: SdpClassifier, proj: Projection, o: SdpExportOptions): Uint8Array {
  enableImportedModels();
  return encodeModel(sdpClassifierPlan(net, proj, o));
}
