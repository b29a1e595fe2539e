import { checkArray, checkInt, checkOptions, checkOut, LowbitError } from '../errors.js';
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

/** Integer form of the multipliers: M[c] = mult[c] / 2^shift[c], with 2^30 <= mult[c] < 2^31. */
export interface FixedPointMultipliers {
  mult: Int32Array;
  /** per channel, in 1..62 */
  shift: Int32Array;
}

/**
 * Round each multiplier to 31 significant bits: shift[c] = 30 - floor(log2 M[c]), so every channel,
 * however small next to the others, keeps its precision (the result is then within one code of
 * exact rounding of (acc + bias) M). Throws unless every M is finite, > 0 and within [2^-32, 2^30).
 */
export function fixedPointMultipliers(ms: ArrayLike<number>): FixedPointMultipliers {
  const mult = new Int32Array(ms.length), shift = new Int32Array(ms.length);
  for (let c = 0; c < ms.length; c++) {
    const v = ms[c];
    if (!(Number.isFinite(v) && v > 0)) {
      throw new LowbitError('BAD_ARGUMENT', `multiplier[${c}] is ${v}; requantization multipliers must be finite and > 0`);
    }
    let t = 30 - Math.floor(Math.log2(v));
    if (t < 1 || t > 62) {
      throw new LowbitError('BAD_ARGUMENT', `multiplier[${c}] = ${v} is out of range: requantization supports 2^-32 <= M < 2^30`);
    }
    let q = Math.round(v * 2 ** t);
    if (q >= 2 ** 31) { q /= 2; t -= 1; } // rounding up to 2^31: the same value with one bit less
    if (t < 1) throw new LowbitError('BAD_ARGUMENT', `multiplier[${c}] = ${v} is out of range: requantization supports 2^-32 <= M < 2^30`);
    mult[c] = q;
    shift[c] = t;
  }
  return { mult, shift };
}

/**
 * Requantize acc ([rows][channels] int32) to 8-bit codes with the integer-only rule of
 * assembly/requantize.ts: y = clamp(((acc + bias) * mult[c] + 2^(shift[c]-1)) >> shift[c] + zeroPoint).
 * Rounding is half toward +infinity. Returns Uint8Array (type 'u8', default) or Int8Array ('i8').
 */
export function requantize(heap: Heap, acc: Int32Array, rows: number, channels: number, o: RequantizeOptions, out?: Uint8Array | Int8Array): Uint8Array | Int8Array {
  checkInt('rows', rows);
  checkInt('channels', channels);
  checkArray('acc', acc, Int32Array, rows * channels, `${rows} rows of ${channels} channels`);
  if (typeof o !== 'object' || o === null) throw new LowbitError('BAD_ARGUMENT', 'requantize needs { multiplier, zeroPoint, ... }');
  checkOptions('requantize', o, ['multiplier', 'zeroPoint', 'type', 'min', 'max', 'bias']);
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
    const common = shift.every((t) => t === shift[0]);
    const ps = common ? 0 : arena.put(shift);
    heap.wasm.requantize(pa, rows, channels, pbias, pm, common ? shift[0] : 0, o.zeroPoint, lo, hi, po, ps);
    const result = out ?? new ctor(rows * channels);
    result.set(new ctor(heap.wasm.memory.buffer, po, rows * channels) as never);
    return result;
  });
}
