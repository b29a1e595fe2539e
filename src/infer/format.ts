// The model file (.lbm), little-endian:
//   0  "LBM\0"  magic
//   4  u32      format version (1)
//   8  u32      header bytes (JSON, UTF-8)
//  12  u32      CRC-32 of every byte from offset 16 to the end
//  16  JSON header: { inputShape, classes, meta, steps: [{ ...shape fields, tensors: { name: [dtype, offset, length] } }] }
//      then tensor sections, each 16-byte aligned, offsets from the start of the file.
// decodeModel validates magic, version, lengths, checksum, every field's type and range, every
// section's bounds and size against the shapes, before anything reaches wasm; each failure is a
// LowbitError('BAD_MODEL') saying what is wrong.
import { LowbitError } from '../errors.js';
import { crc32 } from '../crc32.js';
import { parseJsonHeader } from '../json-header.js';
import type { Plan, PlanIO, PlanNode, PlanStep } from './plan.js';
import { planGraph, planInputs, stepConvSize, stepOutputShape } from './plan.js';
import { bad, int, ints, oneOf, shape3, MAX_ACTIVATION, MAX_CHANNELS, MAX_DIM, MAX_STEPS, MAX_TENSOR_BYTES } from './header-fields.js';
import type { DType, Need, ValueInfo } from './nodes/node-op.js';
import { intNode } from './nodes/registry.js';

export type { DType, ValueInfo };

const MAGIC = [0x4c, 0x42, 0x4d, 0x00]; // "LBM\0"
/** Chain plans are written as version 1 (unchanged), graph plans as version 2, or 3 with several inputs or outputs. */
export const MODEL_VERSION = 3;
const TENSORS: Record<string, DType> = { wBinary: 'u32', wInt8: 'i8', wZero: 'i8', wPacked: 'u8', thresholds: 'i32', flip: 'u8', scale: 'f32', bias: 'f32', mult: 'i32', addend: 'f64' };

/**
 * The float nodes and float input / output of imported models (./float-format.ts), installed by
 * the 'lowbit' entry; lowbit/engine leaves them out to stay small and refuses such files plainly.
 */
export interface FloatFormat {
  /** the float ops and their tensors */
  tensors: Record<string, Record<string, DType>>;
  parseNode(op: string, r: Record<string, unknown>, inputs: number[], t: Record<string, unknown>, at: string): PlanNode;
  parseIO(raw: unknown): PlanIO;
  check(n: PlanNode, ins: ValueInfo[], need: Need): ValueInfo;
  checkIO(io: PlanIO, inShape: readonly number[], outShape: readonly number[]): void;
}
let floatFormat: FloatFormat | undefined;
export function setFloatFormat(f: FloatFormat): void { floatFormat = f; }
/** Version 3's several inputs and outputs (./multi-io-format.ts), installed by the 'lowbit' entry. */
export interface MultiIOFormat {
  /** the header's inputs and outputs into the plan */
  parse(h: Record<string, unknown>, plan: Plan): void;
  /** the plan's inputs and outputs against its k inputs and its nodes */
  check(plan: Plan, k: number, nodes: number): void;
}
let multiIO: MultiIOFormat | undefined;
export function setMultiIOFormat(f: MultiIOFormat): void { multiIO = f; }
function needMultiIO(): MultiIOFormat {
  if (!multiIO) throw bad("a model of several inputs or outputs: load it with the 'lowbit' entry");
  return multiIO;
}
function needFloat(at: string): FloatFormat {
  if (!floatFormat) throw bad(`${at}: not in lowbit-trained models (load imported ONNX models with the 'lowbit' entry)`);
  return floatFormat;
}

/**
 * Sub-byte storage of 2..4-bit integer weights: codes q in [-(2^(b-1) - 1), 2^(b-1) - 1] stored as
 * q + 2^(b-1) in 2-bit (b = 2) or 4-bit (b = 3, 4) fields, LSB first, back to back. Shifted weights
 * (with wZero: trained affine codes 0..2^b - 1 less 2^(b-1)) also take -2^(b-1), field value 0.
 */
