// The Engine's graph-node kernels (assembly/int-graph.ts) against plain references on awkward
// shapes: stream requantization in 64-bit, shifted int32 adds, pooling sums of int32 / u8 values,
// and the depthwise u8 x int32 conv with zero points, strides and padding. Bit-exact.
import { describe, expect, it, beforeAll } from 'vitest';
import { type Lowbit } from '../src/node/index.js';
import { rng } from './reference.js';
import { runtime, poisonHeap } from './helpers.js';

let lb: Lowbit;
beforeAll(async () => { lb = await runtime(); });
const put = (a: ArrayBufferView) => { const p = lb.heap.alloc(Math.max(16, a.byteLength)); lb.heap.write(p, a); return p; };
const i32 = (p: number, n: number) => lb.heap.read(Int32Array, p, n);
const ints = (n: number, r: () => number, lo: number, hi: number) => Int32Array.from({ length: n }, () => lo + Math.floor(r() * (hi - lo + 1)));

describe('graph-node kernels', () => {
  it('streamFromAcc: (acc * mult + addend) >> t in int64, clamped to int32', () => {
    const r = rng(1);
    for (const [rows, c, t] of [[3, 7, 20], [1, 1, 0], [5, 13, 31], [4, 8, 32], [3, 9, 33], [2, 4, 62], [64, 12, 1], [64, 12, 30]]) {
      const acc = ints(rows * c, r, -(2 ** 31), 2 ** 31 - 1), mult = ints(c, r, -(2 ** 31), 2 ** 31 - 1);
      const addend = BigInt64Array.from({ length: c }, () => BigInt(Math.floor((r() * 2 - 1) * 2 ** 52)));
      poisonHeap(lb);
      const out = lb.heap.alloc(rows * c * 4);
      lb.wasm.streamFromAcc(put(acc), rows, c, put(mult), put(addend), t, out);
      const got = i32(out, rows * c);
      for (let i = 0; i < rows * c; i++) {
        let v = (BigInt(acc[i]) * BigInt(mult[i % c]) + addend[i % c]) >> BigInt(t);
        if (v > 2n ** 31n - 1n) v = 2n ** 31n - 1n;
        if (v < -(2n ** 31n)) v = -(2n ** 31n);
        expect(got[i], `${rows}x${c} t=${t} at ${i}`).toBe(Number(v));
      }
    }
  });

  it('addShiftedI32: left and arithmetic right shifts, odd lengths', () => {
    const r = rng(2);
    for (const [n, sa, sb] of [[1, 0, 0], [7, 3, -2], [33, -5, 4], [16, 0, -31]]) {
      const a = ints(n, r, -(2 ** 20), 2 ** 20), b = ints(n, r, -(2 ** 20), 2 ** 20), out = lb.heap.alloc(n * 4);
      lb.wasm.addShiftedI32(put(a), sa, put(b), sb, out, n);
      const sh = (x: number, s: number) => (s >= 0 ? x << s : x >> -s);
      expect(Array.from(i32(out, n))).toEqual(Array.from(a, (x, i) => (sh(x, sa) + sh(b[i], sb)) | 0));
    }
  });

  it('sumPoolI32 (64-bit sums, shifted) and sumPoolU8 (less a zero point) over valid windows', () => {
    const r = rng(3);
    for (const s of [{ n: 2, h: 7, w: 5, c: 3, kh: 2, kw: 3, sh: 2, sw: 1, shift: 0 }, { n: 1, h: 4, w: 4, c: 9, kh: 4, kw: 4, sh: 1, sw: 1, shift: 3 }, { n: 3, h: 5, w: 6, c: 1, kh: 3, kw: 2, sh: 3, sw: 2, shift: 1 }]) {
      const oh = Math.floor((s.h - s.kh) / s.sh) + 1, ow = Math.floor((s.w - s.kw) / s.sw) + 1, len = s.n * s.h * s.w * s.c;
      const x = ints(len, r, -(2 ** 30), 2 ** 30), xb = Uint8Array.from({ length: len }, () => Math.floor(r() * 256));
      const out = lb.heap.alloc(s.n * oh * ow * s.c * 4), outB = lb.heap.alloc(s.n * oh * ow * s.c * 4);
      lb.wasm.sumPoolI32(put(x), s.n, s.h, s.w, s.c, s.kh, s.kw, s.sh, s.sw, oh, ow, s.shift, out);
      lb.wasm.sumPoolU8(put(xb), s.n, s.h, s.w, s.c, s.kh, s.kw, s.sh, s.sw, oh, ow, 1, outB);
      const got = i32(out, s.n * oh * ow * s.c), gotB = i32(outB, s.n * oh * ow * s.c);
      for (let b = 0; b < s.n; b++) for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) for (let ch = 0; ch < s.c; ch++) {
        let sum = 0n, sumB = 0;
        for (let ky = 0; ky < s.kh; ky++) for (let kx = 0; kx < s.kw; kx++) {
          const i = ((b * s.h + oy * s.sh + ky) * s.w + ox * s.sw + kx) * s.c + ch;
          sum += BigInt(x[i]); sumB += xb[i] - 1;
        }
        let v = sum >> BigInt(s.shift);
        if (v > 2n ** 31n - 1n) v = 2n ** 31n - 1n;
        if (v < -(2n ** 31n)) v = -(2n ** 31n);
        const at = ((b * oh + oy) * ow + ox) * s.c + ch;
        expect(got[at]).toBe(Number(v));
        expect(gotB[at]).toBe(sumB);
      }
    }
  });

  it("streamFromAcc: exact at the int32 clamp edges (the vector path for t <= 31)", () => {
    // v = acc * 1 + addend just inside and just outside [-2^(31+t), 2^(31+t) - 1], per lane
    for (const t of [0, 4, 31]) {
      const e = 2n ** BigInt(31 + t), vs = [e - 1n, e, -e, -e - 1n, e - 2n ** BigInt(t), -e + 2n ** BigInt(t) - 1n, 0n, -1n];
      const acc = Int32Array.from(vs, (_, i) => (i % 2 ? -7 : 5)), mult = new Int32Array(8).fill(1), addend = BigInt64Array.from(vs, (v, i) => v - BigInt(acc[i]));
      const out = lb.heap.alloc(8 * 4);
      lb.wasm.streamFromAcc(put(acc), 1, 8, put(mult), put(addend), t, out);
      const want = vs.map((v) => { const q = v >> BigInt(t); return Number(q > 2n ** 31n - 1n ? 2n ** 31n - 1n : q < -(2n ** 31n) ? -(2n ** 31n) : q); });
      expect(Array.from(i32(out, 8)), `t=${t}`).toEqual(want);
    }
  });

  it('preluI32: q, or floor(q mult / 2^t) below zero, per channel', () => {
    const r = rng(5), rows = 5, c = 7, t = 20;
    const x = ints(rows * c, r, -(2 ** 30), 2 ** 30), mult = ints(c, r, -(2 ** 21), 2 ** 21), out = lb.heap.alloc(rows * c * 4);
    lb.wasm.preluI32(put(x), rows, c, put(mult), t, out);
    expect(Array.from(i32(out, rows * c))).toEqual(Array.from(x, (q, i) => (q >= 0 ? q : Number((BigInt(q) * BigInt(mult[i % c])) >> BigInt(t))))); 
  });

  it('depthwiseU8: (x - za) * w per channel, strides, zero padding outside the image', () => {
    const r = rng(4);
    for (const s of [{ n: 2, h: 7, w: 6, c: 5, k: 3, st: 2, padT: 1, padL: 1, za: 0 }, { n: 1, h: 5, w: 5, c: 8, k: 3, st: 1, padT: 1, padL: 1, za: 1 }, { n: 1, h: 6, w: 3, c: 13, k: 1, st: 3, padT: 0, padL: 0, za: 7 }]) {
      const oh = Math.floor((s.h + 2 * s.padT - s.k) / s.st) + 1, ow = Math.floor((s.w + 2 * s.padL - s.k) / s.st) + 1, taps = s.k * s.k;
      const x = Uint8Array.from({ length: s.n * s.h * s.w * s.c }, () => Math.floor(r() * 256)), wt = ints(taps * s.c, r, -127, 127);
      const acc = lb.heap.alloc(s.n * oh * ow * s.c * 4);
      lb.wasm.depthwiseU8(put(x), s.n, s.h, s.w, s.c, s.k, s.k, s.st, s.st, s.padT, s.padL, oh, ow, put(wt), s.za, acc);
      const got = i32(acc, s.n * oh * ow * s.c);
      for (let b = 0; b < s.n; b++) for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) for (let ch = 0; ch < s.c; ch++) {
        let sum = 0;
        for (let ky = 0; ky < s.k; ky++) for (let kx = 0; kx < s.k; kx++) {
          const iy = oy * s.st - s.padT + ky, ix = ox * s.st - s.padL + kx;
          if (iy < 0 || iy >= s.h || ix < 0 || ix >= s.w) continue;
          sum += (x[((b * s.h + iy) * s.w + ix) * s.c + ch] - s.za) * wt[(ky * s.k + kx) * s.c + ch];
        }
        expect(got[((b * oh + oy) * ow + ox) * s.c + ch], `${JSON.stringify(s)} ${b},${oy},${ox},${ch}`).toBe(sum);
      }
    }
  });
});
