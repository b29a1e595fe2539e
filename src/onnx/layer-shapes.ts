// Shapes and layouts of lowered layers: convolution geometry (pads, strides, 'same' / 'valid' for
// the integer steps), NCHW flattening kept as a permutation of NHWC memory, per-channel weight steps
// and weight packing.
import type { OnnxNode, Tensor } from './decode.js';
import { attrInt, attrInts, attrStr, cannot } from './attrs.js';

export type HWC = [number, number, number];
/**
 * An ONNX value's shape (`dims`) and how lowbit holds it: NHWC `shape`, `perm` for a flattened NCHW
 * value, DepthToSpace pending on the way out; `whole`: its ONNX dims where the whole input is one
 * sample and values are held flat (./whole-sample.ts); `nhwc`: 4-D dims in NHWC order ([1, h, w, c],
 * after a Transpose from NCHW), whose row-major order is the memory order.
 */
export interface Layout { dims: number[]; shape: HWC; perm?: Int32Array; d2s?: { block: number; mode: 'DCR' | 'CRD' }; whole?: number[]; nhwc?: true }

/**
 * A node's pads in the plan's order [top, bottom, left, right] (ONNX writes [top, left, bottom,
 * right]) for a window spanning spanH x spanW pixels with strides st on an h x w map: its `pads`,
 * or what auto_pad SAME_UPPER / SAME_LOWER / VALID asks for.
 */
function planPads(n: OnnxNode, h: number, w: number, spanH: number, spanW: number, st: number[], where: string): [number, number, number, number] {
  let pads = attrInts(n, 'pads') ?? [0, 0, 0, 0];
  const auto = attrStr(n, 'auto_pad', 'NOTSET');
  if (auto === 'SAME_UPPER' || auto === 'SAME_LOWER') {
    const total = (size: number, k: number, s: number) => Math.max(0, (Math.ceil(size / s) - 1) * s + k - size);
    const th = total(h, spanH, st[0]), tw = total(w, spanW, st[1]);
    const lo = (t: number) => (auto === 'SAME_UPPER' ? Math.floor(t / 2) : Math.ceil(t / 2));
    pads = [lo(th), lo(tw), th - lo(th), tw - lo(tw)];
  } else if (auto === 'VALID') pads = [0, 0, 0, 0];
  else if (auto !== 'NOTSET') throw cannot(where, `auto_pad ${auto} is not supported`);
  return [pads[0], pads[2], pads[1], pads[3]];
}

/** Plan-order pads as ONNX writes them, for messages. */
const onnxOrder = (P: number[]) => [P[0], P[2], P[1], P[3]].join(', ');

/** A pooling window: kernel, strides, pads [top, bottom, left, right] (the plan's order) and the output size. */
export interface PoolGeom { k: [number, number]; strides: [number, number]; pads: [number, number, number, number]; oh: number; ow: number }

/** MaxPool / AveragePool geometry on an h x w map (auto_pad included; ceil_mode and dilations other than 1 are refused). */
export function poolGeom(n: OnnxNode, h: number, w: number, where: string): PoolGeom {
  const k = attrInts(n, 'kernel_shape') ?? [], st = attrInts(n, 'strides') ?? [1, 1], dil = attrInts(n, 'dilations') ?? [1, 1];
  if (k.length !== 2 || st.length !== 2 || k.some((v) => !(v >= 1 && v <= 64)) || st.some((v) => !(v >= 1 && v <= 64))) throw cannot(where, 'pooling lowers for 2-D windows and strides of 1..64');
  if (attrInt(n, 'ceil_mode', 0) || dil.some((d) => d !== 1)) throw cannot(where, 'ceil_mode and dilations are not supported');
  const P = planPads(n, h, w, k[0], k[1], st, where);
  if (P.some((p, i) => !(p >= 0 && p < k[i < 2 ? 0 : 1]))) throw cannot(where, `pads [${onnxOrder(P)}] must be 4 values smaller than the ${k[0]}x${k[1]} window`);
  const oh = Math.floor((h + P[0] + P[1] - k[0]) / st[0]) + 1, ow = Math.floor((w + P[2] + P[3] - k[1]) / st[1]) + 1;
  if (oh < 1 || ow < 1) throw cannot(where, 'the pooling window is larger than the map');
  return { k: [k[0], k[1]], strides: [st[0], st[1]], pads: P, oh, ow };
}

export interface ConvGeom { k: [number, number]; strides: [number, number]; pads: [number, number, number, number]; dilations: [number, number]; groups: number; oh: number; ow: number; padding: 'same' | 'valid'; intOk: boolean }

