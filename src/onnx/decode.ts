// ONNX ModelProto -> plain objects: the graph's nodes, initializers, inputs and outputs. Only the
// messages and fields lowbit uses are read; unknown fields are skipped. Tensors become float64
// arrays (exact for every integer type up to 2^53) with their ONNX element type kept.
import { LowbitError } from '../errors.js';
import { ProtoReader, WIRE } from './protobuf.js';

/** ONNX TensorProto.DataType values lowbit reads. */
export const DTYPE = { FLOAT: 1, UINT8: 2, INT8: 3, UINT16: 4, INT16: 5, INT32: 6, INT64: 7, STRING: 8, BOOL: 9, FLOAT16: 10, DOUBLE: 11, UINT32: 12, UINT64: 13 } as const;
const BYTES: Record<number, number> = { 1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8, 12: 4, 13: 8 };

/** Limits that keep a hostile file's memory bounded. */
const MAX_ELEMENTS = 1 << 27; // one tensor
const MAX_RANK = 8;
const MAX_ITEMS = 1 << 20; // nodes, initializers, attributes, repeated fields

export interface Tensor { dtype: number; dims: number[]; data: Float64Array; name: string }
export type Attr =
  | { kind: 'f'; v: number } | { kind: 'i'; v: number } | { kind: 's'; v: string } | { kind: 't'; v: Tensor }
  | { kind: 'floats'; v: number[] } | { kind: 'ints'; v: number[] } | { kind: 'strings'; v: string[] } | { kind: 'g' };
export interface OnnxNode { op: string; domain: string; name: string; inputs: string[]; outputs: string[]; attrs: Map<string, Attr> }
/** A graph input or output: its name, element type and dims (a symbolic dim is -1). */
export interface ValueInfo { name: string; dtype: number; dims: number[] | undefined }
export interface OnnxGraph { nodes: OnnxNode[]; initializers: Map<string, Tensor>; inputs: ValueInfo[]; outputs: ValueInfo[]; name: string }
export interface OnnxModel { irVersion: number; producer: string; opsets: Map<string, number>; graph: OnnxGraph }

export function decodeOnnx(bytes: Uint8Array): OnnxModel {
  if (!(bytes instanceof Uint8Array)) throw new LowbitError('BAD_ARGUMENT', 'importOnnx takes the model file as a Uint8Array');
  if (bytes.length === 0) throw new LowbitError('BAD_MODEL', 'the ONNX file is empty');
  if (bytes[0] === 0x4c && bytes[1] === 0x42 && bytes[2] === 0x4d && bytes[3] === 0) throw new LowbitError('BAD_MODEL', 'this is a lowbit model file (.lbm), already imported; load it with Engine.load or lowbit info');
  const r = new ProtoReader(bytes);
  const model: OnnxModel = { irVersion: 0, producer: '', opsets: new Map(), graph: undefined as unknown as OnnxGraph };
  while (!r.done()) {
    const [f, w] = r.tag();
    if (f === 1 && w === WIRE.VARINT) model.irVersion = r.varint();
    else if (f === 2 && w === WIRE.LEN) model.producer = r.string();
    else if (f === 7 && w === WIRE.LEN) model.graph = graph(r.sub('the graph'));
    else if (f === 8 && w === WIRE.LEN) {
      const o = r.sub('an opset import');
      let domain = '', version = 0;
      while (!o.done()) {
        const [g, v] = o.tag();
        if (g === 1 && v === WIRE.LEN) domain = o.string();
        else if (g === 2 && v === WIRE.VARINT) version = o.varint();
        else o.skip(v);
      }
      model.opsets.set(domain === 'ai.onnx' ? '' : domain, version);
    } else r.skip(w);
  }
  if (!model.graph) throw new LowbitError('BAD_MODEL', 'the ONNX file has no graph; it is not an ONNX model (or is empty)');
  return model;
}

function graph(r: ProtoReader): OnnxGraph {
  const g: OnnxGraph = { nodes: [], initializers: new Map(), inputs: [], outputs: [], name: '' };
  let items = 0;
  while (!r.done()) {
    const [f, w] = r.tag();
    if (w === WIRE.LEN && ++items > MAX_ITEMS) throw r.fail(`more than ${MAX_ITEMS} graph entries`);
    if (f === 1 && w === WIRE.LEN) g.nodes.push(node(r.sub('a node')));
    else if (f === 2 && w === WIRE.LEN) g.name = r.string();
    else if (f === 5 && w === WIRE.LEN) { const t = tensor(r.sub('an initializer')); g.initializers.set(t.name, t); }
    else if (f === 11 && w === WIRE.LEN) g.inputs.push(valueInfo(r.sub('a graph input')));
    else if (f === 12 && w === WIRE.LEN) g.outputs.push(valueInfo(r.sub('a graph output')));
    else r.skip(w);
  }
  return g;
}

