// Training checkpoints: the float weights, optimizer state, batch-norm statistics and counters of a
// run, with the run's configuration, so `--resume` continues bit-identically.
// Layout (little-endian), version 2: "LBCKPT\0\0" | u32 version | u32 header bytes | u32 CRC-32 of
// every byte after the 20-byte preamble (header and tensors) | JSON header | zero pad to 4 | f32
// tensors back to back. The header lists every tensor (name, size, offset). Version 1 (read only)
// had a 16-byte preamble and kept the CRC-32 of the tensor bytes alone in the header. decode checks
// all of it, and the header's every field, before anything is copied.
import { LowbitError } from '../errors.js';
import type { Heap } from '../memory.js';
import type { Trainer, EpochSummary } from './trainer.js';
import { crc32 } from '../crc32.js';
import { parseJsonHeader } from '../json-header.js';
import type { GraphJson } from '../graph/model.js';

export { crc32 };

const MAGIC = 'LBCKPT\0\0';
export const CHECKPOINT_VERSION = 2;

interface Entry { name: string; size: number; offset: number }
export interface CheckpointHeader {
  config: Record<string, unknown>;
  scalars: Record<string, number>;
  history: EpochSummary[];
  tensors: Entry[];
  /** the model's graph (ops, configs, edges); absent in checkpoints written before graphs */
  model?: GraphJson;
  /** version 1 only: the CRC-32 of the tensor bytes */
  crc32?: number;
}

/** Serialise a trainer's state (plus `config`, the options that rebuild the same run). */
export function encodeCheckpoint(trainer: Trainer, config: Record<string, unknown>): Uint8Array {
  const heap = trainer.model.heap;
  const parts: { name: string; data: Float32Array }[] = [
    ...[...trainer.tensors(), ...trainer.optionalTensors()].map((t) => ({ name: t.name, data: heap.read(Float32Array, t.ptr, t.size) })),
    ...trainer.buffers().map((b) => ({ name: `${b.name}`, data: b.data })),
  ];
  let offset = 0;
  const tensors = parts.map((p) => { const e = { name: p.name, size: p.data.length, offset }; offset += p.data.length * 4; return e; });
  const data = new Uint8Array(offset);
  parts.forEach((p, i) => data.set(new Uint8Array(p.data.buffer, p.data.byteOffset, p.data.byteLength), tensors[i].offset));
  const header: CheckpointHeader = { config, model: trainer.model.toJSON(), scalars: trainer.scalars(), history: trainer.history, tensors };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const start = (20 + json.length + 3) & ~3;
  const out = new Uint8Array(start + data.length);
  out.set(new TextEncoder().encode(MAGIC), 0);
  const dv = new DataView(out.buffer);
  dv.setUint32(8, CHECKPOINT_VERSION, true);
  dv.setUint32(12, json.length, true);
  out.set(json, 20);
  out.set(data, start);
  dv.setUint32(16, crc32(out.subarray(20)), true);
  return out;
}

const bad = (what: string, msg: string) => new LowbitError('BAD_CHECKPOINT', `${what}: ${msg}`);

