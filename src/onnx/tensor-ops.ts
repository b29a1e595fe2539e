// Constant folding: ONNX ops evaluated on constant tensors (float64) at import time. Weight
// subgraphs (Quant on an initializer, Transpose), shape arithmetic (Shape / Gather / Unsqueeze /
// Concat / Reshape) and constant batch-norm arithmetic fold to constants before lowering.
import { LowbitError } from '../errors.js';
import type { Tensor } from './decode.js';

const fail = (where: string, msg: string) => new LowbitError('CANNOT_COMPILE', `${where}: ${msg}`);
export const count = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);

/** Largest tensor constant folding may build (elements): a hostile file cannot ask for more memory. */
export const MAX_FOLDED = 1 << 25;
/** The element count of dims, refused past MAX_FOLDED. */
export function checkedCount(dims: readonly number[], where: string): number {
  const n = count(dims);
  if (!(n <= MAX_FOLDED) || dims.some((d) => !Number.isInteger(d) || d < 0)) throw new LowbitError('BAD_MODEL', `${where}: a tensor of shape [${dims.join(', ')}] is invalid or larger than ${MAX_FOLDED} values`);
  return n;
}

export function makeTensor(dims: number[], data: Float64Array, dtype = 1): Tensor {
  return { dims, data, dtype, name: '' };
}

/** Strides of a row-major tensor. */
function strides(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length);
  let acc = 1;
  for (let i = dims.length - 1; i >= 0; i--) { s[i] = acc; acc *= dims[i]; }
  return s;
}

