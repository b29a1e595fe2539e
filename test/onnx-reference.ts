// An independent evaluator of ONNX / QONNX graphs for the import tests: protobufjs decodes the
// file against ONNX's own schema (test/models/onnx/onnx.proto), and a plain float64 interpreter
// runs the nodes in NCHW exactly as the ONNX and QONNX operator definitions state them. It shares
// no code with lowbit's importer.
import protobuf from 'protobufjs';
import { fileURLToPath } from 'node:url';

const root = protobuf.loadSync(fileURLToPath(new URL('./models/onnx/onnx.proto', import.meta.url)));
const ModelProto = root.lookupType('onnx.ModelProto'), TensorProto = root.lookupType('onnx.TensorProto');

export interface T { dims: number[]; data: Float64Array }
type Attrs = Record<string, unknown>;
interface Node { op: string; inputs: string[]; outputs: string[]; attrs: Attrs }
export interface RefModel { nodes: Node[]; inits: Map<string, T>; input: string; output: string; folded?: Map<string, T> }

const size = (d: number[]) => d.reduce((a, b) => a * b, 1);
const num = (v: unknown) => (typeof v === 'object' && v !== null && 'toNumber' in v ? (v as { toNumber(): number }).toNumber() : Number(v));

function tensorOf(t: Record<string, unknown>): T {
  const dims = ((t.dims as unknown[]) ?? []).map(num), n = size(dims), type = num(t.dataType);
  const raw = t.rawData as Uint8Array | undefined;
  let data: Float64Array;
  if (raw && raw.length) {
    const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    data = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      data[i] = type === 1 ? dv.getFloat32(i * 4, true) : type === 7 ? Number(dv.getBigInt64(i * 8, true)) : type === 6 ? dv.getInt32(i * 4, true)
        : type === 11 ? dv.getFloat64(i * 8, true) : type === 3 ? dv.getInt8(i) : type === 2 ? dv.getUint8(i) : NaN;
    }
  } else {
    const list = (t.floatData as number[])?.length ? t.floatData : (t.int64Data as unknown[])?.length ? t.int64Data : (t.int32Data as unknown[])?.length ? t.int32Data : (t.doubleData as unknown[]) ?? [];
    data = Float64Array.from((list as unknown[]).map(num));
  }
  if (data.length !== n) throw new Error(`reference: tensor ${String(t.name)} has ${data.length} values for [${dims.join(', ')}]`);
  return { dims, data };
}

function attrsOf(list: Record<string, unknown>[]): Attrs {
  const out: Attrs = {};
  for (const a of list ?? []) {
    const type = num(a.type);
    out[a.name as string] = type === 1 ? a.f : type === 2 ? num(a.i) : type === 3 ? new TextDecoder().decode(a.s as Uint8Array) : type === 4 ? tensorOf(a.t as Record<string, unknown>)
      : type === 6 ? (a.floats as number[]) : type === 7 ? (a.ints as unknown[]).map(num) : undefined;
  }
  return out;
}

export function loadReference(bytes: Uint8Array): RefModel {
  const m = ModelProto.toObject(ModelProto.decode(bytes), { longs: Number, bytes: Uint8Array, defaults: false }) as Record<string, unknown>;
  const g = m.graph as Record<string, unknown>;
  const inits = new Map<string, T>();
  for (const t of (g.initializer as Record<string, unknown>[]) ?? []) inits.set(t.name as string, tensorOf(t));
  const nodes = ((g.node as Record<string, unknown>[]) ?? []).map((n) => ({ op: n.opType as string, inputs: (n.input as string[]) ?? [], outputs: (n.output as string[]) ?? [], attrs: attrsOf(n.attribute as Record<string, unknown>[]) }));
  const input = ((g.input as { name: string }[]) ?? []).map((v) => v.name).find((name) => !inits.has(name))!;
  return { nodes, inits, input, output: (g.output as { name: string }[])[0].name };
}

