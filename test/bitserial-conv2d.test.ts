import { describe, expect, it, beforeAll } from 'vitest';
import fc from 'fast-check';
import { type Lowbit } from '../src/node/index.js';
import { rng, randomWords, bitserialConv2dRef, type BitserialConvShape } from './reference.js';
import { runtime, poisonHeap } from './helpers.js';

let lb: Lowbit;
beforeAll(async () => { lb = await runtime(); });

type Shape = BitserialConvShape;
const ref = bitserialConv2dRef;

function run(s: Shape, seed: number) {
  const r = rng(seed);
  const x = Uint8Array.from({ length: s.n * s.h * s.w * s.c }, () => Math.floor(r() * (1 << s.bits)));
  const wt = randomWords(s.cout * s.kh * s.kw * 2 * Math.ceil(s.c / 64), r); // channel bits past c: garbage, ignored
  poisonHeap(lb, 1 << 20);
  const got = lb.kernels.bitserialConv2d(x, s.bits, wt, { batch: s.n, height: s.h, width: s.w, channels: s.c, filters: s.cout, kernelSize: [s.kh, s.kw], strides: [s.sh, s.sw], padding: s.padding });
  return { got, want: ref(x, wt, s) };
}

describe('bitserialConv2d', () => {
  it('matches a direct convolution for 1, 2, 3, 4 and 8-bit codes, paddings, strides, channel counts', () => {
    let seed = 0;
    for (const bits of [1, 2, 3, 4, 8]) for (const c of [1, 5, 64, 70]) for (const padding of ['valid', 'same'] as const) for (const [sh, sw] of [[1, 1], [2, 1]]) {
      const s: Shape = { n: c === 5 ? 2 : 1, h: 6, w: 5, c, cout: c === 64 ? 7 : 13, kh: 3, kw: c === 1 ? 2 : 3, sh, sw, padding, bits };
      const { got, want } = run(s, seed++);
      expect(got, JSON.stringify(s)).toEqual(want);
    }
  });

  it('property: random geometry and widths match the reference', () => {
    fc.assert(fc.property(
      fc.record({
        n: fc.integer({ min: 1, max: 2 }), h: fc.integer({ min: 1, max: 7 }), w: fc.integer({ min: 1, max: 7 }),
        c: fc.integer({ min: 1, max: 80 }), cout: fc.integer({ min: 1, max: 14 }),
        kh: fc.integer({ min: 1, max: 3 }), kw: fc.integer({ min: 1, max: 3 }), sh: fc.integer({ min: 1, max: 2 }), sw: fc.integer({ min: 1, max: 2 }),
        padding: fc.constantFrom<'valid' | 'same'>('valid', 'same'), bits: fc.integer({ min: 1, max: 8 }),
      }).filter((s) => s.padding === 'same' || (s.kh <= s.h && s.kw <= s.w)),
      fc.integer(),
      (s, seed) => {
        const { got, want } = run(s, seed);
        expect(got).toEqual(want);
      }), { numRuns: 50, seed: 13 });
  });

  it('takes packed 4- and 2-bit codes (one row of channels per pixel)', () => {
    for (const bits of [4, 2] as const) {
      const s: Shape = { n: 1, h: 5, w: 4, c: 13, cout: 9, kh: 3, kw: 3, sh: 1, sw: 1, padding: 'same', bits };
      const r = rng(bits);
      const x = Uint8Array.from({ length: s.h * s.w * s.c }, () => Math.floor(r() * (1 << bits)));
      const wt = randomWords(s.cout * 9 * 2, r);
      const packed = lb.kernels.packCodes(x, bits, s.h * s.w, s.c);
      const opts = { height: s.h, width: s.w, channels: s.c, filters: s.cout, kernelSize: 3, padding: 'same' as const };
      expect(lb.kernels.bitserialConv2d(packed, bits, wt, opts)).toEqual(ref(x, wt, s));
    }
  });

  it('rejects codes wider than bits', () => {
    const x = new Uint8Array(9).fill(3); x[4] = 4;
    expect(() => lb.kernels.bitserialConv2d(x, 2, new Uint32Array(2 * 9), { height: 3, width: 3, channels: 1, filters: 1, kernelSize: 3 }))
      .toThrow(/x holds the code 4, but 2-bit codes are 0\.\.3/);
  });
});