/** Parse and validate a checkpoint (magic, version, header, lengths, checksum). */
export function decodeCheckpoint(bytes: Uint8Array, what = 'checkpoint'): { header: CheckpointHeader; data: Uint8Array } {
  if (bytes.length < 16 || new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) throw bad(what, 'not a lowbit training checkpoint (bad magic); pass a file written by `lowbit train --out`');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = dv.getUint32(8, true);
  if (version !== 1 && version !== CHECKPOINT_VERSION) throw bad(what, `format version ${version}, this lowbit reads versions 1 and ${CHECKPOINT_VERSION}`);
  const pre = version === 1 ? 16 : 20;
  if (bytes.length < pre) throw bad(what, `truncated: ${bytes.length} bytes, shorter than the ${pre}-byte preamble`);
  const jsonLen = dv.getUint32(12, true);
  if (pre + jsonLen > bytes.length) throw bad(what, `truncated: the header claims ${jsonLen} bytes, the file has ${bytes.length - pre} after the preamble`);
  if (version === 2 && crc32(bytes.subarray(20)) !== dv.getUint32(16, true)) throw bad(what, 'checksum mismatch; the file is truncated or corrupt');
  const parsed = parseJsonHeader(bytes.subarray(pre, pre + jsonLen));
  if ('error' in parsed) throw bad(what, `${parsed.error}; the file is corrupt`);
  const header = parsed.value as CheckpointHeader;
  checkHeader(header, version, what);
  const start = (pre + jsonLen + 3) & ~3;
  const data = bytes.subarray(start);
  let end = 0;
  for (const t of header.tensors) {
    if (typeof t?.name !== 'string' || !Number.isInteger(t.size) || !Number.isInteger(t.offset) || t.size < 0 || t.offset !== end) {
      throw bad(what, `tensor entry ${JSON.stringify(t)} is malformed; the file is corrupt`);
    }
    end += t.size * 4;
  }
  if (end !== data.length) throw bad(what, `the tensors need ${end} bytes but ${data.length} follow the header; the file is truncated, has trailing bytes, or is corrupt`);
  if (version === 1 && crc32(data) !== header.crc32) throw bad(what, 'checksum mismatch; the file is corrupt');
  return { header, data };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every header field of the type and range a trainer can take. */
function checkHeader(h: CheckpointHeader, version: number, what: string): void {
  const corrupt = (msg: string) => bad(what, `${msg}; the file is corrupt`);
  if (!isRecord(h)) throw corrupt('the header is not a JSON object');
  if (!isRecord(h.config)) throw corrupt('config is missing or not an object');
  if (!Array.isArray(h.tensors)) throw corrupt('tensors is missing or not an array');
  if (!isRecord(h.scalars)) throw corrupt('scalars is missing or not an object');
  for (const [k, v] of Object.entries(h.scalars)) if (typeof v !== 'number' || !Number.isFinite(v)) throw corrupt(`counter '${k}' is not a finite number`);
  const epoch = h.scalars.epoch, epochs = h.config.epochs;
  if (!Number.isInteger(epoch) || epoch < 0 || epoch > 1e6 || (typeof epochs === 'number' && epoch > epochs)) throw corrupt(`epoch ${epoch} is not a whole number of completed epochs in [0, ${typeof epochs === 'number' ? epochs : '1e6'}]`);
  if (!Array.isArray(h.history) || !h.history.every(isRecord)) throw corrupt('history is not an array of epoch summaries');
  if (h.history.length > epoch) throw corrupt(`history lists ${h.history.length} epochs, more than the ${epoch} completed`);
  if (version === 1 && typeof h.crc32 !== 'number') throw corrupt('the header lacks crc32');
}

/** Copy a decoded checkpoint into a trainer built with the same configuration. */
export function restoreCheckpoint(trainer: Trainer, heap: Heap, cp: { header: CheckpointHeader; data: Uint8Array }, what = 'checkpoint'): void {
  const byName = new Map(cp.header.tensors.map((t) => [t.name, t]));
  const f32 = (t: Entry) => new Float32Array(new Uint8Array(cp.data.subarray(t.offset, t.offset + t.size * 4)).buffer);
  const need = (name: string, size: number): Entry => {
    const t = byName.get(name);
    if (!t) throw bad(what, `it has no tensor '${name}': it was written for another model or optimizer (${JSON.stringify(cp.header.config)})`);
    if (t.size !== size) throw bad(what, `tensor '${name}' has ${t.size} values, this model needs ${size}`);
    return t;
  };
  for (const k of Object.keys(trainer.scalars())) {
    if (!Number.isFinite(cp.header.scalars[k])) throw bad(what, `counter '${k}' is missing or not a number; the file is corrupt`);
  }
  const tensors = trainer.tensors(), buffers = trainer.buffers();
  const allOptional = trainer.optionalTensors(), optional = allOptional.filter((t) => byName.has(t.name)); // absent in files written before they existed
  const expected = tensors.length + buffers.length + optional.length;
  if (cp.header.tensors.length !== expected) throw bad(what, `it holds ${cp.header.tensors.length} tensors, this model and optimizer have ${expected}`);
  const staged = tensors.map((t) => f32(need(t.name, t.size)));
  const stagedB = buffers.map((b) => f32(need(b.name, b.data.length)));
  const stagedO = optional.map((t) => f32(need(t.name, t.size)));
  tensors.forEach((t, i) => heap.write(t.ptr, staged[i]));
  buffers.forEach((b, i) => b.data.set(stagedB[i]));
  optional.forEach((t, i) => heap.write(t.ptr, stagedO[i]));
  for (const t of allOptional) t.restored(optional.includes(t)); // a scale from before the restore is no start point
  trainer.restoreScalars(cp.header.scalars, cp.header.history ?? []);
}