function node(r: ProtoReader): OnnxNode {
  const n: OnnxNode = { op: '', domain: '', name: '', inputs: [], outputs: [], attrs: new Map() };
  while (!r.done()) {
    const [f, w] = r.tag();
    if (w !== WIRE.LEN) { r.skip(w); continue; }
    if (f === 1) n.inputs.push(r.string());
    else if (f === 2) n.outputs.push(r.string());
    else if (f === 3) n.name = r.string();
    else if (f === 4) n.op = r.string();
    else if (f === 7) n.domain = r.string();
    else if (f === 5) { const [name, a] = attribute(r.sub('an attribute')); n.attrs.set(name, a); }
    else r.skip(w);
    if (n.inputs.length + n.outputs.length + n.attrs.size > MAX_ITEMS) throw r.fail('a node with too many entries');
  }
  if (n.domain === 'ai.onnx') n.domain = '';
  return n;
}

function attribute(r: ProtoReader): [string, Attr] {
  let name = '', type = 0;
  const f32: number[] = [], i64: number[] = [], strs: string[] = [];
  let f = 0, i = 0, s = '', t: Tensor | undefined, hasG = false;
  while (!r.done()) {
    const [k, w] = r.tag();
    if (k === 1 && w === WIRE.LEN) name = r.string();
    else if (k === 2 && w === WIRE.I32) f = r.float32();
    else if (k === 3 && w === WIRE.VARINT) i = r.varint();
    else if (k === 4 && w === WIRE.LEN) s = r.string();
    else if (k === 5 && w === WIRE.LEN) t = tensor(r.sub('an attribute tensor'));
    else if (k === 6 && w === WIRE.LEN) { r.skip(w); hasG = true; }
    else if (k === 7) r.repeated(w, f32, (x) => x.float32(), MAX_ITEMS);
    else if (k === 8) r.repeated(w, i64, (x) => x.varint(), MAX_ITEMS);
    else if (k === 9 && w === WIRE.LEN) { if (strs.length >= MAX_ITEMS) throw r.fail('too many strings'); strs.push(r.string()); }
    else if (k === 20 && w === WIRE.VARINT) type = r.varint();
    else r.skip(w);
  }
  // AttributeType: FLOAT 1, INT 2, STRING 3, TENSOR 4, GRAPH 5, FLOATS 6, INTS 7, STRINGS 8
  switch (type) {
    case 1: return [name, { kind: 'f', v: f }];
    case 2: return [name, { kind: 'i', v: i }];
    case 3: return [name, { kind: 's', v: s }];
    case 4: if (!t) throw r.fail(`attribute ${name} has no tensor`); return [name, { kind: 't', v: t }];
    case 5: return [name, { kind: 'g' }];
    case 6: return [name, { kind: 'floats', v: f32 }];
    case 7: return [name, { kind: 'ints', v: i64 }];
    case 8: return [name, { kind: 'strings', v: strs }];
    default:
      // files from before the type field: infer it from what is present
      if (t) return [name, { kind: 't', v: t }];
      if (hasG) return [name, { kind: 'g' }];
      if (f32.length) return [name, { kind: 'floats', v: f32 }];
      if (i64.length) return [name, { kind: 'ints', v: i64 }];
      if (strs.length) return [name, { kind: 'strings', v: strs }];
      if (s) return [name, { kind: 's', v: s }];
      if (f) return [name, { kind: 'f', v: f }];
      return [name, { kind: 'i', v: i }];
  }
}

