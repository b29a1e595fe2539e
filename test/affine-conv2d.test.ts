import { describe, expect, it, beforeAll } from 'vitest';
import fc from 'fast-check';
import { type Lowbit } from '../src/node/index.js';
import { rng, randomBytes, affineConv2dRef, type AffineConvShape } from './reference.js';
import { runtime, poisonHeap } from './helpers.js';

let lb: Lowbit;
beforeAll(async () => { lb = await runtime(); });

function run(s: AffineConvShape, seed: number, signed: boolean, xz: number, wz: number) {
  const r = rng(seed);
  const x = randomBytes(s.n * s.h * s.w * s.c, r);
  const w8 = randomBytes(s.cout * s.kh * s.kw * s.c, r);
  const w = signed ? new Int8Array(w8.buffer) : w8;
  poisonHeap(lb, 1 << 20);
  const got = lb.kernels.affineConv2d(x, xz, w, wz, { batch: s.n, height: s.h, width: s.w, channels: s.c, filters: s.cout, kernelSize: [s.kh, s.kw], strides: [s.sh, s.sw], padding: s.padding });
  return { got, want: affineConv2dRef(x, xz, w, wz, s).out };
}

describe('affineConv2d (ConvInteger semantics, NHWC)', () => {
  it('matches a direct convolution over channels, kernels, strides, paddings and zero points', () => {
    let seed = 0;
    for (const c of [1, 3, 8, 17]) for (const [kh, kw] of [[1, 1], [3, 3], [2, 3]]) for (const [sh, sw] of [[1, 1], [2, 1]]) for (const padding of ['valid', 'same'] as const) {
      const signed = seed % 2 === 0;
      const [xz, wz] = signed ? [[0, 0], [255, -128], [128, 127]][seed % 3] : [[0, 0], [255, 255], [3, 128]][seed % 3];
      const s: AffineConvShape = { n: c === 3 ? 2 : 1, h: 6, w: 5, c, cout: c === 8 ? 9 : 4, kh, kw, sh, sw, padding };
      const { got, want } = run(s, seed++, signed, xz, wz);
      expect(got, JSON.stringify({ ...s, xz, wz, signed })).toEqual(want);
    }
  });

  it('property: random geometry matches the reference', () => {
    fc.assert(fc.property(
      fc.record({
        n: fc.integer({ min: 1, max: 2 }), h: fc.integer({ min: 1, max: 7 }), w: fc.integer({ min: 1, max: 7 }),
        c: fc.integer({ min: 1, max: 20 }), cout: fc.integer({ min: 1, max: 11 }),
        kh: fc.integer({ min: 1, max: 3 }), kw: fc.integer({ min: 1, max: 3 }), sh: fc.integer({ min: 1, max: 2 }), sw: fc.integer({ min: 1, max: 2 }),
        padding: fc.constantFrom<'valid' | 'same'>('valid', 'same'),
      }).filter((s) => s.padding === 'same' || (s.kh <= s.h && s.kw <= s.w)),
      fc.integer(), fc.boolean(), fc.integer({ min: 0, max: 255 }), fc.integer({ min: -128, max: 127 }),
      (s, seed, signed, xz, wzs) => {
        const { got, want } = run(s, seed, signed, xz, signed ? wzs : wzs + 128);
        expect(got).toEqual(want);
      }), { numRuns: 60, seed: 21 });
  });

  it('takes one weight zero point per filter', () => {
    const r = rng(12);
    const s: AffineConvShape = { n: 1, h: 5, w: 6, c: 7, cout: 11, kh: 3, kw: 3, sh: 1, sw: 1, padding: 'same' };
    const x = randomBytes(s.h * s.w * s.c, r), w = new Int8Array(randomBytes(s.cout * 9 * s.c, r).buffer);
    const wz = Array.from({ length: s.cout }, () => Math.floor(r() * 256) - 128);
    const got = lb.kernels.affineConv2d(x, 4, w, wz, { height: s.h, width: s.w, channels: s.c, filters: s.cout, kernelSize: 3, padding: 'same' });
    expect(got).toEqual(affineConv2dRef(x, 4, w, wz, s).out);
  });

  it('rejects bad options by name', () => {
    const x = new Uint8Array(4 * 4 * 2), w = new Int8Array(9 * 2);
    const o = { height: 4, width: 4, channels: 2, filters: 1, kernelSize: 3 };
    expect(() => lb.kernels.affineConv2d(x, 0, w, 0, { ...o, padding: 'same-zero' as never })).toThrow(/padding must be 'valid' or 'same'/);
    expect(() => lb.kernels.affineConv2d(x, 0, w, 0, { ...o, channels: 3 })).toThrow(/x has 32 elements but 1x4x4x3 \(NHWC\) needs 48/);
    expect(() => lb.kernels.affineConv2d(x, 300, w, 0, o)).toThrow(/xZero must be an integer in \[0, 255\]/);
  });
});

describe('affineConv2d with sub-byte weights', () => {
  it('4- and 2-bit weight codes (one per byte or packed) match the reference', () => {
    const r = rng(41);
    for (const bits of [4, 2]) for (const [c, cout, kh, padding] of [[3, 5, 3, 'same'], [8, 9, 1, 'valid'], [5, 16, 3, 'valid'], [17, 3, 2, 'same']] as const) {
      const s: AffineConvShape = { n: 1, h: 6, w: 5, c, cout, kh, kw: kh, sh: 1, sw: 1, padding };
      const x = randomBytes(s.h * s.w * c, r);
      const k = kh * kh * c;
      const w = Uint8Array.from({ length: cout * k }, () => Math.floor(r() * (1 << bits)));
      const xz = Math.floor(r() * 256), wz = Math.floor(r() * (1 << bits));
      const opts = { height: s.h, width: s.w, channels: c, filters: cout, kernelSize: kh, padding };
      const want = affineConv2dRef(x, xz, w, wz, s).out;
      expect(lb.kernels.affineConv2d(x, xz, w, wz, { ...opts, wBits: bits }), `bits=${bits} c=${c} cout=${cout} k=${kh}`).toEqual(want);
      expect(lb.kernels.affineConv2d(x, xz, lb.kernels.packCodes(w, bits, cout, k), wz, opts)).toEqual(want);
    }
    const x = new Uint8Array(9), w = new Uint8Array(9).fill(1);
    const o = { height: 3, width: 3, channels: 1, filters: 1, kernelSize: 3 };
    expect(() => lb.kernels.affineConv2d(x, 0, w, [0], { ...o, wBits: 4 })).toThrow(/wZero must be one number for 4-bit weights/);
    expect(() => lb.kernels.affineConv2d(x, 0, w, 0, { ...o, wBits: 3 })).toThrow(/wBits must be 8, 4 or 2/);
    expect(() => lb.kernels.affineConv2d(x, 0, new Uint8Array(9).fill(5), 0, { ...o, wBits: 2 })).toThrow(/w holds the code 5, but 2-bit codes are 0\.\.3/);
  });
});
