// Typed reads of a model file's JSON header fields: each returns the value or throws a
// LowbitError('BAD_MODEL') naming the field, the range it must lie in and what the file holds.
import { LowbitError } from '../errors.js';

export const bad = (msg: string) => new LowbitError('BAD_MODEL', `model file: ${msg}`);

export function int(v: unknown, what: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw bad(`${what} must be an integer in [${min}, ${max}], got ${JSON.stringify(v)}`);
  return v;
}

export function ints(v: unknown, what: string, min: number, max: number, lo: number, hi: number): number[] {
  if (!Array.isArray(v) || v.length < lo || v.length > hi) throw bad(`${what} must be an array of ${lo}..${hi} integers`);
  return v.map((x, j) => int(x, `${what}[${j}]`, min, max));
}

export function oneOf<T>(v: unknown, what: string, allowed: readonly T[]): T {
  if (!allowed.includes(v as T)) throw bad(`${what} must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}, got ${JSON.stringify(v)}`);
  return v as T;
}

/** [height, width, channels], each in range. */
export const shape3 = (v: unknown, what: string): [number, number, number] => {
  if (!Array.isArray(v) || v.length !== 3) throw bad(`${what} must be [height, width, channels]`);
  return [int(v[0], `${what}[0]`, 1, MAX_DIM), int(v[1], `${what}[1]`, 1, MAX_DIM), int(v[2], `${what}[2]`, 1, MAX_CHANNELS)];
};

/** Bounds that keep a hostile file from asking for unbounded memory or time. */
export const MAX_DIM = 4096, MAX_CHANNELS = 65536, MAX_STEPS = 64, MAX_TENSOR_BYTES = 256 << 20, MAX_ACTIVATION = 1 << 24;