/** A TensorProto (initializer, Constant value, or a .pb test tensor). */
export function tensor(r: ProtoReader): Tensor {
  let dtype = 0, name = '', raw: Uint8Array | undefined, external = false;
  const dims: number[] = [], nums: number[] = [];
  let numsFrom = 0; // which typed field the numbers came from
  while (!r.done()) {
    const [f, w] = r.tag();
    if (f === 1) r.repeated(w, dims, (x) => x.varint(), MAX_RANK);
    else if (f === 2 && w === WIRE.VARINT) dtype = r.varint();
    else if (f === 4) { numsFrom = 4; r.repeated(w, nums, (x) => x.float32(), MAX_ELEMENTS); }
    else if (f === 5 || f === 7 || f === 11) { numsFrom = f; r.repeated(w, nums, (x) => x.varint(), MAX_ELEMENTS); }
    else if (f === 10) { numsFrom = 10; r.repeated(w, nums, (x) => x.float64(), MAX_ELEMENTS); }
    else if (f === 8 && w === WIRE.LEN) name = r.string();
    else if (f === 9 && w === WIRE.LEN) raw = r.bytes();
    else if (f === 13 && w === WIRE.LEN) { external = true; r.skip(w); }
    else if (f === 14 && w === WIRE.VARINT) external = r.varint() === 1 || external;
    else r.skip(w);
  }
  const label = name ? `tensor ${name}` : 'a tensor';
  if (external) throw new LowbitError('BAD_MODEL', `${label} keeps its data in an external file; save the model with its weights inside (onnx.save(..., save_as_external_data=False))`);
  if (dims.some((d) => d < 0)) throw new LowbitError('BAD_MODEL', `${label} has a negative dimension [${dims.join(', ')}]`);
  const count = dims.reduce((a, d) => a * d, 1);
  if (count > MAX_ELEMENTS) throw new LowbitError('BAD_MODEL', `${label} has ${count} elements; lowbit takes at most ${MAX_ELEMENTS} per tensor`);
  if (!(dtype in BYTES)) throw new LowbitError('BAD_MODEL', `${label} has element type ${dtype}, which lowbit does not read (it reads float, double, float16 and integer tensors)`);
  let data: Float64Array;
  if (raw) {
    const size = BYTES[dtype];
    if (raw.length !== count * size) throw new LowbitError('BAD_MODEL', `${label}: ${raw.length} bytes of data for ${count} elements of ${size} bytes`);
    data = fromRaw(raw, dtype, count, label);
  } else {
    if (nums.length !== count) throw new LowbitError('BAD_MODEL', `${label}: ${nums.length} values for shape [${dims.join(', ')}]`);
    data = Float64Array.from(nums);
    if (numsFrom === 5 && dtype === DTYPE.FLOAT16) data = data.map(halfToFloat);
    if (numsFrom === 5 && (dtype === DTYPE.INT8 || dtype === DTYPE.INT16)) data = data.map((v) => (dtype === DTYPE.INT8 ? (v << 24) >> 24 : (v << 16) >> 16));
  }
  return { dtype, dims, data, name };
}

function fromRaw(raw: Uint8Array, dtype: number, n: number, label: string): Float64Array {
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength), out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    switch (dtype) {
      case DTYPE.FLOAT: out[i] = dv.getFloat32(i * 4, true); break;
      case DTYPE.DOUBLE: out[i] = dv.getFloat64(i * 8, true); break;
      case DTYPE.UINT8: case DTYPE.BOOL: out[i] = raw[i]; break;
      case DTYPE.INT8: out[i] = dv.getInt8(i); break;
      case DTYPE.UINT16: out[i] = dv.getUint16(i * 2, true); break;
      case DTYPE.INT16: out[i] = dv.getInt16(i * 2, true); break;
      case DTYPE.FLOAT16: out[i] = halfToFloat(dv.getUint16(i * 2, true)); break;
      case DTYPE.INT32: out[i] = dv.getInt32(i * 4, true); break;
      case DTYPE.UINT32: out[i] = dv.getUint32(i * 4, true); break;
      case DTYPE.INT64: case DTYPE.UINT64: {
        const v = dtype === DTYPE.INT64 ? dv.getBigInt64(i * 8, true) : dv.getBigUint64(i * 8, true);
        // shapes and indices: int64 extremes (e.g. Slice's INT64_MAX) clamp to +-2^53
        out[i] = v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : v < -BigInt(Number.MAX_SAFE_INTEGER) ? -Number.MAX_SAFE_INTEGER : Number(v);
        break;
      }
      default: throw new LowbitError('BAD_MODEL', `${label}: element type ${dtype} cannot be read`);
    }
  }
  return out;
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

function valueInfo(r: ProtoReader): ValueInfo {
  const v: ValueInfo = { name: '', dtype: 0, dims: undefined };
  while (!r.done()) {
    const [f, w] = r.tag();
    if (f === 1 && w === WIRE.LEN) v.name = r.string();
    else if (f === 2 && w === WIRE.LEN) {
      const t = r.sub('a type');
      while (!t.done()) {
        const [g, x] = t.tag();
        if (g !== 1 || x !== WIRE.LEN) { t.skip(x); continue; }
        const tt = t.sub('a tensor type');
        while (!tt.done()) {
          const [h, y] = tt.tag();
          if (h === 1 && y === WIRE.VARINT) v.dtype = tt.varint();
          else if (h === 2 && y === WIRE.LEN) {
            const sh = tt.sub('a shape');
            v.dims = [];
            while (!sh.done()) {
              const [k, z] = sh.tag();
              if (k !== 1 || z !== WIRE.LEN) { sh.skip(z); continue; }
              const d = sh.sub('a dimension');
              let dim = -1;
              while (!d.done()) {
                const [m, q] = d.tag();
                if (m === 1 && q === WIRE.VARINT) dim = d.varint();
                else d.skip(q);
              }
              if (v.dims.length >= MAX_RANK) throw sh.fail(`a shape of more than ${MAX_RANK} dimensions`);
              v.dims.push(dim);
            }
          } else tt.skip(y);
        }
      }
    } else r.skip(w);
  }
  return v;
}

/** A serialized TensorProto on its own (ONNX test data, ESPCN's input). */
export function decodeTensor(bytes: Uint8Array): Tensor {
  return tensor(new ProtoReader(bytes, 0, bytes.length, 'tensor file'));
}
