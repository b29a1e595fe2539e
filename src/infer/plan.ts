// The integer-only inference plan: what `compile` produces, the model file stores and the Engine
// runs. Every step is a weight layer (conv or dense) with integer weights and an integer output
// step; the only floats are the last layer's per-class scale and bias for the logits. A chain plan
// runs its steps in order; a graph plan (`graph`) runs nodes over values, where a node is a step or
// an integer op on residual streams (int32 fixed point, real = q 2^e / D), see docs/graph.md.

import type { IntNode } from './nodes/registry.js';

/** What flows between steps: raw u8 pixels, unsigned activation codes (u8, `bits` wide), or packed sign bits. */
export type ActKind = 'pixels' | 'codes' | 'bits';

export interface PlanStep {
  kind: 'conv' | 'dense';
  /** conv: input height, width, channels; dense: in = input size (h = w = 1, c = in) */
  h: number; w: number; c: number;
  /** output channels (filters or units) */
  out: number;
  /** conv kernel size (square); 1 for dense */
  k: number;
  /** conv stride (default 1) */
  stride?: number;
  /** 1 (default), or c = out: a depthwise conv (u8 pixels / codes input, int8 weights [c][k][k]) */
  groups?: number;
  padding: 'same' | 'valid';
  input: ActKind;
  /** bits of the input codes (8 for pixels, 1 for bits) */
  inBits: number;
  /** 'binary': +-1 weights, bitpacked; 'int8': integer codes q (|q| <= 127) */
  weights: 'binary' | 'int8';
  /** bits of the trained weights (1 for binary; 2..8 for int8 codes) */
  weightBits: number;
  /** output step: codes through per-channel thresholds, sign bits, float logits, or an int32 stream */
  output: 'codes' | 'bits' | 'logits' | 'stream';
  /** bits of the output codes (1 for bits) */
  outBits: number;
  /** k x k max pooling after the output step (0: none) */
  pool: number;
  // tensors
  /** binary: [out][k][k] pixels of 2 * ceil(c / 64) u32 words (dense: one pixel of `c` channels); int8: [out][k][k][c] */
  wBinary?: Uint32Array;
  wInt8?: Int8Array;
  /** int8 weights stored shifted (8-bit trained affine codes span up to 511 values): the code is wInt8 - wZero[out channel] */
  wZero?: Int8Array;
  /** zero point of the input codes (trained affine activations): the kernel multiplies (code - inZero), and 'same' pads with it */
  inZero?: number;
  /** codes: [out][2^outBits - 1] ascending thresholds (flip 0) or descending (flip 1); bits: [out] */
  thresholds?: Int32Array;
  flip?: Uint8Array;
  /** logits: logit[c] = scale[c] * acc[c] + bias[c] */
  scale?: Float32Array;
  bias?: Float32Array;
  /** stream: q[c] = (acc[c] * mult[c] + addend[c]) >> streamShift, addend integers below 2^62 */
  mult?: Int32Array;
  addend?: Float64Array;
  streamShift?: number;
}

/** What a graph plan's value holds: u8 pixels or codes, packed sign bits, int32 streams, float logits, float32 maps. */
export type ValueKind = 'pixels' | 'codes' | 'bits' | 'stream' | 'logits' | 'float';

/**
 * A node of a graph plan. Values are numbered: 0 the input pixels, node i's output i + 1.
 *   step       a weight layer (plan.steps[step]) on one pixels / codes / bits value
 * The integer node kinds (residual add, average pooling, concat, thresholds, requantization, PReLU)
 * live one file each in ./nodes/ (listed in ./nodes/registry.ts), with their semantics.
 * Float nodes (imported models: a float first layer, float models, the output):
 *   fstep      float conv ([out][kh][kw][c / groups] weights, pads [top, bottom, left, right], dilations) or dense
 *              ([out][h w c] weights over the flattened input); y = scale[o] acc + bias[o], ReLU if relu
 *   quantize   float to codes: code = #{k : x >= T_k} (flip 0) or #{k : x < T_k} (flip 1)
 *   dequant    codes, sign bits (+-1), streams or floats to float: y = scale[c] x + bias[c]
 *   fmaxpool   float max over kh x kw windows with strides; optional pads [top, bottom, left, right] (taps
 *              there are skipped)
 *   favgpool   float mean over kh x kw windows with strides; with pads, over the taps inside the map, or
 *              over all kh kw taps (pads as 0) when countPads is 1
 *   fadd       float sum of two or more maps
 *   softmax    float softmax over channels
 *   fpoly      float quadratic activation, elementwise: y = (a x + b) x + c, coef = [a, b, c]
 *   scodes     a requantized stream to codes: k x k max pool (stride k; k = 1: none), then clamp to [0, 2^outBits - 1]
 */