export function decodeTensorRef(bytes: Uint8Array): T {
  return tensorOf(TensorProto.toObject(TensorProto.decode(bytes), { longs: Number, bytes: Uint8Array }) as Record<string, unknown>);
}

// ---------- the interpreter
function bcast(a: T, b: T, f: (x: number, y: number) => number): T {
  if (b.data.length === 1) return { dims: a.dims.length >= b.dims.length ? a.dims : b.dims, data: a.data.map((v) => f(v, b.data[0])) };
  if (a.dims.length === b.dims.length && a.dims.every((d, i) => d === b.dims[i])) return { dims: a.dims, data: a.data.map((v, i) => f(v, b.data[i])) };
  const r = Math.max(a.dims.length, b.dims.length);
  const A = [...Array(r - a.dims.length).fill(1), ...a.dims], B = [...Array(r - b.dims.length).fill(1), ...b.dims];
  const dims = A.map((d, i) => Math.max(d, B[i])), n = size(dims), out = new Float64Array(n);
  const idx = new Array(r).fill(0);
  for (let i = 0; i < n; i++) {
    let rem = i, ia = 0, ib = 0, sa = 1, sb = 1;
    for (let k = r - 1; k >= 0; k--) { idx[k] = rem % dims[k]; rem = Math.floor(rem / dims[k]); }
    for (let k = r - 1; k >= 0; k--) { ia += (A[k] === 1 ? 0 : idx[k]) * sa; sa *= A[k]; ib += (B[k] === 1 ? 0 : idx[k]) * sb; sb *= B[k]; }
    out[i] = f(a.data[ia], b.data[ib]);
  }
  return { dims, data: out };
}

function roundHalfEven(v: number): number { const f = Math.floor(v), d = v - f; return d > 0.5 ? f + 1 : d < 0.5 ? f : f % 2 === 0 ? f : f + 1; }
const ROUND: Record<string, (v: number) => number> = {
  ROUND: roundHalfEven, CEIL: Math.ceil, FLOOR: Math.floor, UP: (v) => Math.sign(v) * Math.ceil(Math.abs(v)), DOWN: Math.trunc,
  HALF_UP: (v) => Math.sign(v) * Math.floor(Math.abs(v) + 0.5), HALF_DOWN: (v) => Math.sign(v) * Math.ceil(Math.abs(v) - 0.5),
};

function transposeT(x: T, perm: number[]): T {
  const dims = perm.map((p) => x.dims[p]), n = size(dims), out = new Float64Array(n), r = dims.length;
  const inStr = x.dims.map((_, i) => size(x.dims.slice(i + 1)));
  for (let i = 0; i < n; i++) {
    let rem = i, at = 0;
    for (let k = r - 1; k >= 0; k--) { at += (rem % dims[k]) * inStr[perm[k]]; rem = Math.floor(rem / dims[k]); }
    out[i] = x.data[at];
  }
  return { dims, data: out };
}

/** numpy matmul: 1-D operands promoted (and their axis dropped after), leading dims broadcast. */
function matmul(a: T, b: T): T {
  const A = a.dims.length === 1 ? [1, a.dims[0]] : a.dims, B = b.dims.length === 1 ? [b.dims[0], 1] : b.dims;
  const m = A[A.length - 2], k = A[A.length - 1], n = B[B.length - 1], ba = A.slice(0, -2), bb = B.slice(0, -2);
  const r = Math.max(ba.length, bb.length), lead = Array.from({ length: r }, (_, i) => Math.max(ba[i - r + ba.length] ?? 1, bb[i - r + bb.length] ?? 1));
  const batches = size(lead), out = new Float64Array(batches * m * n);
  for (let p = 0; p < batches; p++) {
    // the operands' own batch offsets: digits of p in `lead`, read modulo each operand's dims
    let oa = 0, ob = 0, sa = 1, sb = 1, rest = p;
    for (let i = r - 1; i >= 0; i--) {
      const d = rest % lead[i], da = ba[i - r + ba.length] ?? 1, db = bb[i - r + bb.length] ?? 1;
      rest = Math.floor(rest / lead[i]);
      oa += (d % da) * sa; ob += (d % db) * sb; sa *= da; sb *= db;
    }
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
      let s = 0;
      for (let t = 0; t < k; t++) s += a.data[oa * m * k + i * k + t] * b.data[ob * k * n + t * n + j];
      out[(p * m + i) * n + j] = s;
    }
  }
  return { dims: [...lead, ...(a.dims.length === 1 ? [] : [m]), ...(b.dims.length === 1 ? [] : [n])], data: out };
}

