import { checkArray, checkInt, checkOut, LowbitError } from '../errors.js';
import { scoped, type Heap } from '../memory.js';

/**
 * How to turn int32 accumulators into 8-bit codes. `multiplier` is the real factor
 * M = s_in * s_w / s_out (one number, or one per channel); `zeroPoint` the output zero point;
 * `min`/`max` the clamp in codes (default the full range of `type`; `min: zeroPoint` fuses ReLU);
 * `bias` an int32 per channel added to the accumulator first.
 */
export interface RequantizeOptions {
  multiplier: number | Float32Array | Float64Array;
  zeroPoint: number;
  type?: 'u8' | 'i8';
  min?: number;
  max?: number;
  bias?: Int32Array;
}

/** Integer form of the multipliers: mult[c] / 2^shift = M[c], mult < 2^31, the largest >= 2^30. */
export interface FixedPointMultipliers {
  mult: Int32Array;
  shift: number;
}

/**
 * Choose one shift for all channels and round each multiplier to an integer:
 * shift = 30 - floor(log2(max M)), so the largest channel keeps 31 significant bits and a channel
 * 2^j times smaller keeps 31 - j. Throws unless every M is finite, > 0 and within [2^-31, 2^30).
 */
export function fixedPointMultipliers(ms: ArrayLike<number>): FixedPointMultipliers {
  let top = 0;
  for (let c = 0; c < ms.length; c++) {
    const v = ms[c];
    if (!(Number.isFinite(v) && v > 0)) {
      throw new LowbitError('BAD_ARGUMENT', `multiplier[${c}] is ${v}; requantization multipliers must be finite and > 0`);
    }
    top = Math.max(top, v);
  }
  const shift = 30 - Math.floor(Math.log2(top));
  if (shift < 1 || shift > 62) {
    throw new LowbitError('BAD_ARGUMENT', `multiplier ${top} is out of range: requantization supports 2^-31 < M < 2^30`);
  }
  const mult = new Int32Array(ms.length);
  for (let c = 0; c < ms.length; c++) {
    const q = Math.round(ms[c] * 2 ** shift);
    if (q < 1) throw new LowbitError('BAD_ARGUMENT', `multiplier[${c}] = ${ms[c]} is over 2^31 times smaller than the largest; it rounds to 0`);
    mult[c] = Math.min(q, 2 ** 31 - 1); // q = 2^31 only when rounding up the top one
  }
  return { mult, shift };
}

/**
 * Requantize acc ([rows][channels] int32) to 8-bit codes with the integer-only rule of
 * assembly/requantize.ts: y = clamp(((acc + bias) * mult + 2^(shift-1)) >> shift + zeroPoint).
 * Rounding is half toward +infinity. Returns Uint8Array (type 'u8', default) or Int8Array ('i8').
 */
export function requantize(heap: Heap, acc: Int32Array, rows: number, channels: number, o: RequantizeOptions, out?: Uint8Array | Int8Array): Uint8Array | Int8Array {
  checkInt('rows', rows);
  checkInt('channels', channels);
  checkArray('acc', acc, Int32Array, rows * channels, `${rows} rows of ${channels} channels`);
  if (typeof o !== 'object' || o === null) throw new LowbitError('BAD_ARGUMENT', 'requantize needs { multiplier, zeroPoint, ... }');
  const type = o.type ?? 'u8';
  if (type !== 'u8' && type !== 'i8') throw new LowbitError('BAD_ARGUMENT', `type must be 'u8' or 'i8', got ${String(type)}`);
  const [tlo, thi] = type === 'u8' ? [0, 255] : [-128, 127];
  checkInt('zeroPoint', o.zeroPoint, tlo, thi);
  const lo = checkInt('min', o.min ?? tlo, tlo, thi);
  const hi = checkInt('max', o.max ?? thi, lo, thi);
  const ms = typeof o.multiplier === 'number' ? new Float64Array(channels).fill(o.multiplier) : o.multiplier;
  if (!(ms instanceof Float32Array || ms instanceof Float64Array) || ms.length !== channels) {
    throw new LowbitError('BAD_ARGUMENT', `multiplier must be a number or a Float32Array/Float64Array of ${channels} (one per channel)`);
  }
  if (o.bias !== undefined) checkArray('bias', o.bias, Int32Array, channels, `one per channel (${channels})`);
  const ctor = type === 'u8' ? Uint8Array : Int8Array;
  checkOut(out, ctor, rows * channels, `${rows} x ${channels} codes`);
  const { mult, shift } = fixedPointMultipliers(ms);
  return scoped(heap, (arena) => {
    const pa = arena.put(acc);
    const pm = arena.put(mult);
    const pbias = o.bias ? arena.put(o.bias) : 0;
    const po = arena.alloc(rows * channels);
    heap.wasm.requantize(pa, rows, channels, pbias, pm, shift, o.zeroPoint, lo, hi, po);
    const result = out ?? new ctor(rows * channels);
    result.set(new ctor(heap.wasm.memory.buffer, po, rows * channels) as never);
    return result;
  });
}