export type PlanNode =
  | { op: 'step'; inputs: [number]; step: number }
  | IntNode
  | { op: 'fstep'; inputs: [number]; kind: 'conv' | 'dense'; out: number; k: [number, number]; strides: [number, number]; pads: [number, number, number, number]; dilations?: [number, number]; groups: number; relu: 0 | 1; weights: Float32Array; scale: Float32Array; bias: Float32Array }
  | { op: 'quantize'; inputs: [number]; output: 'codes'; outBits: number; thresholds: Float32Array; flip: Uint8Array }
  | { op: 'dequant'; inputs: [number]; scale: Float32Array; bias: Float32Array }
  | { op: 'fmaxpool'; inputs: [number]; k: [number, number]; strides: [number, number]; pads?: [number, number, number, number] }
  | { op: 'favgpool'; inputs: [number]; k: [number, number]; strides: [number, number]; pads?: [number, number, number, number]; countPads?: 1 }
  | { op: 'fadd'; inputs: number[] }
  | { op: 'softmax'; inputs: [number] }
  | { op: 'fpoly'; inputs: [number]; coef: Float32Array }
  | { op: 'scodes'; inputs: [number]; outBits: number; k: [number, number] };

/**
 * How an imported model meets its caller: float input in the source model's layout, float output
 * in its layout. Inside, values are NHWC; value 0 is the float input.
 */
export interface PlanIO {
  /** per-sample input dims as the source model states them, e.g. [1, 28, 28] (NCHW) or [600] */
  input: number[];
  /** 'nchw': input dims are [c, h, w]; 'flat': any dims, read in order */
  inputLayout: 'nchw' | 'flat';
  /** per-sample output dims as the source model states them */
  output: number[];
  /** 'nchw': the last value's [h, w, c] leaves as [c, h, w]; 'flat': in order */
  outputLayout: 'nchw' | 'flat';
  /** DepthToSpace on the way out: block size and mode ('DCR' or 'CRD'); output is then [c / b^2, h b, w b] */
  depthToSpace?: { block: number; mode: 'DCR' | 'CRD' };
}

export interface Plan {
  /** [height, width, channels] of the input pixels (the first input's, with several) */
  inputShape: [number, number, number];
  /** a model of several inputs: each one's [h, w, c] of u8 pixels; they are values 0..k-1 and node i's output is k + i */
  inputs?: [number, number, number][];
  /** the values the model returns, each logits, when that is not just the last value */
  outputs?: number[];
  classes: string[];
  steps: PlanStep[];
  /** a graph plan's nodes (absent: the steps run as a chain) */
  graph?: PlanNode[];
  /** imported models: float input and output in the source model's layout (absent: u8 pixels in, logits out) */
  io?: PlanIO;
  /** free-form: architecture, bit widths, training provenance */
  meta: Record<string, unknown>;
}

/** Every input's [height, width, channels]. */
export const planInputs = (plan: Plan) => plan.inputs ?? [plan.inputShape];

/** A plan's nodes: its graph, or for a chain plan the graph whose node i runs step i on value i. */
export function planGraph(plan: Plan): PlanNode[] {
  return plan.graph ?? plan.steps.map((_, i) => ({ op: 'step', inputs: [i], step: i }));
}

/** [oh, ow] of a step's layer before pooling ('same': ceil(h / stride); dense: [1, 1]). */
export function stepConvSize(s: PlanStep): [number, number] {
  if (s.kind === 'dense') return [1, 1];
  const st = s.stride ?? 1;
  return s.padding === 'same' ? [Math.ceil(s.h / st), Math.ceil(s.w / st)] : [Math.floor((s.h - s.k) / st) + 1, Math.floor((s.w - s.k) / st) + 1];
}

/** Output shape [h, w, c] of a step (after its pooling). */
export function stepOutputShape(s: PlanStep): [number, number, number] {
  const [oh, ow] = stepConvSize(s);
  return s.pool ? [Math.floor(oh / s.pool), Math.floor(ow / s.pool), s.out] : [oh, ow, s.out];
}

/** Output height and width of a float pooling node (pads [top, bottom, left, right], none by default). */
export function fpoolSize(n: Extract<PlanNode, { op: 'fmaxpool' | 'favgpool' }>, h: number, w: number): [number, number] {
  const [t, b, l, r] = n.pads ?? [0, 0, 0, 0];
  return [Math.floor((h + t + b - n.k[0]) / n.strides[0]) + 1, Math.floor((w + l + r - n.k[1]) / n.strides[1]) + 1];
}

/** [oh, ow] of a float conv node: floor((h + pads - span) / stride) + 1, span = (k - 1) dilation + 1. */
export function fconvSize(n: Extract<PlanNode, { op: 'fstep' }>, h: number, w: number): [number, number] {
  const [dh, dw] = n.dilations ?? [1, 1];
  return [Math.floor((h + n.pads[0] + n.pads[1] - (n.k[0] - 1) * dh - 1) / n.strides[0]) + 1, Math.floor((w + n.pads[2] + n.pads[3] - (n.k[1] - 1) * dw - 1) / n.strides[1]) + 1];
}