function fieldBits(weightBits: number): number { return weightBits <= 2 ? 2 : 4; }
function packWeights(q: Int8Array, weightBits: number, shifted: boolean): Uint8Array | undefined {
  const lim = 2 ** (weightBits - 1) - 1, fb = fieldBits(weightBits), per = 8 / fb, low = shifted ? -lim - 1 : -lim;
  if (weightBits > 4 || q.some((v) => v < low || v > lim)) return undefined;
  const out = new Uint8Array(Math.ceil(q.length / per));
  for (let i = 0; i < q.length; i++) out[(i / per) | 0] |= (q[i] + lim + 1) << ((i % per) * fb); // encode time
  return out;
}
function unpackWeights(p: Uint8Array, n: number, weightBits: number, shifted: boolean): Int8Array {
  const lim = 2 ** (weightBits - 1) - 1, fb = fieldBits(weightBits), per = 8 / fb, mask = (1 << fb) - 1, low = shifted ? -lim - 1 : -lim;
  const q = new Int8Array(n);
  for (let i = 0; i < n; i++) { // load time
    const v = ((p[(i / per) | 0] >> ((i % per) * fb)) & mask) - lim - 1;
    if (v < low || v > lim) throw bad(`a ${weightBits}-bit weight code is out of range (${v})`);
    q[i] = v;
  }
  return q;
}
/** Largest |logit| a valid file can produce: far from float32's 3.4e38, so softmax and sums stay finite. */
const MAX_LOGIT = 1e30;

/** Binary weight pixels (2 * ceil(c / 64) words each) have no bit set past channel c. */
function paddingBitsClear(words: Uint32Array, c: number): boolean {
  const per = 2 * Math.ceil(c / 64), full = c >>> 5, rem = c & 31;
  for (let p = 0; p < words.length; p += per) { // load time
    if (rem && words[p + full] >>> rem) return false;
    for (let j = full + (rem ? 1 : 0); j < per; j++) if (words[p + j]) return false;
  }
  return true;
}
const ARRAYS = { u32: Uint32Array, i8: Int8Array, i32: Int32Array, u8: Uint8Array, f32: Float32Array, f64: Float64Array };
const SHAPE_KEYS = ['kind', 'h', 'w', 'c', 'out', 'k', 'stride', 'groups', 'padding', 'input', 'inBits', 'weights', 'weightBits', 'output', 'outBits', 'pool', 'streamShift', 'inZero'] as const;
const NODE_KEYS = ['op', 'inputs', 'shifts', 'k', 'strides', 'shift', 'output', 'outBits', 'kind', 'out', 'pads', 'dilations', 'groups', 'relu', 'pool', 'countPads'] as const;

