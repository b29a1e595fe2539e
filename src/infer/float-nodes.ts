// Runners of a graph plan's float nodes (./plan.ts): float conv / dense layers, float-to-code
// quantization, dequantization, max pooling, sums, softmax and a quadratic activation. They serve imported models: a float
// first layer, the float ops around the integer layers, and float models. Kernels:
// assembly/float-graph.ts, assembly/im2col.ts, assembly/float.ts, assembly/pool.ts.
import type { PlanNode } from './plan.js';
import { fconvSize, fpoolSize } from './plan.js';
import type { Resident } from './resident.js';
import type { RunBuffer, NodeRunner, ValueInfo } from './nodes/node-op.js';

type Shape = readonly [number, number, number];
export type FloatNode = Extract<PlanNode, { op: 'fstep' | 'quantize' | 'dequant' | 'fmaxpool' | 'favgpool' | 'fadd' | 'softmax' | 'fpoly' | 'scodes' }>;

/** sgemm's packed path pays from this many rows (src/kernels/sgemm.ts) */
const PACK_MIN_ROWS = 4;

/** The float32 just above v (v itself at +Infinity). */
function nextUp(v: number): number {
  const f = new Float32Array([v]), i = new Int32Array(f.buffer);
  if (Number.isNaN(f[0]) || f[0] === Infinity) return f[0];
  if (f[0] === 0) return 2 ** -149;
  i[0] += f[0] > 0 ? 1 : -1;
  return f[0];
}

/** The runner of a float node reading values `ins`, writing its output into `out`. */
export function makeFloatNodeRunner(r: Resident, any: PlanNode, ins: ValueInfo[], out: RunBuffer): NodeRunner {
  const node = any as FloatNode;
  const wasm = r.heap.wasm, [h, w, c] = ins[0].shape, pixels = h * w;
  switch (node.op) {
    case 'fstep': return fstepRunner(r, node, ins[0].shape, out);
    case 'quantize': {
      // flipped channels: "x < T" is "-x >= the float above -T"
      const L = 2 ** node.outBits - 1, thr = new Float32Array(L * c), sign = new Float32Array(c);
      for (let ch = 0; ch < c; ch++) {
        const f = node.flip[ch] === 1;
        sign[ch] = f ? -1 : 1;
        for (let k = 0; k < L; k++) { const t = node.thresholds[ch * L + k]; thr[k * c + ch] = f ? nextUp(-t) : t; }
      }
      const pt = r.put(thr), ps = r.put(sign);
      if (c === 1) {
        // one channel (a gray image, flat features): every value shares the thresholds, 16 values a step
        const pt1 = r.put(thr.subarray(0, L));
        return (xs, n) => { const y = out(n * pixels); wasm.thresholdUniformF32(xs[0], n * pixels, pt1, L, sign[0], y); return y; };
      }
      return (xs, n) => { const y = out(n * pixels * c); wasm.multiThresholdF32(xs[0], n * pixels, c, pt, L, ps, y); return y; };
    }
    case 'dequant': {
      const kind = ins[0].kind;
      if (kind === 'float' || kind === 'logits') {
        const ps = r.put(node.scale), pb = r.put(node.bias);
        return (xs, n) => { const y = out(n * pixels * c * 4); wasm.scaleBiasF32(xs[0], n * pixels, c, ps, pb, 0, y); return y; };
      }
      // sign bits unpack to 0 / 1 bytes standing for -1 / +1: y = 2 scale b + (bias - scale)
      const bits = kind === 'bits', bytes = bits ? r.slot('u8') : undefined, words = 2 * Math.ceil(c / 64);
      const ps = r.put(bits ? node.scale.map((s) => 2 * s) : node.scale), pb = r.put(bits ? node.bias.map((b, i) => b - node.scale[i]) : node.bias);
      return (xs, n) => {
        let x = xs[0];
        if (bytes) { x = bytes(n * pixels * c); wasm.unpackBitsU8(xs[0], n * pixels, words, c, 1, x); }
        const y = out(n * pixels * c * 4);
        wasm.dequantU8(x, n * pixels, c, ps, pb, y);
        return y;
      };
    }
    case 'fmaxpool': case 'favgpool': {
      const [kh, kw] = node.k, [sh, sw] = node.strides, [oh, ow] = fpoolSize(node, h, w), max = node.op === 'fmaxpool';
      if (!node.pads && max && kh === kw && sh === kh && sw === kh) { // square windows, stride = window: the training kernel
        const arg = r.slot('arg');
        return (xs, n) => { const y = out(n * oh * ow * c * 4); wasm.maxPoolForward(xs[0], n, h, w, c, kh, kh, oh, ow, y, arg(n * oh * ow * c * 4)); return y; };
      }
      if (!node.pads && !max) return (xs, n) => { const y = out(n * oh * ow * c * 4); wasm.avgPoolForward(xs[0], n, h, w, c, kh, kw, sh, sw, oh, ow, y); return y; };
      const [padT, , padL] = node.pads ?? [0, 0, 0, 0], mode = max ? 0 : node.op === 'favgpool' && node.countPads ? 2 : 1;
      return (xs, n) => { const y = out(n * oh * ow * c * 4); wasm.poolPadF32(xs[0], n, h, w, c, kh, kw, sh, sw, padT, padL, oh, ow, mode, y); return y; };
    }
    case 'fadd': {
      const per = pixels * c;
      return (xs, n) => {
        const y = out(n * per * 4);
        wasm.addF32(xs[0], xs[1], y, n * per);
        for (let i = 2; i < xs.length; i++) wasm.addF32(y, xs[i], y, n * per);
        return y;
      };
    }
    case 'softmax': {
      const ones = r.put(new Float32Array(c).fill(1)), zeros = r.put(new Float32Array(c));
      return (xs, n) => { const y = out(n * pixels * c * 4); wasm.scaleBiasF32(xs[0], n * pixels, c, ones, zeros, 0, y); wasm.softmaxRowsF32(y, n * pixels, c); return y; };
    }
    case 'scodes': {
      // max pooling commutes with the clamp (both monotone), so the int32 values pool first
      const k = node.k[0], oh = Math.floor(h / k), ow = Math.floor(w / k), hi = 2 ** node.outBits - 1, pooled = r.slot('pool'), ones = r.put(new Int32Array(c).fill(1));
      return (xs, n) => {
        let x = xs[0];
        if (k > 1) { x = pooled(n * oh * ow * c * 4); wasm.maxPoolSignedI32(xs[0], n, h, w, c, k, ones, oh, ow, x); }
        const y = out(n * oh * ow * c);
        wasm.clampI32ToU8(x, n * oh * ow * c, hi, y);
        return y;
      };
    }
    case 'fpoly': {
      const [a, b, q] = node.coef;
      return (xs, n) => { const y = out(n * pixels * c * 4); wasm.polyF32(xs[0], n * pixels * c, a, b, q, y); return y; };
    }
  }
}