/** ONNX pads [top, left, bottom, right] of a KH x KW window with strides st on an H x W map: `pads`, or auto_pad's SAME_UPPER / SAME_LOWER. */
function padsOf(at: Attrs, H: number, W: number, KH: number, KW: number, st: number[]): number[] {
  const auto = (at.auto_pad as string) ?? 'NOTSET';
  if (!auto.startsWith('SAME')) return (at.pads as number[]) ?? [0, 0, 0, 0];
  const tot = (s: number, k: number, d: number) => Math.max(0, (Math.ceil(s / d) - 1) * d + k - s);
  const th = tot(H, KH, st[0]), tw = tot(W, KW, st[1]);
  const lo = (t: number) => (auto === 'SAME_UPPER' ? Math.floor(t / 2) : Math.ceil(t / 2));
  return [lo(th), lo(tw), th - lo(th), tw - lo(tw)];
}

function conv(x: T, w: T, b: T | undefined, at: Attrs): T {
  const [N, C, H, W] = x.dims, [O, I, KH, KW] = w.dims, g = (at.group as number) ?? 1, st = (at.strides as number[]) ?? [1, 1];
  const pads = padsOf(at, H, W, KH, KW, st);
  const OH = Math.floor((H + pads[0] + pads[2] - KH) / st[0]) + 1, OW = Math.floor((W + pads[1] + pads[3] - KW) / st[1]) + 1;
  const out = new Float64Array(N * O * OH * OW), og = O / g;
  for (let n = 0; n < N; n++) for (let o = 0; o < O; o++) {
    const grp = Math.floor(o / og);
    for (let oy = 0; oy < OH; oy++) for (let ox = 0; ox < OW; ox++) {
      let s = b ? b.data[o] : 0;
      for (let i = 0; i < I; i++) for (let ky = 0; ky < KH; ky++) for (let kx = 0; kx < KW; kx++) {
        const iy = oy * st[0] - pads[0] + ky, ix = ox * st[1] - pads[1] + kx;
        if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
        s += x.data[((n * C + grp * I + i) * H + iy) * W + ix] * w.data[((o * I + i) * KH + ky) * KW + kx];
      }
      out[((n * O + o) * OH + oy) * OW + ox] = s;
    }
  }
  return { dims: [N, O, OH, OW], data: out };
}

/** Run the graph on an input tensor (any batch size); returns the output tensor. */
export function runReference(m: RefModel, input: T): T {
  // nodes that read only constants (weight quantizers) are evaluated once per model
  if (!m.folded) {
    m.folded = new Map(m.inits);
    for (const n of m.nodes) if (n.inputs.every((i) => i === '' || m.folded!.has(i)) && n.op !== 'Shape') evalNode(n, m.folded);
  }
  const env = new Map<string, T>(m.folded);
  env.set(m.input, input);
  for (const n of m.nodes) if (!n.outputs.every((o) => env.has(o))) evalNode(n, env);
  return env.get(m.output)!;
}