export function encodeModel(plan: Plan): Uint8Array {
  validatePlan(plan);
  const sections: { data: Uint8Array; offset: number }[] = [];
  const section = (a: ArrayBufferView) => { sections.push({ data: new Uint8Array(a.buffer, a.byteOffset, a.byteLength), offset: 0 }); return sections.length - 1; };
  const steps = plan.steps.map((s) => {
    const t: Record<string, [DType, number, number]> = {};
    const packed = s.wInt8 ? packWeights(s.wInt8, s.weightBits, !!s.wZero) : undefined;
    for (const [name, dtype] of Object.entries(TENSORS)) {
      const a = (name === 'wPacked' ? packed : name === 'wInt8' && packed ? undefined : s[name as keyof PlanStep]) as ArrayBufferView & { length: number } | undefined;
      if (!a) continue;
      t[name] = [dtype, section(a), a.length];
    }
    return { ...Object.fromEntries(SHAPE_KEYS.map((k) => [k, s[k]])), tensors: t };
  });
  const nodes = plan.graph?.map((n) => {
    const t: Record<string, [DType, number, number]> = {};
    for (const [name, dtype] of Object.entries((n.op === 'step' ? {} : intNode(n.op)?.tensors) ?? floatFormat?.tensors[n.op] ?? {})) {
      const a = (n as unknown as Record<string, ArrayBufferView & { length: number }>)[name];
      t[name] = [dtype, section(a), a.length];
    }
    return { ...Object.fromEntries(NODE_KEYS.map((k) => [k, (n as Record<string, unknown>)[k]])), ...(n.op === 'step' ? { step: n.step } : {}), tensors: t };
  });
  const placed = (t: Record<string, [DType, number, number]>) => Object.fromEntries(Object.entries(t).map(([k, [d, i, n]]) => [k, [d, sections[i].offset, n]]));
  // offsets depend on the header length, which depends on the offsets' digits: iterate to a fixed point
  let json = new Uint8Array(0);
  for (let pass = 0; pass < 4; pass++) {
    let at = (16 + json.length + 15) & ~15;
    for (const s of sections) { s.offset = at; at = (at + s.data.length + 15) & ~15; }
    const header = { inputShape: plan.inputShape, classes: plan.classes, meta: plan.meta, ...(plan.io ? { io: plan.io } : {}),
      ...(plan.inputs ? { inputs: plan.inputs } : {}), ...(plan.outputs ? { outputs: plan.outputs } : {}),
      steps: steps.map((s) => ({ ...s, tensors: placed(s.tensors) })),
      ...(nodes ? { graph: nodes.map((n) => ({ ...n, tensors: placed(n.tensors) })) } : {}) };
    const next = new TextEncoder().encode(JSON.stringify(header));
    if (next.length === json.length) { json = next; break; }
    json = next;
  }
  const end = sections.length ? sections.at(-1)!.offset + sections.at(-1)!.data.length : (16 + json.length + 15) & ~15;
  const out = new Uint8Array(end);
  out.set(MAGIC, 0);
  const dv = new DataView(out.buffer);
  dv.setUint32(4, plan.inputs || plan.outputs ? 3 : plan.graph ? 2 : 1, true);
  dv.setUint32(8, json.length, true);
  out.set(json, 16);
  for (const s of sections) out.set(s.data, s.offset);
  dv.setUint32(12, crc32(out.subarray(16)), true);
  return out;
}

/** Parse and validate a .lbm file into a plan. */
export function decodeModel(bytes: Uint8Array, crc: (b: Uint8Array) => number = crc32): Plan { return parseModel(bytes, crc); }