/** A float conv (im2col per group, then sgemm, band by band) or dense layer, with its scale, bias and ReLU. */
function fstepRunner(r: Resident, node: Extract<PlanNode, { op: 'fstep' }>, [h, w, c]: Shape, out: RunBuffer): NodeRunner {
  const wasm = r.heap.wasm, col = r.slot('col'), part = r.slot('fpart'), scratch = r.scratch(128);
  const dense = node.kind === 'dense', G = dense ? 1 : node.groups, cg = dense ? h * w * c : c / G, og = node.out / G;
  const [kh, kw] = dense ? [1, 1] : node.k, K = kh * kw * cg, dil = node.dilations ?? [1, 1];
  const [oh, ow] = dense ? [1, 1] : fconvSize(node, h, w);
  const direct = dense || (kh === 1 && kw === 1 && node.strides[0] === 1 && node.strides[1] === 1 && node.pads.every((p) => p === 0) && G === 1);
  // per group: W^T [K][og] for row-at-a-time sgemm, and its packed form for the blocked path
  const wt: number[] = [], packed: number[] = [];
  for (let g = 0; g < G; g++) {
    const t = new Float32Array(K * og);
    for (let o = 0; o < og; o++) for (let k = 0; k < K; k++) t[k * og + o] = node.weights[(g * og + o) * K + k]; // load time
    const pt = r.put(t);
    wt.push(pt);
    packed.push(r.fill(Math.ceil(og / 8) * 8 * K * 4, (p) => wasm.sgemmPackB(pt, K, og, p)));
  }
  const ps = r.put(node.scale), pb = r.put(node.bias);
  const gemm = (a: number, g: number, m: number, y: number) => {
    if (m < PACK_MIN_ROWS) wasm.sgemmRows(a, wt[g], m, og, K, y);
    else wasm.sgemmPacked(a, packed[g], m, og, K, y, scratch);
  };
  // bands of patches as the integer convs cut theirs (assembly/affineconv.ts affineConvBandRows: at most
  // 256 KB, whole images when one fits, else output rows of one image), still in cache when the product reads them
  const [sh, sw] = node.strides, imageBytes = h * w * c * 4, bandPixels = dense ? 0 : wasm.affineConvBandRows(1 << 20, oh, ow, K * 4);
  const imagesPerBand = Math.floor(bandPixels / (oh * ow)), rowsPerBand = bandPixels / ow;
  const band = (x: number, images: number, top: number, rows: number, y: number) => {
    const m = images * rows * ow, cb = col(m * K * 4), tmp = G > 1 ? part(m * og * 4) : y;
    for (let g = 0; g < G; g++) {
      wasm.im2colSliceF32(x, images, h, w, c, g * cg, cg, kh, kw, sh, sw, node.pads[0] - top * sh, node.pads[2], rows, ow, cb, dil[0], dil[1]);
      gemm(cb, g, m, tmp);
      if (G > 1) wasm.copyChannels(tmp, m, og, y, node.out, g * og);
    }
  };
  const outImage = oh * ow * node.out * 4;
  return (xs, n) => {
    const m = n * oh * ow, y = out(m * node.out * 4);
    if (direct) gemm(xs[0], 0, m, y);
    else if (imagesPerBand >= 1) {
      for (let i = 0; i < n; i += imagesPerBand) band(xs[0] + i * imageBytes, Math.min(imagesPerBand, n - i), 0, oh, y + i * outImage);
    } else {
      for (let i = 0; i < n; i++) {
        for (let top = 0; top < oh; top += rowsPerBand) band(xs[0] + i * imageBytes, 1, top, Math.min(rowsPerBand, oh - top), y + i * outImage + top * ow * node.out * 4);
      }
    }
    wasm.scaleBiasF32(y, m, node.out, ps, pb, node.relu, y);
    return y;
  };
}
