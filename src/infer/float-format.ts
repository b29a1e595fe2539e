// The float nodes and float input / output layouts of imported models in the model file: parsing
// and validation (./format.ts calls these once the 'lowbit' entry installs them).
import type { PlanIO, PlanNode } from './plan.js';
import { fconvSize, fpoolSize } from './plan.js';
import { bad, int, ints, oneOf, MAX_ACTIVATION, MAX_CHANNELS, MAX_DIM } from './header-fields.js';
import type { FloatFormat, ValueInfo } from './format.js';

function parseNode(op: string, r: Record<string, unknown>, inputs: number[], t: Record<string, unknown>, at: string): PlanNode {
  switch (op) {
    case 'fstep': {
      const k = ints(r.k, `${at}.k`, 1, 64, 2, 2), st = ints(r.strides, `${at}.strides`, 1, 64, 2, 2), p = ints(r.pads, `${at}.pads`, 0, 64, 4, 4);
      const d = r.dilations === undefined ? [1, 1] : ints(r.dilations, `${at}.dilations`, 1, 64, 2, 2);
      return { op, inputs: [inputs[0]], kind: oneOf(r.kind, `${at}.kind`, ['conv', 'dense'] as const), out: int(r.out, `${at}.out`, 1, MAX_CHANNELS),
        k: [k[0], k[1]], strides: [st[0], st[1]], pads: [p[0], p[1], p[2], p[3]], ...(d[0] * d[1] > 1 ? { dilations: [d[0], d[1]] as [number, number] } : {}), groups: int(r.groups, `${at}.groups`, 1, MAX_CHANNELS), relu: int(r.relu, `${at}.relu`, 0, 1) as 0 | 1,
        weights: (t.weights as Float32Array | undefined) ?? new Float32Array(0), scale: (t.scale as Float32Array | undefined) ?? new Float32Array(0), bias: (t.bias as Float32Array | undefined) ?? new Float32Array(0) };
    }
    case 'quantize':
      return { op, inputs: [inputs[0]], output: oneOf(r.output, `${at}.output`, ['codes'] as const), outBits: int(r.outBits, `${at}.outBits`, 1, 8),
        thresholds: (t.thresholds as Float32Array | undefined) ?? new Float32Array(0), flip: (t.flip as Uint8Array | undefined) ?? new Uint8Array(0) };
    case 'dequant':
      return { op, inputs: [inputs[0]], scale: (t.scale as Float32Array | undefined) ?? new Float32Array(0), bias: (t.bias as Float32Array | undefined) ?? new Float32Array(0) };
    case 'fmaxpool': case 'favgpool': {
      const k = ints(r.k, `${at}.k`, 1, MAX_DIM, 2, 2), st = ints(r.strides, `${at}.strides`, 1, MAX_DIM, 2, 2);
      const p = r.pads === undefined ? undefined : ints(r.pads, `${at}.pads`, 0, MAX_DIM, 4, 4);
      return { op, inputs: [inputs[0]], k: [k[0], k[1]], strides: [st[0], st[1]], ...(p ? { pads: [p[0], p[1], p[2], p[3]] as [number, number, number, number] } : {}),
        ...(op === 'favgpool' && r.countPads !== undefined ? { countPads: int(r.countPads, `${at}.countPads`, 1, 1) as 1 } : {}) };
    }
    case 'fadd': return { op, inputs };
    case 'softmax': return { op, inputs: [inputs[0]] };
    case 'fpoly': return { op, inputs: [inputs[0]], coef: (t.coef as Float32Array | undefined) ?? new Float32Array(0) };
    case 'scodes': {
      const k = ints(r.k, `${at}.k`, 1, 8, 2, 2);
      return { op, inputs: [inputs[0]], outBits: int(r.outBits, `${at}.outBits`, 1, 8), k: [k[0], k[1]] };
    }
    default: throw bad(`${at}: unknown op ${op}`);
  }
}