function evalNode(n: Node, env: Map<string, T>): void {
  {
    const x = n.inputs.map((i) => env.get(i)!), a = n.attrs, out = (t: T) => env.set(n.outputs[0], t);
    const map = (t: T, f: (v: number) => number): T => ({ dims: t.dims, data: t.data.map(f) });
    switch (n.op) {
      case 'Constant': out(a.value as T); break;
      case 'Identity': case 'Dropout': out(x[0]); break;
      case 'Shape': out({ dims: [x[0].dims.length], data: Float64Array.from(x[0].dims) }); break;
      case 'Gather': { const i = x[1].data[0]; out({ dims: x[1].dims, data: Float64Array.of(x[0].data[i < 0 ? i + x[0].data.length : i]) }); break; }
      case 'Unsqueeze': { const d = [...x[0].dims]; for (const ax of a.axes as number[]) d.splice(ax, 0, 1); out({ dims: d, data: x[0].data }); break; }
      case 'Concat': { const data = new Float64Array(x.reduce((s, t) => s + t.data.length, 0)); let o = 0; for (const t of x) { data.set(t.data, o); o += t.data.length; } out({ dims: [data.length], data }); break; }
      case 'Reshape': {
        const tgt = Array.from(x[1].data).map((d, i) => (d === 0 ? x[0].dims[i] : d)), known = tgt.filter((d) => d !== -1).reduce((p, q) => p * q, 1);
        out({ dims: tgt.map((d) => (d === -1 ? x[0].data.length / known : d)), data: x[0].data }); break;
      }
      case 'Flatten': { const ax = (a.axis as number) ?? 1; out({ dims: [size(x[0].dims.slice(0, ax)), size(x[0].dims.slice(ax))], data: x[0].data }); break; }
      case 'Add': out(bcast(x[0], x[1], (p, q) => p + q)); break;
      case 'Sub': out(bcast(x[0], x[1], (p, q) => p - q)); break;
      case 'Mul': out(bcast(x[0], x[1], (p, q) => p * q)); break;
      case 'Div': out(bcast(x[0], x[1], (p, q) => p / q)); break;
      case 'Pow': out(bcast(x[0], x[1], (p, q) => p ** q)); break;
      case 'Relu': out(map(x[0], (v) => Math.max(0, v))); break;
      case 'Transpose': out(transposeT(x[0], (a.perm as number[]) ?? x[0].dims.map((_, i) => x[0].dims.length - 1 - i))); break;
      case 'MatMul': out(matmul(x[0], x[1])); break;
      case 'Gemm': {
        const B = a.transB ? transposeT(x[1], [1, 0]) : x[1], al = (a.alpha as number) ?? 1, be = (a.beta as number) ?? 1;
        let y = map(matmul(x[0], B), (v) => v * al);
        if (x[2]) y = bcast(y, map(x[2], (v) => v * be), (p, q) => p + q);
        out(y); break;
      }
      case 'BatchNormalization': {
        const [t, s, b, mu, v] = x, eps = (a.epsilon as number) ?? 1e-5, C = t.dims[1], inner = size(t.dims.slice(2)), d = new Float64Array(t.data.length);
        for (let i = 0; i < d.length; i++) { const c = Math.floor(i / inner) % C; d[i] = ((t.data[i] - mu.data[c]) / Math.sqrt(v.data[c] + eps)) * s.data[c] + b.data[c]; }
        out({ dims: t.dims, data: d }); break;
      }
      case 'Quant': {
        const [t, s, z, bw] = x, bits = bw.data[0], signed = ((a.signed as number) ?? 1) === 1, narrow = ((a.narrow as number) ?? 0) === 1;
        const lo = signed ? -(2 ** (bits - 1)) + (narrow ? 1 : 0) : 0, hi = signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1 - (narrow ? 1 : 0);
        const r = ROUND[(a.rounding_mode as string) ?? 'ROUND'];
        const q = bcast(bcast(t, s, (v, sc) => v / sc), z, (v, zp) => Math.min(hi, Math.max(lo, r(v + zp))));
        out(bcast(bcast(q, z, (v, zp) => v - zp), s, (v, sc) => v * sc)); break;
      }
      case 'BipolarQuant': out(bcast(x[0], x[1], (v, sc) => (v >= 0 ? sc : -sc))); break;
      case 'Softmax': {
        const d = new Float64Array(x[0].data.length), C = x[0].dims.at(-1)!;
        for (let r0 = 0; r0 < d.length; r0 += C) { const row = x[0].data.subarray(r0, r0 + C), mx = Math.max(...row); let s = 0; for (let j = 0; j < C; j++) { d[r0 + j] = Math.exp(row[j] - mx); s += d[r0 + j]; } for (let j = 0; j < C; j++) d[r0 + j] /= s; }
        out({ dims: x[0].dims, data: d }); break;
      }
      case 'Conv': out(conv(x[0], x[1], x[2], a)); break;
      case 'MaxPool': case 'AveragePool': case 'GlobalAveragePool': {
        // ONNX pooling: pads [top, left, bottom, right]; max pads with -infinity; average divides by the taps inside the
        // map, or by kh kw with count_include_pad
        const [N, C, H, W] = x[0].dims, g = n.op === 'GlobalAveragePool', max = n.op === 'MaxPool';
        const [kh, kw] = g ? [H, W] : (a.kernel_shape as number[]), [sh, sw] = g ? [1, 1] : ((a.strides as number[]) ?? [1, 1]);
        const [pt, pl, pb, pr] = g ? [0, 0, 0, 0] : padsOf(a, H, W, kh, kw, [sh, sw]);
        const OH = Math.floor((H + pt + pb - kh) / sh) + 1, OW = Math.floor((W + pl + pr - kw) / sw) + 1, d = new Float64Array(N * C * OH * OW);
        const countPad = ((a.count_include_pad as number) ?? 0) === 1;
        for (let i = 0; i < N * C; i++) for (let y = 0; y < OH; y++) for (let xx = 0; xx < OW; xx++) {
          let m2 = -Infinity, sum = 0, taps = 0;
          for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) {
            const iy = y * sh - pt + ky, ix = xx * sw - pl + kx;
            if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
            const v = x[0].data[(i * H + iy) * W + ix];
            m2 = Math.max(m2, v); sum += v; taps++;
          }
          d[(i * OH + y) * OW + xx] = max ? m2 : sum / (countPad ? kh * kw : taps);
        }
        out({ dims: [N, C, OH, OW], data: d }); break;
      }
      case 'Trunc': {
        // QONNX Trunc v1 (x, scale, zeropt, in_bits, out_bits) and v2 (x, scale, zeropt, in_bits, out_scale, out_bits)
        const v2 = x.length >= 6, s0 = x[1].data[0], z0 = x[2].data[0], inB = x[3].data[0], outB = x[v2 ? 5 : 4].data[0], outS = v2 ? x[4].data[0] : s0;
        const t = v2 ? 2 ** Math.round(Math.log2(outS / s0)) : 2 ** (inB - outB), r = ROUND[(a.rounding_mode as string) ?? 'FLOOR'];
        const signed = ((a.signed as number) ?? 1) === 1, narrow = ((a.narrow as number) ?? 0) === 1;
        const lo = signed ? -(2 ** (outB - 1)) + (narrow ? 1 : 0) : 0, hi = signed ? 2 ** (outB - 1) - 1 : 2 ** outB - 1;
        out(map(x[0], (v) => { let y = roundHalfEven(v / s0 + z0) / t; if (v2) y = Math.min(hi, Math.max(lo, y)); return (r(y) - (v2 ? z0 / t : z0)) * outS; }));
        break;
      }
      case 'DepthToSpace': {
        const [N, C, H, W] = x[0].dims, b = a.blocksize as number, mode = (a.mode as string) ?? 'DCR', oc = C / (b * b), d = new Float64Array(x[0].data.length);
        for (let n0 = 0; n0 < N; n0++) for (let c = 0; c < oc; c++) for (let y = 0; y < H * b; y++) for (let xx = 0; xx < W * b; xx++) {
          const by = y % b, bx = xx % b, src = mode === 'DCR' ? (by * b + bx) * oc + c : c * b * b + by * b + bx;
          d[((n0 * oc + c) * H * b + y) * W * b + xx] = x[0].data[((n0 * C + src) * H + Math.floor(y / b)) * W + Math.floor(xx / b)];
        }
        out({ dims: [N, oc, H * b, W * b], data: d }); break;
      }
      default: throw new Error(`reference: op ${n.op} not implemented`);
    }
  }
}