/** Numpy broadcasting of two shapes, or a failure. */
export function broadcastDims(a: readonly number[], b: readonly number[], where: string): number[] {
  const n = Math.max(a.length, b.length), out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1, y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw fail(where, `shapes [${a.join(', ')}] and [${b.join(', ')}] do not broadcast`);
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** The element of `t` that index `idx` of a broadcast shape `dims` reads. */
function broadcastIndex(t: Tensor, dims: readonly number[]): (flat: number) => number {
  const n = dims.length, ts = strides(t.dims), os = strides(dims), off = n - t.dims.length;
  return (flat) => {
    let at = 0;
    for (let i = off; i < n; i++) {
      const k = Math.floor(flat / os[i]) % dims[i];
      if (t.dims[i - off] !== 1) at += k * ts[i - off];
    }
    return at;
  };
}

export function elementwise(a: Tensor, b: Tensor, f: (x: number, y: number) => number, where: string): Tensor {
  const dims = broadcastDims(a.dims, b.dims, where), n = checkedCount(dims, where), out = new Float64Array(n);
  // the common cases without index arithmetic: same shape, or a scalar on either side
  if (a.data.length === n && (b.data.length === n || b.data.length === 1)) {
    const one = b.data.length === 1, y0 = b.data[0];
    for (let i = 0; i < n; i++) out[i] = f(a.data[i], one ? y0 : b.data[i]);
    return makeTensor(dims, out, a.dtype);
  }
  if (a.data.length === 1 && b.data.length === n) { for (let i = 0; i < n; i++) out[i] = f(a.data[0], b.data[i]); return makeTensor(dims, out, a.dtype); }
  const ia = broadcastIndex(a, dims), ib = broadcastIndex(b, dims);
  for (let i = 0; i < n; i++) out[i] = f(a.data[ia(i)], b.data[ib(i)]); // import time
  return makeTensor(dims, out, a.dtype);
}

/** Expand `t` to `dims` (broadcast), e.g. a per-channel scale to the full weight shape. */
export function expandTo(t: Tensor, dims: readonly number[], where: string): Float64Array {
  const b = broadcastDims(t.dims, dims, where);
  if (b.length !== dims.length || b.some((d, i) => d !== dims[i])) throw fail(where, `a constant of shape [${t.dims.join(', ')}] does not broadcast to [${dims.join(', ')}]`);
  const n = checkedCount(dims, where), out = new Float64Array(n);
  if (t.data.length === 1) return out.fill(t.data[0]);
  if (t.data.length === n) { out.set(t.data); return out; }
  // trailing axes of size 1 in t (a per-row scale [rows, 1, ...]): each value repeats over a block
  const lead = dims.length - t.dims.length;
  let trail = 1, k = dims.length - 1;
  while (k >= lead && t.dims[k - lead] === 1) trail *= dims[k--];
  if (t.data.length * trail === n && t.dims.every((d, i) => d === 1 || d === dims[i + lead])) {
    for (let i = 0; i < t.data.length; i++) out.fill(t.data[i], i * trail, (i + 1) * trail);
    return out;
  }
  // leading axes of size 1 in t (a per-column scale [1, n]): t repeats as a whole
  let inner = 1, j = dims.length - 1;
  while (j >= lead && t.dims[j - lead] === dims[j]) inner *= dims[j--];
  if (inner === t.data.length) {
    for (let i = 0; i < n; i += inner) out.set(t.data, i);
    return out;
  }
  const it = broadcastIndex(t, dims);
  for (let i = 0; i < n; i++) out[i] = t.data[it(i)];
  return out;
}

export function transpose(t: Tensor, perm: number[] | undefined): Tensor {
  const r = t.dims.length, p = perm ?? [...Array(r).keys()].reverse();
  if (p.length !== r || [...p].sort((a, b) => a - b).some((v, i) => v !== i)) throw new LowbitError('BAD_MODEL', `Transpose perm [${p.join(', ')}] is not a permutation of ${r} axes`);
  const dims = p.map((i) => t.dims[i]), ins = strides(t.dims), n = count(dims), out = new Float64Array(n);
  if (r === 2 && p[0] === 1) {
    const [R, C] = t.dims, d = t.data;
    // 32 x 32 blocks: strided reads of a large matrix otherwise miss the cache on every element
    for (let i0 = 0; i0 < C; i0 += 32) for (let j0 = 0; j0 < R; j0 += 32) {
      const i1 = Math.min(C, i0 + 32), j1 = Math.min(R, j0 + 32);
      for (let i = i0; i < i1; i++) for (let j = j0; j < j1; j++) out[i * R + j] = d[j * C + i];
    }
    return makeTensor(dims, out, t.dtype);
  }
  // walk the output in order with an odometer over its index, stepping the input offset
  const step = p.map((q) => ins[q]), idx = new Array<number>(r).fill(0);
  let at = 0;
  for (let i = 0; i < n; i++) {
    out[i] = t.data[at];
    for (let k = r - 1; k >= 0; k--) {
      if (++idx[k] < dims[k]) { at += step[k]; break; }
      at -= step[k] * (dims[k] - 1);
      idx[k] = 0;
    }
  }
  return makeTensor(dims, out, t.dtype);
}

/** ONNX Reshape's target dims: 0 copies the input dim (unless allowzero), -1 is inferred. */
export function reshapeDims(inDims: readonly number[], target: readonly number[], where: string, allowZero = false): number[] {
  const dims = target.map((d, i) => (d === 0 && !allowZero ? inDims[i] : d));
  const known = dims.filter((d) => d !== -1).reduce((a, b) => a * b, 1), total = count(inDims);
  const free = dims.filter((d) => d === -1).length;
  if (free > 1 || dims.some((d) => d === undefined || d < -1)) throw fail(where, `reshape to [${target.join(', ')}] is invalid`);
  if (free) { if (known === 0 || total % known) throw fail(where, `cannot reshape [${inDims.join(', ')}] to [${target.join(', ')}]`); dims[dims.indexOf(-1)] = total / known; }
  if (count(dims) !== total) throw fail(where, `cannot reshape [${inDims.join(', ')}] (${total} values) to [${dims.join(', ')}]`);
  return dims;
}

export function gather(t: Tensor, idx: Tensor, axis: number): Tensor {
  const r = t.dims.length, ax = axis < 0 ? axis + r : axis, outer = count(t.dims.slice(0, ax)), inner = count(t.dims.slice(ax + 1)), d = t.dims[ax];
  const dims = [...t.dims.slice(0, ax), ...idx.dims, ...t.dims.slice(ax + 1)], out = new Float64Array(checkedCount(dims, 'Gather'));
  if (!(ax >= 0 && ax < r)) throw new LowbitError('BAD_MODEL', `Gather axis ${axis} is outside the tensor's ${r} dimensions`);
  let o = 0;
  for (let a = 0; a < outer; a++) for (const raw of idx.data) {
    const j = raw < 0 ? raw + d : raw;
    if (!(j >= 0 && j < d)) throw new LowbitError('BAD_MODEL', `Gather index ${raw} is outside [0, ${d})`);
    for (let b = 0; b < inner; b++) out[o++] = t.data[(a * d + j) * inner + b];
  }
  return makeTensor(dims, out, t.dtype);
}

export function concat(ts: Tensor[], axis: number, where: string): Tensor {
  const r = ts[0].dims.length, ax = axis < 0 ? axis + r : axis;
  if (!(ax >= 0 && ax < r)) throw fail(where, `Concat axis ${axis} is outside ${r} dimensions`);
  if (!ts.every((t) => t.dims.length === r && t.dims.every((d, i) => i === ax || d === ts[0].dims[i]))) throw fail(where, 'Concat inputs differ in shape');
  const dims = [...ts[0].dims]; dims[ax] = ts.reduce((a, t) => a + t.dims[ax], 0);
  const outer = count(dims.slice(0, ax)), inner = count(dims.slice(ax + 1)), out = new Float64Array(count(dims));
  let o = 0;
  for (let a = 0; a < outer; a++) for (const t of ts) { const n = t.dims[ax] * inner; out.set(t.data.subarray(a * n, (a + 1) * n), o); o += n; }
  return makeTensor(dims, out, ts[0].dtype);
}

export function slice(t: Tensor, starts: number[], ends: number[], axes: number[], steps: number[]): Tensor {
  const r = t.dims.length, lo = t.dims.map(() => 0), hi = [...t.dims], st = t.dims.map(() => 1);
  axes.forEach((a0, i) => {
    const a = a0 < 0 ? a0 + r : a0, d = t.dims[a], s = steps[i] ?? 1;
    const clampIdx = (v: number, neg: boolean) => { let x = v < 0 ? v + d : v; x = Math.max(neg ? -1 : 0, Math.min(neg ? d - 1 : d, x)); return x; };
    st[a] = s; lo[a] = clampIdx(starts[i], s < 0); hi[a] = clampIdx(ends[i], s < 0);
  });
  if (st.some((x) => !Number.isInteger(x) || x === 0)) throw new LowbitError('BAD_MODEL', 'Slice steps must be non-zero integers');
  const dims = t.dims.map((_, a) => Math.max(0, Math.ceil((hi[a] - lo[a]) / st[a]))), out = new Float64Array(checkedCount(dims, 'Slice')), ins = strides(t.dims), os = strides(dims);
  for (let i = 0; i < out.length; i++) {
    let at = 0;
    for (let a = 0; a < r; a++) at += (lo[a] + (Math.floor(i / os[a]) % dims[a]) * st[a]) * ins[a];
    out[i] = t.data[at];
  }
  return makeTensor(dims, out, t.dtype);
}