/** An imported model's input and output layouts. */
function parseIO(raw: unknown): PlanIO {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad('io must be an object');
  const r = raw as Record<string, unknown>;
  const io: PlanIO = {
    input: ints(r.input, 'io.input', 1, MAX_ACTIVATION, 1, 6), inputLayout: oneOf(r.inputLayout, 'io.inputLayout', ['nchw', 'flat'] as const),
    output: ints(r.output, 'io.output', 1, MAX_ACTIVATION, 1, 6), outputLayout: oneOf(r.outputLayout, 'io.outputLayout', ['nchw', 'flat'] as const),
  };
  if (r.depthToSpace !== undefined) {
    const d = r.depthToSpace as Record<string, unknown>;
    if (typeof d !== 'object' || d === null) throw bad('io.depthToSpace must be an object');
    io.depthToSpace = { block: int(d.block, 'io.depthToSpace.block', 1, 64), mode: oneOf(d.mode, 'io.depthToSpace.mode', ['DCR', 'CRD'] as const) };
  }
  return io;
}

const isFloat = (v: ValueInfo) => v.kind === 'float' || v.kind === 'logits';
const allFinite = (a: Float32Array) => a.every(Number.isFinite);

/** A float node against its inputs; returns what it outputs. */
function check(node: PlanNode, ins: ValueInfo[], need: (c: boolean, m: string) => void): ValueInfo {
  const n = node as Extract<PlanNode, { op: 'fstep' | 'quantize' | 'dequant' | 'fmaxpool' | 'favgpool' | 'fadd' | 'softmax' | 'fpoly' | 'scodes' }>;
  const [h, w, c] = ins[0].shape;
  need(n.op === 'fadd' ? n.inputs.length >= 2 : n.inputs.length === 1, n.op === 'fadd' ? 'adds two or more values' : 'reads one value');
  switch (n.op) {
    case 'fstep': {
      need(isFloat(ins[0]), 'reads a float value');
      need(allFinite(n.weights) && allFinite(n.scale) && allFinite(n.bias) && n.scale.length === n.out && n.bias.length === n.out, `scale and bias must hold ${n.out} finite values, weights finite`);
      if (n.kind === 'dense') {
        need(n.weights.length === n.out * h * w * c, `weights must hold ${n.out} x ${h * w * c} values`);
        return { shape: [1, 1, n.out], kind: 'float', bits: 32 };
      }
      need(c % n.groups === 0 && n.out % n.groups === 0, `groups ${n.groups} must divide ${c} input and ${n.out} output channels`);
      need(n.weights.length === n.out * n.k[0] * n.k[1] * (c / n.groups), `weights must hold ${n.out} x ${n.k[0]} x ${n.k[1]} x ${c / n.groups} values`);
      const [dh, dw] = n.dilations ?? [1, 1], sh = (n.k[0] - 1) * dh + 1, sw = (n.k[1] - 1) * dw + 1; // the dilated kernel's span
      need(n.pads[0] < sh && n.pads[1] < sh && n.pads[2] < sw && n.pads[3] < sw, 'pads must be smaller than the (dilated) kernel');
      const [oh, ow] = fconvSize(n, h, w);
      need(oh >= 1 && ow >= 1 && oh * ow * n.k[0] * n.k[1] * c <= MAX_ACTIVATION * 4, 'the conv leaves no pixels or is too large');
      return { shape: [oh, ow, n.out], kind: 'float', bits: 32 };
    }
    case 'quantize': {
      need(isFloat(ins[0]), 'quantizes a float value');
      const levels = 2 ** n.outBits - 1;
      need(n.thresholds.length === c * levels && !n.thresholds.some(Number.isNaN) && n.flip.length === c && n.flip.every((f) => f <= 1), `thresholds must hold ${c} x ${levels} values (not NaN) and flip ${c} values of 0 or 1`);
      return { shape: [h, w, c], kind: n.output, bits: n.outBits };
    }
    case 'dequant':
      need(ins[0].kind !== 'pixels' && ins[0].kind !== 'stream', 'reads codes, sign bits or floats');
      need(n.scale.length === c && n.bias.length === c && allFinite(n.scale) && allFinite(n.bias), `scale and bias must hold ${c} finite values`);
      return { shape: [h, w, c], kind: 'float', bits: 32 };
    case 'fmaxpool': case 'favgpool': {
      const [t, b, l, r] = n.pads ?? [0, 0, 0, 0];
      need(isFloat(ins[0]), 'pools a float value');
      need(t < n.k[0] && b < n.k[0] && l < n.k[1] && r < n.k[1], `pads [${n.pads?.join(', ')}] must be smaller than the ${n.k[0]}x${n.k[1]} window`);
      need(n.k[0] <= h + t + b && n.k[1] <= w + l + r, `window ${n.k[0]}x${n.k[1]} is larger than the ${h}x${w} input with its pads`);
      const [oh, ow] = fpoolSize(n, h, w);
      return { shape: [oh, ow, c], kind: 'float', bits: 32 };
    }
    case 'fadd':
      need(ins.every((x) => isFloat(x) && x.shape.every((d, k) => d === ins[0].shape[k])), 'adds float values of one shape');
      return { shape: [h, w, c], kind: 'float', bits: 32 };
    case 'softmax':
      need(isFloat(ins[0]), 'reads a float value');
      return { shape: [h, w, c], kind: 'float', bits: 32 };
    case 'scodes': {
      const k = n.k[0];
      need(ins[0].kind === 'stream' && n.k[1] === k && k <= h && k <= w, 'reads a stream; square pooling windows that fit');
      return { shape: [Math.floor(h / k), Math.floor(w / k), c], kind: 'codes', bits: n.outBits };
    }
    case 'fpoly':
      need(isFloat(ins[0]), 'reads a float value');
      need(n.coef.length === 3 && allFinite(n.coef), 'coef must hold 3 finite values [a, b, c]');
      return { shape: [h, w, c], kind: 'float', bits: 32 };
  }
}

