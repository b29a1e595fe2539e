// The QONNX quantizers' arithmetic: rounding modes and code ranges, and the search that turns a
// monotone per-channel function followed by a quantizer into integer or float32 thresholds.
import { LowbitError } from '../errors.js';

export type Rounding = (v: number) => number;

/** QONNX rounding_mode values. ROUND is half to even (numpy / ONNX Round). */
export function roundingMode(mode: string, where: string): Rounding {
  switch (mode.toUpperCase()) {
    case 'ROUND': case 'HALF_EVEN': return (v) => { if (!Number.isFinite(v)) return v; const f = Math.floor(v), d = v - f; return d > 0.5 ? f + 1 : d < 0.5 ? f : f % 2 === 0 ? f : f + 1; };
    case 'CEIL': return Math.ceil;
    case 'FLOOR': return Math.floor;
    case 'UP': return (v) => (v >= 0 ? Math.ceil(v) : Math.floor(v));
    case 'DOWN': case 'ROUND_TO_ZERO': return Math.trunc;
    case 'HALF_UP': return (v) => (v >= 0 ? Math.floor(v + 0.5) : -Math.floor(-v + 0.5));
    case 'HALF_DOWN': return (v) => (!Number.isFinite(v) ? v : v >= 0 ? Math.ceil(v - 0.5) : -Math.ceil(-v - 0.5));
    default: throw new LowbitError('CANNOT_COMPILE', `${where}: rounding_mode ${JSON.stringify(mode)} is not one of ROUND, CEIL, FLOOR, UP, DOWN, HALF_UP, HALF_DOWN`);
  }
}

/** A quantizer as lowbit runs it: code(y) in 0..levels for a real y, and the real each code stands for. */
export interface Quantizer {
  levels: number;
  /** per channel: the code of real value y */
  code: (y: number, c: number) => number;
  /** per channel: real = (code + offset[c]) scale[c] */
  scale: Float64Array;
  offset: Float64Array;
  /** +-scale (BipolarQuant): after an integer layer it becomes sign bits */
  bipolar?: boolean;
  /** what besides scale and offset makes channel c's code function differ (MultiThreshold's thresholds) */
  key?: (c: number) => string;
}

/** QONNX Quant: q = clamp(round(y / s + z), lo, hi), code = q - lo, real = (q - z) s. */
export function quantQuantizer(scale: Float64Array, zero: Float64Array, bits: number, signed: boolean, narrow: boolean, round: Rounding, where: string): Quantizer {
  if (!Number.isInteger(bits) || bits < 1 || bits > 8) throw new LowbitError('CANNOT_COMPILE', `${where}: activations of ${bits} bits; lowbit's integer kernels take 1..8`);
  const lo = signed ? -(2 ** (bits - 1)) + (narrow ? 1 : 0) : 0, hi = signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1 - (narrow ? 1 : 0);
  if (scale.some((s) => !(s > 0) || !Number.isFinite(s))) throw new LowbitError('CANNOT_COMPILE', `${where}: quantizer scales must be positive and finite`);
  return {
    levels: hi - lo,
    code: (y, c) => Math.min(hi, Math.max(lo, round(y / scale[c] + zero[c]))) - lo,
    scale, offset: zero.map((z) => lo - z),
  };
}

/** QONNX BipolarQuant: +s for y >= 0, -s otherwise (code 1 / 0). */
export function bipolarQuantizer(scale: Float64Array): Quantizer {
  return { levels: 1, code: (y) => (y >= 0 ? 1 : 0), scale: scale.map((s) => 2 * s), offset: scale.map(() => -0.5), bipolar: true };
}

/** FINN MultiThreshold: code = #{k : y >= thr[c][k]}, real = out_scale code + out_bias. */
export function thresholdQuantizer(thr: Float64Array, channels: number, levels: number, outScale: number, outBias: number): Quantizer {
  return {
    levels, key: (c) => thr.subarray(c * levels, (c + 1) * levels).join(','),
    code: (y, c) => { let n = 0; for (let k = 0; k < levels; k++) n += y >= thr[c * levels + k] ? 1 : 0; return n; },
    scale: new Float64Array(channels).fill(outScale), offset: new Float64Array(channels).fill(outScale === 0 ? 0 : outBias / outScale),
  };
}

/** The smallest x in [lo, hi] (integers) with pred(x), or hi + 1 when none; pred monotone (false then true). */
function firstTrue(lo: number, hi: number, pred: (x: number) => boolean): number {
  if (!pred(hi)) return hi + 1;
  while (lo < hi) { const m = Math.floor((lo + hi) / 2); if (pred(m)) hi = m; else lo = m + 1; }
  return lo;
}

/**
 * firstTrue, starting from a guess: steps of 1, 2, 4, ... away from it until pred changes, then
 * bisection inside that bracket. The same answer for any guess; about 2 log2(|answer - guess|) + 2
 * evaluations instead of log2(hi - lo).
 */
