import { describe, expect, it, beforeAll } from 'vitest';
import fc from 'fast-check';
import { type Lowbit } from '../src/node/index.js';
import { rng, randomWords, randomBytes, bitserialGemmRef, affineGemmRef } from './reference.js';
import { runtime } from './helpers.js';

let lb: Lowbit;
beforeAll(async () => { lb = await runtime(); });

const codes = (len: number, bits: number, r: () => number) => Uint8Array.from({ length: len }, () => Math.floor(r() * (1 << bits)));

/** The documented layout, element by element. */
function packRef(c: Uint8Array, bits: number, rows: number, k: number): Uint8Array {
  const rb = Math.ceil((k * bits) / 8);
  const out = new Uint8Array(rows * rb);
  for (let r = 0; r < rows; r++) for (let t = 0; t < k; t++) out[r * rb + ((t * bits) >> 3)] |= c[r * k + t] << ((t * bits) & 7);
  return out;
}

describe('sub-byte code storage', () => {
  it('packs to the documented layout and unpacks back, 4 and 2 bits, awkward row lengths', () => {
    const r = rng(3);
    for (const bits of [4, 2] as const) for (const k of [1, 3, 15, 16, 17, 33, 100]) for (const rows of [1, 3]) {
      const c = codes(rows * k, bits, r);
      const packed = lb.kernels.packCodes(c, bits, rows, k);
      expect(packed.bits).toBe(bits);
      expect(packed.data, `bits=${bits} k=${k}`).toEqual(packRef(c, bits, rows, k));
      expect(packed.data.length * 8 / bits).toBeLessThan(rows * (k + 8 / bits));
      expect(lb.kernels.unpackCodes(packed, rows, k)).toEqual(c);
    }
  });

  it('a 2-bit matrix takes a quarter of the bytes of one code per byte', () => {
    const c = new Uint8Array(64 * 1024).fill(3);
    expect(lb.kernels.packCodes(c, 2, 64, 1024).data.length).toBe(c.length / 4);
    expect(lb.kernels.packCodes(c, 4, 64, 1024).data.length).toBe(c.length / 2);
  });

  it('kernels consume packed codes: bitserialGemm activations and affineGemmLowBit weights', () => {
    fc.assert(fc.property(fc.constantFrom<2 | 4>(2, 4), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 13 }), fc.integer({ min: 1, max: 150 }), fc.integer(),
      (bits, m, n, k, seed) => {
        const r = rng(seed);
        const a = codes(m * k, bits, r), w = randomWords(n * Math.ceil(k / 32), r);
        expect(lb.kernels.bitserialGemm(lb.kernels.packCodes(a, bits, m, k), bits, w, m, n, k)).toEqual(bitserialGemmRef(a, w, m, n, k));
        const x = randomBytes(m * k, r), b = codes(k * n, bits, r);
        expect(lb.kernels.affineGemmLowBit(x, 5, lb.kernels.packCodes(b, bits, k, n), bits, 1, m, n, k)).toEqual(affineGemmRef(x, 5, b, 1, m, n, k));
      }), { numRuns: 40, seed: 23 });
  });

  it('rejects a mismatched width or length, and codes too wide to pack', () => {
    const p = lb.kernels.packCodes(new Uint8Array(8), 4, 2, 4);
    expect(() => lb.kernels.bitserialGemm(p, 2, new Uint32Array(1), 2, 1, 4)).toThrow(/a is packed at 4 bits but the kernel was asked for 2-bit codes/);
    expect(() => lb.kernels.unpackCodes({ data: new Uint8Array(3), bits: 4 }, 2, 4)).toThrow(/packed\.data has 3 elements but 2 rows of 4 4-bit codes, 2 bytes a row needs 4/);
    expect(() => lb.kernels.packCodes(new Uint8Array([1, 4]), 2, 1, 2)).toThrow(/codes holds the code 4, but 2-bit codes are 0\.\.3/);
    expect(() => lb.kernels.packCodes(new Uint8Array(2), 3, 1, 2)).toThrow(/bits must be 4 or 2/);
  });
});
