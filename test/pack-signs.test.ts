import { describe, expect, it, beforeAll } from 'vitest';
import { type Lowbit } from '../src/node/index.js';
import { rng, randomFloats, packSignsRef } from './reference.js';
import { runtime, poisonHeap } from './helpers.js';

let lb: Lowbit;
beforeAll(async () => { lb = await runtime(); });

describe('packSigns', () => {
  it('matches the reference on rows of awkward lengths', () => {
    const r = rng(11);
    for (const k of [1, 5, 31, 32, 33, 63, 64, 65, 127, 128, 129, 1000]) for (const rows of [1, 3, 17]) {
      const x = randomFloats(rows * k, r);
      poisonHeap(lb);
      expect(lb.kernels.packSigns(x, rows, k), `k=${k} rows=${rows}`).toEqual(packSignsRef(x, rows, k));
    }
  });

  it('maps x >= 0 (and -0) to bit 1, x < 0 and NaN to bit 0', () => {
    const x = new Float32Array([0, -0, 1e-30, -1e-30, NaN, Infinity, -Infinity, 3]);
    // bits: 1 1 1 0 0 1 0 1 -> 0b10100111
    expect(Array.from(lb.kernels.packSigns(x, 1, 8))).toEqual([0b10100111]);
    const wide = new Float32Array(40).fill(-1);
    wide[0] = 0; wide[33] = 2;
    expect(Array.from(lb.kernels.packSigns(wide, 1, 40))).toEqual([1, 2]);
  });

  it('packs NHWC pixels into 64-bit words per pixel, tails zero', () => {
    const r = rng(12);
    for (const c of [1, 3, 32, 63, 64, 65, 130]) {
      const pixels = 7, x = randomFloats(pixels * c, r);
      const got = lb.kernels.packSignsNHWC(x, pixels, c);
      const wpp = 2 * Math.ceil(c / 64);
      expect(got.length).toBe(pixels * wpp);
      expect(got, `c=${c}`).toEqual(packSignsRef(x, pixels, c, wpp));
    }
  });

  it('rejects a length that does not match the shape', () => {
    expect(() => lb.kernels.packSigns(new Float32Array(10), 3, 4)).toThrow(/x has 10 elements but 3 rows of 4 floats needs 12/);
    expect(() => lb.kernels.packSignsNHWC(new Float32Array(10), 2, 0)).toThrow(/c must be an integer/);
  });
});