/** decodeModel with the CRC-32 given (the Engine's runs in wasm; lowbit/engine then carries no JavaScript one). */
export function parseModel(bytes: Uint8Array, crc: (b: Uint8Array) => number): Plan {
  if (!(bytes instanceof Uint8Array)) throw new LowbitError('BAD_ARGUMENT', 'Engine.load takes the model file as a Uint8Array');
  if (MAGIC.some((b, i) => bytes[i] !== b)) throw bad('not a lowbit model (bad magic; expected a .lbm file written by lowbit)');
  if (bytes.length < 16) throw bad(`truncated: ${bytes.length} bytes, a model needs at least its 16-byte preamble`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = dv.getUint32(4, true);
  if (version < 1 || version > MODEL_VERSION) throw bad(`format version ${version}; this lowbit reads versions 1 to ${MODEL_VERSION} (update lowbit or re-export the model)`);
  const jsonLen = dv.getUint32(8, true);
  if (16 + jsonLen > bytes.length) throw bad(`truncated: the header claims ${jsonLen} bytes but only ${bytes.length - 16} follow`);
  if (crc(bytes.subarray(16)) !== dv.getUint32(12, true)) throw bad('checksum mismatch: the file is corrupt or truncated');
  const parsed = parseJsonHeader(bytes.subarray(16, 16 + jsonLen));
  if ('error' in parsed) throw bad(parsed.error);
  const h = parsed.value as Record<string, unknown>;
  if (typeof h !== 'object' || h === null || Array.isArray(h)) throw bad('the header must be a JSON object');
  const inputShape = shape3(h.inputShape, 'inputShape');
  if (!Array.isArray(h.classes) || h.classes.length < 1 || h.classes.length > MAX_CHANNELS || !h.classes.every((c) => typeof c === 'string')) throw bad('classes must be a non-empty array of names');
  const meta = typeof h.meta === 'object' && h.meta !== null && !Array.isArray(h.meta) ? (h.meta as Record<string, unknown>) : {};
  // a graph plan of float nodes only (an imported float model) has no integer steps
  const minSteps = version > 1 && Array.isArray(h.graph) ? 0 : 1;
  if (!Array.isArray(h.steps) || h.steps.length < minSteps || h.steps.length > MAX_STEPS) throw bad(`steps must be an array of ${minSteps}..${MAX_STEPS} layers`);
  /** a tensors object's arrays, each copied out of the file after its bounds are checked */
  const readTensors = (t: unknown, at: string, allowed: Record<string, DType>, into: Record<string, unknown>) => {
    if (typeof t !== 'object' || t === null || Array.isArray(t)) throw bad(`${at}.tensors must be an object`);
    for (const [name, spec] of Object.entries(t as Record<string, unknown>)) {
      const dtype = allowed[name];
      if (!dtype) throw bad(`${at} has an unknown tensor '${name}'`);
      if (!Array.isArray(spec) || spec.length !== 3 || spec[0] !== dtype) throw bad(`${at}.tensors.${name} must be ["${dtype}", offset, length]`);
      const offset = int(spec[1], `${at}.tensors.${name} offset`, 16 + jsonLen, bytes.length), length = int(spec[2], `${at}.tensors.${name} length`, 0, MAX_TENSOR_BYTES);
      if (offset % 16) throw bad(`${at}.tensors.${name} is not 16-byte aligned`);
      const View = ARRAYS[dtype], end = offset + length * View.BYTES_PER_ELEMENT;
      if (end > bytes.length) throw bad(`${at}.tensors.${name} runs past the end of the file`);
      into[name] = new View(new Uint8Array(bytes.subarray(offset, end)).buffer); // a fresh buffer: bytes may be a view into a larger pool
    }
  };
  const steps = h.steps.map((raw: unknown, i: number): PlanStep => {
    if (typeof raw !== 'object' || raw === null) throw bad(`step ${i} must be an object`);
    const r = raw as Record<string, unknown>, at = `step ${i}`;
    const s = {} as PlanStep & Record<string, unknown>;
    STEP_FIELDS.forEach(([k, a, b], j) => {
      if (j < OPTIONAL_FIELD || (version > 1 && r[k] !== undefined)) s[k] = typeof a === 'number' ? int(r[k], `${at}.${k}`, a, b!) : oneOf(r[k], `${at}.${k}`, a);
    });
    if (version === 1 && s.output === 'stream') throw bad(`${at}: stream outputs need a version 2 (graph) file`);
    readTensors(r.tensors, at, TENSORS, s as unknown as Record<string, unknown>);
    const packed = (s as unknown as { wPacked?: Uint8Array }).wPacked;
    if (packed) {
      delete (s as unknown as { wPacked?: Uint8Array }).wPacked;
      const n = s.out * s.k * s.k * Math.floor(s.c / (s.groups ?? 1)), fb = s.weightBits <= 2 ? 2 : 4;
      if (s.weights !== 'int8' || s.weightBits > 4 || s.wInt8) throw bad(`${at}: packed weights are for 2..4-bit integer weights only`);
      if (packed.length !== Math.ceil((n * fb) / 8)) throw bad(`${at}: wPacked must hold ${Math.ceil((n * fb) / 8)} bytes for ${n} ${s.weightBits}-bit codes`);
      s.wInt8 = unpackWeights(packed, n, s.weightBits, !!s.wZero);
    }
    return s;
  });
  const plan: Plan = { inputShape, classes: h.classes as string[], steps, meta };
  if (version === 3) needMultiIO().parse(h, plan);
  if (version > 1) {
    if (!Array.isArray(h.graph) || h.graph.length < 1 || h.graph.length > MAX_NODES) throw bad(`graph must be an array of 1..${MAX_NODES} nodes`);
    plan.graph = h.graph.map((raw: unknown, i: number) => parseNode(raw, i, readTensors, planInputs(plan).length));
    if (h.io !== undefined) plan.io = needFloat('io').parseIO(h.io);
  } else if (h.graph !== undefined || h.io !== undefined) throw bad('a version 1 file has no graph');
  validatePlan(plan);
  return plan;
}

export const MAX_NODES = 512;
/** A step's header fields: [name, low, high] for integers, [name, allowed values]; from OPTIONAL_FIELD on, optional and version 2 only. */
const STEP_FIELDS: readonly (readonly [string, number, number] | readonly [string, readonly string[], undefined?])[] = [
  ['kind', ['conv', 'dense']], ['h', 1, MAX_DIM], ['w', 1, MAX_DIM], ['c', 1, MAX_ACTIVATION], ['out', 1, MAX_CHANNELS], ['k', 1, 15],
  ['padding', ['same', 'valid']], ['input', ['pixels', 'codes', 'bits']], ['inBits', 1, 8], ['weights', ['binary', 'int8']], ['weightBits', 1, 8],
  ['output', ['codes', 'bits', 'logits', 'stream']], ['outBits', 1, 32], ['pool', 0, 8],
  ['stride', 1, 8], ['groups', 1, MAX_CHANNELS], ['streamShift', 0, 62], ['inZero', 1, 255]];
const OPTIONAL_FIELD = 14;

/** One graph node's fields, typed and in range (its inputs earlier values: the k inputs or nodes before it; shapes are checked by planValues). */
function parseNode(raw: unknown, i: number, readTensors: (t: unknown, at: string, allowed: Record<string, DType>, into: Record<string, unknown>) => void, k: number): PlanNode {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad(`node ${i} must be an object`);
  const r = raw as Record<string, unknown>, at = `node ${i}`;
  // a float op (an imported model) needs the float format installed
  const kind = intNode(r.op), op = r.op === 'step' || kind ? r.op as PlanNode['op'] : oneOf(r.op, `${at}.op`, Object.keys(needFloat(`${at}.op ${JSON.stringify(r.op)}`).tensors)) as PlanNode['op'];
  const inputs = ints(r.inputs, `${at}.inputs`, 0, k + i - 1, 1, 64);
  const t: Record<string, unknown> = {};
  readTensors(r.tensors ?? {}, at, (kind ? kind.tensors : floatFormat?.tensors[op]) ?? {}, t);
  if (op === 'step') return { op, inputs: [inputs[0]], step: int(r.step, `${at}.step`, 0, MAX_STEPS - 1) };
  return kind ? kind.parse(r, inputs, t, at) : floatFormat!.parseNode(op, r, inputs, t, at);
}

/** Shapes chain, kinds pair with kernels that exist, tensors have the sizes the shapes need. */
export function validatePlan(plan: Plan): void {
  if (!plan.graph) plan.steps.forEach((s, i) => { if (s.stride !== undefined || s.groups !== undefined || s.output === 'stream') throw bad(`step ${i} (${s.kind}): strides, groups and stream outputs need a version 2 (graph) plan`); });
  planValues(plan);
}

/** A plan's values (the k inputs, then node i's output k + i; a chain's step i is node i), each node checked against its inputs. */
export function planValues(plan: Plan): ValueInfo[] {
  const graph = planGraph(plan), ins = planInputs(plan), k = ins.length, outputs = plan.outputs ?? [k + graph.length - 1];
  const values: ValueInfo[] = ins.map((s) => ({ shape: [...s], kind: plan.io ? 'float' : 'pixels', bits: plan.io ? 32 : 8 }));
  if (plan.inputs || plan.outputs) needMultiIO().check(plan, k, graph.length);
  const used = new Set<number>();
  graph.forEach((n, i) => {
    const at = `node ${i} (${n.op})`, last = k + i - 1;
    const need = (cond: boolean, msg: string) => { if (!cond) throw bad(`${at}: ${msg}`); };
    need(n.inputs.length >= 1 && n.inputs.every((x) => Number.isInteger(x) && x >= 0 && x <= last), `inputs must be earlier values (0..${last})`);
    const vin = n.inputs.map((x) => values[x]);
    let out: ValueInfo;
    if (n.op === 'step') {
      need(n.inputs.length === 1 && Number.isInteger(n.step) && n.step >= 0 && n.step < plan.steps.length && !used.has(n.step), 'must run one step of the plan, each step once');
      used.add(n.step);
      const s = plan.steps[n.step];
      out = checkStep(plan, s, plan.graph ? `${at}, step ${n.step}` : `step ${i} (${s.kind})`, vin[0], outputs.indexOf(k + i));
    } else out = (intNode(n.op) ?? needFloat(at)).check(n as never, vin, need);
    need(out.shape.every((d) => d >= 1) && out.shape[0] * out.shape[1] * out.shape[2] <= MAX_ACTIVATION, 'its output is empty or over 16 M values per image');
    values.push(out);
  });
  if (plan.io) {
    const last = values.at(-1)!, io = plan.io;
    if (last.kind !== 'logits' && last.kind !== 'float') throw bad('the last node must output floats');
    needFloat('io').checkIO(io, plan.inputShape, last.shape);
  } else if (outputs.some((v) => values[v].kind !== 'logits')) throw bad('every output must be logits');
  if (used.size !== plan.steps.length) throw bad('every step must be run by a node');
  return values;
}

/** One weight step against the value it reads (`output`: which of the model's outputs it gives, or -1); returns what it outputs. */
function checkStep(plan: Plan, s: PlanStep, at: string, v: ValueInfo, output: number): ValueInfo {
  const need = (cond: boolean, msg: string) => { if (!cond) throw bad(`${at}: ${msg}`); };
  const [h, w, c] = v.shape, stride = s.stride ?? 1, groups = s.groups ?? 1;
  need(v.kind === 'pixels' || v.kind === 'codes' || v.kind === 'bits', `reads a ${v.kind} value; weight layers read pixels, codes or sign bits`);
  if (s.kind === 'conv') {
    need(s.h === h && s.w === w && s.c === c, `input ${s.h}x${s.w}x${s.c} does not match ${h}x${w}x${c}`);
    need(s.padding === 'same' || (s.h >= s.k && s.w >= s.k), `a ${s.k}x${s.k} 'valid' kernel does not fit ${s.h}x${s.w}`);
  } else {
    need(s.h === 1 && s.w === 1 && s.c === h * w * c && s.k === 1, `input ${s.c} does not match ${h}x${w}x${c}`);
    need(s.input !== 'bits' || s.weights !== 'binary' || c % 64 === 0 || h * w === 1, `a binary dense layer reads sign bits of 64-channel multiples or a 1x1 map, got ${h}x${w}x${c}`);
  }
  need(s.input === v.kind && s.inBits === v.bits, `input ${s.input} (${s.inBits} bits) does not match ${v.kind} (${v.bits} bits)`);
  need(!(s.input === 'pixels' && s.weights === 'binary'), 'binary weights on raw pixels are not supported');
  need(s.weights === 'binary' ? s.weightBits === 1 : s.weightBits >= 2, `weightBits ${s.weightBits} does not fit ${s.weights} weights`);
  need(stride === 1 || (s.kind === 'conv' && s.weights === 'int8'), 'strided convs need int8 weights');
  need(groups === 1 || (s.kind === 'conv' && groups === s.c && s.out === s.c && s.weights === 'int8'), 'grouped convs must be depthwise with int8 weights');
  const taps = s.k * s.k, cin = s.c / groups, [oh, ow] = stepConvSize(s);
  need(oh >= 1 && ow >= 1, 'the conv leaves no pixels');
  need(oh * ow * s.out <= MAX_ACTIVATION && s.out * taps * cin <= MAX_TENSOR_BYTES && oh * ow * taps * s.c <= MAX_ACTIVATION * 4, 'the layer is too large (over 16 M outputs or 64 M im2col bytes per image)');
  if (s.weights === 'binary') {
    need(s.wBinary?.length === s.out * taps * 2 * Math.ceil(s.c / 64) && !s.wInt8, `wBinary must hold ${s.out}x${taps} pixels of ${2 * Math.ceil(s.c / 64)} words`);
    need(paddingBitsClear(s.wBinary!, s.c), `wBinary has bits set past channel ${s.c}`);
  } else need(s.wInt8?.length === s.out * taps * cin && !s.wBinary, `wInt8 must hold ${s.out * taps * cin} codes`);
  need((!s.wZero || (s.weights === 'int8' && s.wZero.length === s.out)) && (!s.inZero || (s.input === 'codes' && s.inZero < 2 ** s.inBits)), 'bad zero points');
  const accMax = taps * cin * (s.input === 'pixels' ? 255 : s.input === 'codes' ? 2 ** s.inBits - 1 : 1) * (s.weights === 'binary' ? 1 : s.wZero ? 255 : 127);
  if (s.output === 'codes') {
    need(s.outBits >= 1 && s.outBits <= 8, `code outputs take 1..8 bits, got ${s.outBits}`);
    need(s.thresholds?.length === s.out * (2 ** s.outBits - 1), `thresholds must hold ${s.out} x ${2 ** s.outBits - 1} values`);
    need(s.flip?.length === s.out && s.flip.every((f) => f <= 1), `flip must hold ${s.out} values of 0 or 1`);
  } else if (s.output === 'bits') {
    need(s.outBits === 1, 'bit outputs have outBits 1');
    need(s.thresholds?.length === s.out && s.flip?.length === s.out && s.flip.every((f) => f <= 1), `thresholds and flip must hold ${s.out} values`);
  } else if (s.output === 'stream') {
    need(s.outBits === 32 && s.pool === 0, 'stream outputs have outBits 32 and no pooling');
    need(Number.isInteger(s.streamShift) && s.streamShift! >= 0 && s.streamShift! <= 62, 'streamShift must be an integer in [0, 62]');
    need(s.mult?.length === s.out && s.addend?.length === s.out && s.addend.every((a) => Number.isInteger(a) && Math.abs(a) < 2 ** 62), `mult and addend must hold ${s.out} values (addend integers below 2^62)`);
    // acc * mult + addend in int64: |acc| <= accMax, so the sum stays below 2^63
    const worst = s.mult!.reduce((m, x, c) => Math.max(m, accMax * Math.abs(x) + Math.abs(s.addend![c])), 0);
    need(worst < 2 ** 62, `a stream can overflow 64 bits (${worst.toExponential(2)})`);
  } else {
    need(output >= 0 || plan.io !== undefined, 'only the model outputs may be logits');
    need(s.scale?.length === s.out && s.bias?.length === s.out && s.scale.every(Number.isFinite) && s.bias.every(Number.isFinite), `scale and bias must hold ${s.out} finite values`);
    need(plan.io !== undefined || output > 0 || s.out === plan.classes.length, `${s.out} logits but ${plan.classes.length} class names`);
    need(s.pool === 0, 'no pooling after the logits');
    need(plan.io !== undefined || oh * ow === 1, `the logits layer must give a 1x1 output, got ${oh}x${ow}`);
    // every logit scale * acc + bias must stay a finite float32 for any input: |acc| <= K max|a| max|q|
    const worst = s.scale!.reduce((m, x, c) => Math.max(m, Math.abs(x) * accMax + Math.abs(s.bias![c])), 0);
    need(worst <= MAX_LOGIT, `logits can overflow float32 (|scale| x ${accMax} + |bias| up to ${worst.toExponential(2)})`);
  }
  need(s.pool === 0 || s.kind === 'conv', 'pooling follows conv layers only');
  const shape = stepOutputShape(s);
  need(shape[0] >= 1 && shape[1] >= 1, 'pooling leaves no pixels');
  return { shape, kind: s.output === 'codes' ? 'codes' : s.output, bits: s.output === 'codes' ? s.outBits : s.output === 'bits' ? 1 : 32 };
}