function firstTrueNear(lo: number, hi: number, guess: number, pred: (x: number) => boolean): number {
  const g = Math.min(hi, Math.max(lo, guess));
  let a: number, b: number; // pred(a) false, pred(b) true, a < b: the answer is in (a, b]
  if (pred(g)) {
    b = g;
    for (let step = 1; ; step *= 2) {
      if (b - step < lo) { if (pred(lo)) return lo; a = lo; break; }
      if (!pred(b - step)) { a = b - step; break; }
      b -= step;
    }
  } else {
    a = g;
    for (let step = 1; ; step *= 2) {
      if (a + step >= hi) { if (!pred(hi)) return hi + 1; b = hi; break; }
      if (pred(a + step)) { b = a + step; break; }
      a += step;
    }
  }
  while (b - a > 1) { const m = Math.floor((a + b) / 2); if (pred(m)) b = m; else a = m; }
  return b;
}

/**
 * The thresholds of code(f(x)) for x in an ordered domain of integers [lo, hi] standing for inputs
 * at(x), f monotone per channel: non-decreasing gives flip 0 and code = #{k : x >= T_k};
 * non-increasing gives flip 1 and code = #{k : x < T_k}. `dir[c]` is +1, -1 or 0 (constant).
 * T_k is found by bisection; `out` maps it to the stored threshold (and past the range to never or
 * always). A channel whose `key` equals an earlier one's (per-tensor parameters) copies its thresholds.
 */
function searchThresholds<T extends Int32Array | Float32Array>(thr: T, f: (x: number, c: number) => number, dir: Int8Array, q: Quantizer,
  range: (c: number) => [number, number], at: (x: number) => number, out: (t: number, lo: number, hi: number) => number, key?: (c: number) => string): { thresholds: T; flip: Uint8Array } {
  const C = dir.length, L = q.levels, flip = new Uint8Array(C), seen = new Map<string, number>();
  for (let c = 0; c < C; c++) {
    const k0 = key?.(c), twin = k0 === undefined ? undefined : seen.get(k0);
    if (twin !== undefined) { thr.copyWithin(c * L, twin * L, (twin + 1) * L); flip[c] = flip[twin]; continue; }
    if (k0 !== undefined) seen.set(k0, c);
    const [lo, hi] = range(c), code = (x: number) => q.code(f(at(x), c), c);
    flip[c] = dir[c] < 0 ? 1 : 0;
    // thresholds move one way as k grows (up for flip 0, down for flip 1), about evenly for a
    // uniform quantizer: each search starts where the last two predict the next
    let t1 = 0, t2 = 0;
    for (let k = 1; k <= L; k++) {
      // flip 0: code >= k from T on; flip 1: code >= k below T
      const pred = dir[c] < 0 ? (x: number) => code(x) < k : (x: number) => code(x) >= k;
      const t = k === 1 ? firstTrue(lo, hi, pred) : firstTrueNear(lo, hi, k === 2 ? t1 : 2 * t1 - t2, pred);
      thr[c * L + k - 1] = out(t, lo, hi);
      t2 = t1; t1 = t;
    }
  }
  return { thresholds: thr, flip };
}

/** Integer thresholds on a layer's sums acc in [-bound[c] - 1, bound[c] + 1] (int32 extremes past it). */
export function intThresholds(f: (x: number, c: number) => number, dir: Int8Array, bound: Float64Array, q: Quantizer, key?: (c: number) => string): { thresholds: Int32Array; flip: Uint8Array } {
  const I32_MIN = -(2 ** 31), I32_MAX = 2 ** 31 - 1;
  return searchThresholds(new Int32Array(dir.length * q.levels), f, dir, q, (c) => [-bound[c] - 1, bound[c] + 1], (x) => x,
    (t, lo, hi) => (t > hi ? I32_MAX : t <= lo ? I32_MIN : t), key && ((c) => `${key(c)}/${bound[c]}`));
}

/** Float32 values in order, as integers: the key of every finite float32 and of +-Infinity. */
const f32 = new Float32Array(1), i32 = new Int32Array(f32.buffer);
function keyOf(v: number): number { f32[0] = v; const b = i32[0]; return b >= 0 ? b : -(b & 0x7fffffff); }
function valueOf(k: number): number { i32[0] = k >= 0 ? k : -k | 0x80000000; return f32[0]; }

/** Float32 thresholds on float values: T_k the first float32 (or +-Infinity) where the code changes. */
export function floatThresholds(f: (x: number, c: number) => number, dir: Int8Array, q: Quantizer, key?: (c: number) => string): { thresholds: Float32Array; flip: Uint8Array } {
  const lo = keyOf(-Infinity), hi = keyOf(Infinity);
  return searchThresholds(new Float32Array(dir.length * q.levels), f, dir, q, () => [lo, hi], valueOf,
    (t) => (t > hi ? Infinity : t <= lo ? -Infinity : valueOf(t)), key);
}