/** An imported model's layouts against its first and last values. */
function checkIO(io: PlanIO, inShape: readonly number[], outShape: readonly number[]): void {
  const count = (d: readonly number[]) => d.reduce((a, b) => a * b, 1);
  if (count(io.input) !== count(inShape)) throw bad(`io.input [${io.input.join(', ')}] does not hold the ${inShape.join('x')} input`);
  if (io.inputLayout === 'nchw' && (io.input.length !== 3 || io.input[0] !== inShape[2] || io.input[1] !== inShape[0] || io.input[2] !== inShape[1])) throw bad(`io.input [${io.input.join(', ')}] is not [c, h, w] of the ${inShape.join('x')} input`);
  let [h, w, c] = outShape;
  if (io.depthToSpace) {
    const b = io.depthToSpace.block;
    if (c % (b * b)) throw bad(`io.depthToSpace: ${c} channels do not split into blocks of ${b}x${b}`);
    [h, w, c] = [h * b, w * b, c / (b * b)];
  }
  if (count(io.output) !== h * w * c) throw bad(`io.output [${io.output.join(', ')}] does not hold the ${h}x${w}x${c} output`);
  if (io.outputLayout === 'nchw' && (io.output.length !== 3 || io.output[0] !== c || io.output[1] !== h || io.output[2] !== w)) throw bad(`io.output [${io.output.join(', ')}] is not [c, h, w] of the ${h}x${w}x${c} output`);
}


export const floatFormat: FloatFormat = {
  tensors: { fstep: { weights: 'f32', scale: 'f32', bias: 'f32' }, quantize: { thresholds: 'f32', flip: 'u8' }, dequant: { scale: 'f32', bias: 'f32' }, fmaxpool: {}, favgpool: {}, fadd: {}, softmax: {}, fpoly: { coef: 'f32' }, scodes: {} },
  parseNode, parseIO, check, checkIO,
};
