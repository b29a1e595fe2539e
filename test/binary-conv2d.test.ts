import { describe, expect, it, beforeAll } from 'vitest';
import fc from 'fast-check';
import { LowbitError, type Lowbit, type Padding } from '../src/node/index.js';
import { rng, randomWords, binaryConv2dRef, thresholdPackRef, type ConvRefShape } from './reference.js';
import { runtime, poisonHeap } from './helpers.js';

let lb: Lowbit;
beforeAll(async () => { lb = await runtime(); });

const PADS: Padding[] = ['valid', 'same-one', 'same-zero'];

function run(s: ConvRefShape, seed: number) {
  const r = rng(seed);
  const wpp = 2 * Math.ceil(s.c / 64);
  // random words: channel bits past C are garbage and must be ignored
  const x = randomWords(s.n * s.h * s.w * wpp, r);
  const w = randomWords(s.cout * s.kh * s.kw * wpp, r);
  const opts = { batch: s.n, height: s.h, width: s.w, channels: s.c, filters: s.cout, kernelSize: [s.kh, s.kw] as [number, number], strides: [s.sh, s.sw] as [number, number], padding: s.padding };
  poisonHeap(lb);
  const got = lb.kernels.binaryConv2d(x, w, opts);
  const ref = binaryConv2dRef(x, w, s);
  return { x, w, opts, got, ref, r };
}

describe('binaryConv2d', () => {
  const cases: ConvRefShape[] = [];
  for (const c of [1, 3, 64, 65, 130]) for (const [kh, kw] of [[1, 1], [3, 3], [5, 3]]) for (const [sh, sw] of [[1, 1], [2, 2], [2, 1]]) for (const padding of PADS)
    cases.push({ n: c === 3 ? 2 : 1, h: 7, w: 6, c, cout: c === 65 ? 7 : 13, kh, kw, sh, sw, padding });
  it(`matches a direct convolution on ${cases.length} shapes (channels, kernels, strides, all paddings)`, () => {
    cases.forEach((s, i) => {
      const { got, ref } = run(s, i);
      expect(got, JSON.stringify(s)).toEqual(ref.out);
    });
  });

  it('handles inputs smaller than the kernel with same padding, one pixel, one channel', () => {
    for (const padding of ['same-one', 'same-zero'] as Padding[]) {
      for (const [h, w] of [[1, 1], [2, 1], [2, 3]]) {
        const s: ConvRefShape = { n: 1, h, w, c: 1, cout: 1, kh: 3, kw: 3, sh: 1, sw: 1, padding };
        const { got, ref } = run(s, h * 10 + w);
        expect(got, JSON.stringify(s)).toEqual(ref.out);
      }
    }
  });

  it('the 28x28x64 -> 64 3x3 layer (bench shape) matches, with output bands crossing image rows', () => {
    for (const padding of PADS) {
      const s: ConvRefShape = { n: 2, h: 28, w: 28, c: 64, cout: 64, kh: 3, kw: 3, sh: 1, sw: 1, padding };
      const { got, ref } = run(s, 99);
      expect(got).toEqual(ref.out);
    }
  });

  it('zero padding differs from +1 padding exactly by the border weight sums', () => {
    const base: ConvRefShape = { n: 1, h: 4, w: 4, c: 10, cout: 3, kh: 3, kw: 3, sh: 1, sw: 1, padding: 'same-zero' };
    const z = run(base, 5), o = run({ ...base, padding: 'same-one' }, 5);
    // interior pixels agree; border pixels differ
    const at = (a: Int32Array, y: number, x: number, oc: number) => a[(y * 4 + x) * 3 + oc];
    for (let oc = 0; oc < 3; oc++) {
      expect(at(z.got, 1, 1, oc)).toBe(at(o.got, 1, 1, oc));
      expect(at(z.got, 2, 2, oc)).toBe(at(o.got, 2, 2, oc));
    }
    expect(z.got).not.toEqual(o.got);
  });

  it('fused threshold writes the packed bits that thresholding the sums gives', () => {
    for (const cout of [1, 13, 16, 64, 70]) for (const padding of PADS) {
      const s: ConvRefShape = { n: 1, h: 9, w: 5, c: 33, cout, kh: 3, kw: 3, sh: 1, sw: 2, padding };
      const { x, w, opts, ref, r } = run(s, cout);
      const thresholds = new Int32Array(cout).map(() => Math.floor(r() * 40) - 20);
      const flip = new Uint8Array(cout).map(() => (r() < 0.3 ? 1 : 0));
      const bits = lb.kernels.binaryConv2d(x, w, opts, { thresholds, flip });
      expect(bits, `cout=${cout} ${padding}`).toEqual(thresholdPackRef(ref.out, ref.oh * ref.ow, cout, thresholds, flip));
    }
  });

  it('property: random geometry matches the reference', () => {
    fc.assert(fc.property(
      fc.record({
        n: fc.integer({ min: 1, max: 2 }), h: fc.integer({ min: 1, max: 9 }), w: fc.integer({ min: 1, max: 9 }),
        c: fc.integer({ min: 1, max: 140 }), cout: fc.integer({ min: 1, max: 20 }),
        kh: fc.integer({ min: 1, max: 4 }), kw: fc.integer({ min: 1, max: 4 }),
        sh: fc.integer({ min: 1, max: 3 }), sw: fc.integer({ min: 1, max: 3 }),
        padding: fc.constantFrom<Padding>('valid', 'same-one', 'same-zero'),
      }).filter((s) => s.padding !== 'valid' || (s.kh <= s.h && s.kw <= s.w)),
      fc.integer(),
      (s, seed) => {
        const { got, ref } = run(s, seed);
        expect(got).toEqual(ref.out);
      }), { numRuns: 80, seed: 3 });
  });

  it('rejects bad shapes and options with clear errors', () => {
    const x = new Uint32Array(2 * 4 * 4), w = new Uint32Array(2 * 9);
    const opts = { height: 4, width: 4, channels: 8, filters: 1, kernelSize: 3 };
    expect(() => lb.kernels.binaryConv2d(x, w, { ...opts, height: 5 })).toThrow(/x has 32 elements but 1x5x4 pixels/);
    expect(() => lb.kernels.binaryConv2d(x, w, { ...opts, kernelSize: 5 })).toThrow(/kernel 5x5 is larger than the 4x4 input/);
    expect(() => lb.kernels.binaryConv2d(x, w, { ...opts, padding: 'same' as Padding })).toThrow(/padding must be 'valid', 'same-one' or 'same-zero'/);
    expect(() => lb.kernels.binaryConv2d(x, w, { ...opts, strides: 0 })).toThrow(LowbitError);
    expect(() => lb.kernels.binaryConv2d(x, w, opts, { thresholds: new Int32Array(2) })).toThrow(/threshold.thresholds has 2 elements but one threshold per output channel \(1\)/);
  });
});