export function convGeom(n: OnnxNode, [h, w, c]: HWC, wd: number[], where: string): ConvGeom {
  const [O, I, kh, kw] = wd, groups = attrInt(n, 'group', 1);
  if (I * groups !== c || O % groups) throw cannot(where, `weights [${wd.join(', ')}] with group ${groups} do not fit ${c} input channels`);
  const ks = attrInts(n, 'kernel_shape');
  if (ks && (ks[0] !== kh || ks[1] !== kw)) throw cannot(where, 'kernel_shape differs from the weights');
  const dil = attrInts(n, 'dilations') ?? [1, 1];
  if (dil.length !== 2 || dil.some((d) => !(d >= 1 && d <= 64))) throw cannot(where, `dilations [${dil.join(', ')}] must be two values in 1..64`);
  const st = attrInts(n, 'strides') ?? [1, 1];
  // a dilated kernel spans (k - 1) d + 1 pixels: the geometry is that of a kernel that size
  const spanH = (kh - 1) * dil[0] + 1, spanW = (kw - 1) * dil[1] + 1;
  const P = planPads(n, h, w, spanH, spanW, st, where);
  const oh = Math.floor((h + P[0] + P[1] - spanH) / st[0]) + 1, ow = Math.floor((w + P[2] + P[3] - spanW) / st[1]) + 1;
  if (oh < 1 || ow < 1) throw cannot(where, 'the convolution leaves no pixels');
  if (P.some((p, i) => p < 0 || p >= (i < 2 ? spanH : spanW)) || oh * ow * O > 1 << 24) throw cannot(where, `pads [${onnxOrder(P)}] must be smaller than the ${spanH}x${spanW} (dilated) kernel, and the output at most 16 M values`);
  // the integer steps run square kernels, equal strides, and TF-style 'same' or 'valid' padding
  const same = (size: number, k: number, s: number, a: number, b: number) => { const t = Math.max(0, (Math.ceil(size / s) - 1) * s + k - size); return a === Math.floor(t / 2) && b === t - Math.floor(t / 2); };
  const valid = P.every((p) => p === 0), isSame = same(h, kh, st[0], P[0], P[1]) && same(w, kw, st[1], P[2], P[3]);
  const depthwise = groups === c && O === c;
  // (dilated convs run on the float kernels)
  const intOk = kh === kw && st[0] === st[1] && (valid || isSame) && (groups === 1 || depthwise) && kh <= 15 && st[0] <= 8 && dil[0] === 1 && dil[1] === 1;
  return { k: [kh, kw], strides: [st[0], st[1]], pads: P, dilations: [dil[0], dil[1]], groups, oh, ow, padding: valid ? 'valid' : 'same', intOk };
}

/** New ONNX dims for a runtime value: same memory, NCHW flattening recorded as a permutation. */
export function reshapeLayout(lay: Layout, dims: number[], where: string): Layout {
  const [h, w, c] = lay.shape;
  if (lay.d2s) throw cannot(where, 'reshaping after DepthToSpace is not supported');
  if (lay.nhwc) { // NHWC dims: row-major order is memory order
    if (dims.length === 4) throw cannot(where, `reshaping an NHWC value [${lay.dims.join(', ')}] to 4-D is not supported`);
    return { dims, shape: lay.shape };
  }
  const orderFree = c === 1 || h * w === 1; // NHWC order equals NCHW order
  if (dims.length === 4) {
    if (lay.perm || !(orderFree || (lay.dims.length === 4 && dims[1] === lay.dims[1] && dims[2] === lay.dims[2]))) throw cannot(where, `reshaping [${lay.dims.join(', ')}] to [${dims.join(', ')}] is not supported`);
    return { dims, shape: [dims[2], dims[3], dims[1]] };
  }
  if (lay.dims.length === 4 && !orderFree) {
    // logical index (ch h + y) w + x lives at (y w + x) c + ch
    const perm = new Int32Array(h * w * c);
    for (let ch = 0; ch < c; ch++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) perm[(ch * h + y) * w + x] = (y * w + x) * c + ch;
    return { dims, shape: lay.shape, perm };
  }
  return { dims, shape: lay.shape, perm: lay.perm };
}

/** Bits of signed integer codes: the narrow range [-(2^(b-1) - 1), 2^(b-1) - 1] that holds them (at least 2). */
export function codeBits(q: Int8Array): number {
  let m = 0;
  for (const v of q) m = Math.max(m, Math.abs(v)); // import time
  return Math.max(2, Math.ceil(Math.log2(m + 1)) + 1);
}

/** One quantizer step per output channel (weights' axis `axis`), or undefined if the scale varies along another axis. */
export function channelSteps(qs: Tensor | undefined, axis: number, out: number): Float64Array | undefined {
  if (!qs) return undefined;
  if (qs.data.length === 1) return new Float64Array(out).fill(qs.data[0]);
  if (qs.dims.some((d, i) => i !== axis && d !== 1) || qs.dims[axis] !== out) return undefined;
  return Float64Array.from(qs.data);
}

/** +-1 weights [rows][c] as sign bits: rows of 2 ceil(c / 64) u32 words, bit j = channel j, 1 for +1. */
export function packBinaryRows(q: Int8Array, rows: number, c: number): Uint32Array {
  const per = 2 * Math.ceil(c / 64), out = new Uint32Array(rows * per);
  for (let r = 0; r < rows; r++) for (let j = 0; j < c; j++) if (q[r * c + j] > 0) out[r * per + (j >>> 5)] |= 1 << (j & 31); // import time
  return out;
}
