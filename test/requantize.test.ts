import { describe, expect, it, beforeAll } from 'vitest';
import fc from 'fast-check';
import { fixedPointMultipliers, type Lowbit } from '../src/node/index.js';
import { rng } from './reference.js';
import { runtime, poisonHeap } from './helpers.js';

let lb: Lowbit;
beforeAll(async () => { lb = await runtime(); });

/** The documented integer rule, in BigInt: clamp(((acc + bias) * mult + 2^(T-1)) >> T + zy). */
function requantizeRef(acc: Int32Array, rows: number, ch: number, mult: Int32Array, shift: Int32Array, zy: number, lo: number, hi: number, bias?: Int32Array): number[] {
  const out: number[] = [];
  for (let r = 0; r < rows; r++) for (let c = 0; c < ch; c++) {
    const x = BigInt((acc[r * ch + c] + (bias ? bias[c] : 0)) | 0);
    const p = Number((x * BigInt(mult[c]) + (1n << BigInt(shift[c] - 1))) >> BigInt(shift[c]));
    out.push(Math.min(hi, Math.max(lo, p + zy)));
  }
  return out;
}

describe('requantize', () => {
  it('is bit-exact with the documented integer rule: per-tensor and per-channel, u8 and i8, ReLU clamp', () => {
    const r = rng(77);
    for (const ch of [1, 3, 4, 5, 16, 33]) for (const rows of [1, 7]) for (const type of ['u8', 'i8'] as const) {
      const acc = Int32Array.from({ length: rows * ch }, () => Math.floor((r() - 0.5) * 2 ** (8 + Math.floor(r() * 24))));
      const perChannel = r() < 0.5;
      const ms = Float64Array.from({ length: ch }, () => (perChannel ? 2 ** (-20 + r() * 18) : 0.0037));
      const bias = r() < 0.5 ? Int32Array.from({ length: ch }, () => Math.floor((r() - 0.5) * 1e5)) : undefined;
      const zeroPoint = type === 'u8' ? Math.floor(r() * 256) : Math.floor(r() * 256) - 128;
      const relu = r() < 0.3;
      const o = { multiplier: ms, zeroPoint, type, bias, min: relu ? zeroPoint : undefined };
      poisonHeap(lb, 1 << 16);
      const got = lb.kernels.requantize(acc, rows, ch, o);
      const { mult, shift } = fixedPointMultipliers(ms);
      const [lo, hi] = type === 'u8' ? [relu ? zeroPoint : 0, 255] : [relu ? zeroPoint : -128, 127];
      expect(got).toBeInstanceOf(type === 'u8' ? Uint8Array : Int8Array);
      expect(Array.from(got), `ch=${ch} rows=${rows} ${type}`).toEqual(requantizeRef(acc, rows, ch, mult, shift, zeroPoint, lo, hi, bias));
    }
  });

  it('stays within one code of exact rounding for per-channel multipliers of any spread (BigInt reference)', () => {
    // exact: round half up of (acc + bias) * M with M the float64 given, in rationals (M * 2^90 is an integer)
    const exact = (a: number, m: number) => Number((BigInt(a) * BigInt(m * 2 ** 90) + (1n << 89n)) >> 90n);
    expect(Array.from(lb.kernels.requantize(new Int32Array([1, 2e8]), 1, 2, { multiplier: new Float64Array([64, 1e-6]), zeroPoint: 0 }))).toEqual([64, 200]);
    const r = rng(5);
    for (let trial = 0; trial < 40; trial++) {
      const ch = 1 + Math.floor(r() * 9), rows = 3;
      const ms = Float64Array.from({ length: ch }, () => 2 ** (-32 + r() * 61)); // 2^-32 .. 2^29 in one call
      const acc = Int32Array.from({ length: rows * ch }, (_, i) => { const m = ms[i % ch]; return Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, Math.round((r() * 400 - 100) / m))); });
      const got = lb.kernels.requantize(acc, rows, ch, { multiplier: ms, zeroPoint: 20, type: 'u8' });
      const { mult, shift } = fixedPointMultipliers(ms);
      expect(Array.from(got)).toEqual(requantizeRef(acc, rows, ch, mult, shift, 20, 0, 255));
      for (let i = 0; i < acc.length; i++) {
        const want = Math.min(255, Math.max(0, exact(acc[i], ms[i % ch]) + 20));
        expect(Math.abs(got[i] - want), `M=${ms[i % ch]} acc=${acc[i]}`).toBeLessThanOrEqual(1);
      }
    }
  });

  it('handles int32 extremes without overflow and rounds ties toward +infinity', () => {
    const acc = new Int32Array([2147483647, -2147483648, 5, -5, 3, -3]);
    // M = 1/2 exactly: 5/2 = 2.5 -> 3, -5/2 = -2.5 -> -2, 3/2 -> 2, -3/2 -> -1
    expect(Array.from(lb.kernels.requantize(acc, 1, 6, { multiplier: 0.5, zeroPoint: 0, type: 'i8' }))).toEqual([127, -128, 3, -2, 2, -1]);
    expect(Array.from(lb.kernels.requantize(acc, 1, 6, { multiplier: 0.5, zeroPoint: 128 }))).toEqual([255, 0, 131, 126, 130, 127]);
  });

  it('stays within one code of float rounding of acc * M', () => {
    fc.assert(fc.property(fc.integer({ min: -(2 ** 24), max: 2 ** 24 }), fc.double({ min: 2 ** -18, max: 0.5, noNaN: true }), fc.integer({ min: 0, max: 255 }),
      (a, m, z) => {
        const y = lb.kernels.requantize(new Int32Array([a]), 1, 1, { multiplier: m, zeroPoint: z })[0];
        const f = Math.min(255, Math.max(0, Math.round(a * m) + z));
        expect(Math.abs(y - f)).toBeLessThanOrEqual(1);
      }), { numRuns: 300, seed: 9 });
  });

  it('rejects bad multipliers, zero points and clamps by name', () => {
    const acc = new Int32Array(4);
    expect(() => lb.kernels.requantize(acc, 2, 2, { multiplier: NaN, zeroPoint: 0 })).toThrow(/multiplier\[0\] is NaN; requantization multipliers must be finite and > 0/);
    expect(() => lb.kernels.requantize(acc, 2, 2, { multiplier: -1, zeroPoint: 0 })).toThrow(/must be finite and > 0/);
    expect(() => lb.kernels.requantize(acc, 2, 2, { multiplier: 2 ** 31, zeroPoint: 0 })).toThrow(/out of range/);
    expect(() => lb.kernels.requantize(acc, 2, 2, { multiplier: 0.1, zeroPoint: 256 })).toThrow(/zeroPoint must be an integer in \[0, 255\]/);
    expect(() => lb.kernels.requantize(acc, 2, 2, { multiplier: 0.1, zeroPoint: 0, type: 'i8' })).not.toThrow();
    expect(() => lb.kernels.requantize(acc, 2, 2, { multiplier: 0.1, zeroPoint: 0, min: 10, max: 5 })).toThrow(/max must be an integer in \[10, 255\]/);
    expect(() => lb.kernels.requantize(acc, 2, 2, { multiplier: new Float32Array(3), zeroPoint: 0 })).toThrow(/multiplier must be a number or a Float32Array\/Float64Array of 2/);
  });
});
