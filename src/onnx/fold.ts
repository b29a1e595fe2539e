// Constant folding of ONNX nodes whose inputs are all constants: weight quantizers (keeping the
// quantizer's scale, so the layer that reads the weights gets integer codes), shape arithmetic,
// transposes and reshapes of weights, and arithmetic on constants.
import { DTYPE, type OnnxNode, type Tensor } from './decode.js';
import { attrInt, attrInts, attrStr, cannot } from './attrs.js';
import { roundingMode } from './quant.js';
import { concat, count, elementwise, expandTo, gather, makeTensor, reshapeDims, slice, transpose } from './tensor-ops.js';

/** A folded constant; `qscale` (broadcastable to it) when it is the output of a quantizer. */
export interface ConstValue { kind: 'const'; t: Tensor; qscale?: Tensor }

/** `t` with leading 1s up to `rank` dimensions (numpy broadcasting's view of it). */
export function padRank(t: Tensor, rank: number): Tensor {
  return t.dims.length >= rank ? t : makeTensor([...Array(rank - t.dims.length).fill(1), ...t.dims], t.data, t.dtype);
}

export function foldConst(node: OnnxNode, cs: (ConstValue | undefined)[], at: string): ConstValue | undefined {
  const T = (i: number) => cs[i]!.t;
  const f = (fn: (a: number, b: number) => number): ConstValue => ({ kind: 'const', t: elementwise(T(0), T(1), fn, at) });
  switch (node.op) {
    case 'Identity': case 'Dropout': return cs[0];
    case 'Add': return f((a, b) => a + b);
    case 'Sub': return f((a, b) => a - b);
    case 'Mul': return f((a, b) => a * b);
    case 'Div': return f((a, b) => (T(0).dtype === 1 || T(0).dtype === 11 ? a / b : Math.trunc(a / b)));
    case 'Pow': return f((a, b) => a ** b);
    case 'Sqrt': return { kind: 'const', t: { ...T(0), data: T(0).data.map(Math.sqrt) } };
    case 'Neg': return { kind: 'const', t: { ...T(0), data: T(0).data.map((v) => -v) } };
    case 'Cast': return { kind: 'const', t: { ...T(0), dtype: attrInt(node, 'to', 1) } };
    case 'Shape': return { kind: 'const', t: makeTensor([T(0).dims.length], Float64Array.from(T(0).dims), 7) };
    case 'Gather': return { kind: 'const', t: gather(T(0), T(1), attrInt(node, 'axis', 0)) };
    case 'Unsqueeze': case 'Squeeze': {
      const axes = attrInts(node, 'axes') ?? (cs[1] ? Array.from(T(1).data) : undefined);
      const d = [...T(0).dims];
      if (node.op === 'Unsqueeze') { const r = d.length + (axes?.length ?? 0); for (const a of [...(axes ?? [])].map((a) => (a < 0 ? a + r : a)).sort((x, y) => x - y)) d.splice(a, 0, 1); }
      else { const r = d.length; const rm = new Set((axes ?? d.map((v, i) => (v === 1 ? i : -1)).filter((i) => i >= 0)).map((a) => (a < 0 ? a + r : a))); return { kind: 'const', t: makeTensor(d.filter((_, i) => !rm.has(i)), T(0).data, T(0).dtype) }; }
      return { kind: 'const', t: makeTensor(d, T(0).data, T(0).dtype) };
    }
    case 'Concat': return { kind: 'const', t: concat(cs.map((c) => c!.t), attrInt(node, 'axis', 0), at) };
    case 'Reshape': case 'Flatten': {
      const d = T(0).dims, a = attrInt(node, 'axis', 1), ax = a < 0 ? a + d.length : a;
      const dims = node.op === 'Flatten' ? [count(d.slice(0, ax)), count(d.slice(ax))] : reshapeDims(d, Array.from(T(1).data), at, attrInt(node, 'allowzero', 0) === 1);
      // a single quantizer scale survives any reshape
      const qs = cs[0]!.qscale, keep = qs && qs.data.length === 1 ? makeTensor(dims.map(() => 1), qs.data) : undefined;
      return { kind: 'const', t: makeTensor(dims, T(0).data, T(0).dtype), qscale: keep };
    }
    case 'Transpose': {
      const perm = attrInts(node, 'perm');
      const qs = cs[0]!.qscale;
      return { kind: 'const', t: transpose(T(0), perm), qscale: qs ? transpose(qs, perm ?? [...Array(qs.dims.length).keys()].reverse()) : undefined };
    }
    case 'Slice': {
      const starts = Array.from(T(1).data), ends = Array.from(T(2).data);
      const axes = cs[3] ? Array.from(T(3).data) : starts.map((_, i) => i), st = cs[4] ? Array.from(T(4).data) : starts.map(() => 1);
      return { kind: 'const', t: slice(T(0), starts, ends, axes, st) };
    }
    case 'Quant': case 'IntQuant': {
      // one scale and zero point (the usual case) are read in place, not copied per element
      const w = T(0), scalar = T(1).data.length === 1 && T(2).data.length === 1, bits = T(3).data[0];
      const s = scalar ? T(1).data : expandTo(T(1), w.dims, at), z = scalar ? T(2).data : expandTo(T(2), w.dims, at), step = scalar ? 0 : 1;
      const signed = attrInt(node, 'signed', 1) === 1, narrow = attrInt(node, 'narrow', 0) === 1, round = roundingMode(attrStr(node, 'rounding_mode', 'ROUND'), at);
      if (!(bits >= 1 && bits <= 32)) throw cannot(at, `bit width ${bits} is outside 1..32`);
      const lo = signed ? -(2 ** (bits - 1)) + (narrow ? 1 : 0) : 0, hi = signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1 - (narrow ? 1 : 0);
      const data = new Float64Array(w.data.length), d = w.data;
      for (let i = 0, j = 0; i < d.length; i++, j += step) data[i] = (Math.min(hi, Math.max(lo, round(d[i] / s[j] + z[j]))) - z[j]) * s[j];
      // integer weights need a zero point of 0 (|q - z| then stays the code range)
      return { kind: 'const', t: { ...w, data, dtype: 1 }, qscale: padRank(T(1), w.dims.length) };
    }
    case 'QuantizeLinear': case 'DequantizeLinear': {
      const x = T(0), r = x.dims.length, ax0 = attrInt(node, 'axis', 1), ax = ax0 < 0 ? ax0 + r : ax0;
      // per-axis parameters: shaped to broadcast along `axis`
      const along = (t: Tensor | undefined) => (!t ? undefined : count(t.dims) === 1 ? makeTensor([], Float64Array.of(t.data[0]), t.dtype) : makeTensor(x.dims.map((d, i) => (i === ax ? count(t.dims) : 1)), t.data, t.dtype));
      const sT = along(T(1))!, zT = cs[2] ? along(T(2)) : undefined, s = expandTo(sT, x.dims, at), z = zT ? expandTo(zT, x.dims, at) : new Float64Array(x.data.length);
      if (node.op === 'DequantizeLinear') return { kind: 'const', t: makeTensor(x.dims, x.data.map((v, i) => (v - z[i]) * s[i])), qscale: padRank(sT, r) };
      const signed = zT?.dtype === DTYPE.INT8, lo = signed ? -128 : 0, hi = signed ? 127 : 255, round = roundingMode('ROUND', at);
      return { kind: 'const', t: makeTensor(x.dims, x.data.map((v, i) => Math.min(hi, Math.max(lo, round(v / s[i]) + z[i]))), signed ? DTYPE.INT8 : DTYPE.UINT8) };
    }
    case 'BipolarQuant': {
      const w = T(0), s = expandTo(T(1), w.dims, at);
      return { kind: 'const', t: { ...w, data: w.data.map((v, i) => (v >= 0 ? s[i] : -s[i])), dtype: 1 }, qscale: padRank(T(1), w.dims.length) };
    }
    default: return undefined;
  }
}
