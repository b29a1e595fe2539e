// The wasm kernels only the Engine calls, each against a plain TypeScript reference on awkward
// shapes, through the raw ABI, outputs pre-filled with junk so a skipped write shows.
import { describe, expect, it, beforeAll } from 'vitest';
import type { Lowbit } from '../src/node/index.js';
import { rng } from './reference.js';
import { runtime, poisonHeap } from './helpers.js';
import { dotMode } from '../src/kernels/affine-dot.js';
import { i16PanelBytes } from '../src/kernels/operand-sizes.js';

let lb: Lowbit;
beforeAll(async () => { lb = await runtime(); });

const put = (a: ArrayBufferView) => { const p = lb.heap.alloc(Math.max(16, a.byteLength)); lb.heap.write(p, a); return p; };
const junk = (bytes: number) => { const p = lb.heap.alloc(Math.max(16, bytes)); lb.heap.u8().fill(0xa5, p, p + bytes); return p; };
const i32 = (p: number, n: number) => lb.heap.read(Int32Array, p, n);
const u8 = (p: number, n: number) => lb.heap.u8().slice(p, p + n);
const bitsOf = (words: Uint32Array, at: number, ch: number) => (words[at + (ch >>> 5)] >>> (ch & 31)) & 1;

/** Random sign bits: pixels of wpp words, c valid channels, zero past c. */
function packedSigns(r: () => number, pixels: number, c: number, wpp: number): Uint32Array {
  const w = new Uint32Array(pixels * wpp);
  for (let p = 0; p < pixels; p++) for (let ch = 0; ch < c; ch++) if (r() < 0.5) w[p * wpp + (ch >>> 5)] |= 1 << (ch & 31);
  return w;
}

/** multiThresholdSigned's codes against #{k : sign[c] acc >= thr[k][c]}, counted in float64. */
function expectThresholdCodes(acc: Int32Array, rows: number, c: number, thr: Int32Array, levels: number, sign: Int32Array, what: string): void {
  const out = junk(rows * c);
  lb.wasm.multiThresholdSigned(put(acc), rows, c, put(thr), levels, put(sign), out);
  const got = u8(out, rows * c);
  for (let i = 0; i < rows; i++) for (let ch = 0; ch < c; ch++) {
    let n = 0;
    for (let k = 0; k < levels; k++) if (sign[ch] * acc[i * c + ch] >= thr[k * c + ch]) n++;
    expect(got[i * c + ch], `${what} [${i}][${ch}] acc ${acc[i * c + ch]}`).toBe(n);
  }
}

describe('Engine-only kernels against references', () => {
  it('unpackSignsI8 and unpackBitsU8', () => {
    const r = rng(1);
    for (const [pixels, c] of [[1, 1], [3, 31], [5, 64], [2, 100], [7, 129]]) {
      const wpp = 2 * Math.ceil(c / 64), x = packedSigns(r, pixels, c, wpp), px = put(x);
      poisonHeap(lb, 1 << 16);
      const o8 = junk(pixels * c);
      lb.wasm.unpackSignsI8(px, pixels, wpp, c, o8);
      const got = new Int8Array(u8(o8, pixels * c).buffer);
      for (let p = 0; p < pixels; p++) for (let ch = 0; ch < c; ch++) expect(got[p * c + ch], `${pixels}x${c} [${p}][${ch}]`).toBe(bitsOf(x, p * wpp, ch) ? 1 : -1);
      for (const one of [1, 2]) {
        const ou = junk(pixels * c);
        lb.wasm.unpackBitsU8(px, pixels, wpp, c, one, ou);
        const g = u8(ou, pixels * c);
        for (let p = 0; p < pixels; p++) for (let ch = 0; ch < c; ch++) expect(g[p * c + ch]).toBe(bitsOf(x, p * wpp, ch) * one);
      }
    }
  });

  it('multiThresholdSigned: code = #{k : sign[c] acc >= thr[k][c]}, in i16 lanes where the thresholds fit and beyond', () => {
    const r = rng(2);
    // [rows, c, levels, acc range, threshold start range, threshold step]: the last cases put sums far
    // outside i16 (saturated in the i16 path), thresholds on +-32767 (still i16) and on 32768 / -32768
    // (that group of 8 channels compares in i32)
    const cases: [number, number, number, number, number, number][] = [[1, 1, 1, 400, 300, 20], [3, 5, 3, 400, 300, 20], [4, 8, 15, 400, 300, 20],
      [2, 13, 7, 400, 300, 20], [5, 64, 255, 400, 300, 20], [9, 24, 15, 2e5, 6e4, 9000], [7, 17, 3, 7e4, 0, 32767], [6, 16, 2, 7e4, 0, 32768]];
    for (const [rows, c, levels, aRange, tRange, step] of cases) {
      const acc = Int32Array.from({ length: rows * c }, () => Math.floor((r() - 0.5) * aRange));
      const sign = Int32Array.from({ length: c }, () => (r() < 0.5 ? 1 : -1));
      const thr = new Int32Array(levels * c);
      for (let ch = 0; ch < c; ch++) { let t = Math.floor((r() - 0.5) * tRange) - (tRange ? 0 : step); for (let k = 0; k < levels; k++) { thr[k * c + ch] = t; t += 1 + Math.floor(r() * step); } }
      if (step === 32767) { // every group in i16 with thresholds on its edges, sums on them and beyond
        for (let ch = 0; ch < c; ch++) { thr[ch] = -32767; thr[c + ch] = Math.floor((r() - 0.5) * 100); thr[2 * c + ch] = 32767; }
        for (let ch = 0; ch < c; ch += 3) acc[ch] = sign[ch] * (ch % 2 ? 32767 : -32767);
      }
      if (step === 32768) { // one threshold out of i16 range in each group of 8: both compare in i32
        for (let ch = 0; ch < c; ch++) { thr[ch] = Math.floor((r() - 0.5) * 100) - 100; thr[c + ch] = thr[ch] + 50; }
        thr[c + 3] = 32768; thr[10] = -32768;
        acc[3] = sign[3] * 32767; acc[c + 10] = sign[10] * -40000; // where saturating both sides would say yes
      }
      expectThresholdCodes(acc, rows, c, thr, levels, sign, `rows ${rows} c ${c} levels ${levels}`);
    }
  });

  it('multiThresholdSigned: i16 lanes relative to the rows\' range and the thresholds\' middle, exact on every edge', () => {
    const r = rng(3);
    // per case: each channel's lowest threshold and the span of its levels. Sums are drawn around the
    // thresholds (on them, one past, 32768 and 70000 away); half the calls add rows at the int32
    // extremes. Some channels get thresholds no sum reaches (+-2^31 - 1, and 1 - (2^31 - 1), what a
    // flipped dead channel holds), which count as the rows' range clamps them. Spans of 65534 (i16) and
    // 65535 (i32), thresholds near +-2^31 (i32) and near +-2^30.
    const MAX = 2 ** 31 - 1, cases: [number, number][] = [[1e6, 65534], [-5e6, 65535], [-(2 ** 30), 65534], [2 ** 30 - 65534, 65534],
      [2 ** 30 - 100, 200], [MAX - 65534, 65534], [-MAX, 100], [70000 - MAX, 2 * (MAX - 70000)], [-40000, 20], [123456, 0]];
    for (const levels of [1, 3, 15]) for (const [lo, span] of cases) for (const extremes of [false, true]) for (const sentinels of [false, true]) {
      const rows = 11, c = 19, thr = new Int32Array(levels * c), sign = Int32Array.from({ length: c }, (_, ch) => (ch % 3 ? 1 : -1));
      for (let ch = 0; ch < c; ch++) {
        const base = lo + (ch % 2) * 7; // channels of one group at different offsets
        for (let k = 0; k < levels; k++) thr[k * c + ch] = levels === 1 ? base + (ch % 4 ? 0 : span) : base + Math.round((span * k) / (levels - 1));
      }
      const real = thr.slice();
      if (sentinels) for (let ch = 0; ch < c; ch++) for (let k = 0; k < levels; k++) if ((ch + k) % 5 === 0) thr[k * c + ch] = [MAX, -MAX, 2 - MAX][(ch + k) % 3];
      const near = (t: number) => [t - 1, t, t + 1, t - 32768, t + 32768, t - 70000, t + 70000][Math.floor(r() * 7)];
      const acc = Int32Array.from({ length: rows * c }, (_, i) => {
        const ch = i % c, row = Math.floor(i / c);
        const v = extremes && row === 0 ? MAX : extremes && row === 1 ? -MAX : near(real[Math.floor(r() * levels) * c + ch]);
        return Math.max(-MAX, Math.min(MAX, v)) * sign[ch]; // so that sign * acc is the value drawn
      });
      expectThresholdCodes(acc, rows, c, thr, levels, sign, `lowest ${lo} span ${span} levels ${levels} extremes ${extremes} sentinels ${sentinels}`);
    }
  });

  it('convPixels: direct convolution of u8 pixels with int8 weights (pads, strides, zero points, odd filter counts)', () => {
    const r = rng(7);
    // [n, h, w, c, k, stride, padT, padL, out, za, with filter zero points]
    const cases: [number, number, number, number, number, number, number, number, number, number, boolean][] = [
      [2, 5, 7, 1, 3, 1, 1, 1, 32, 0, false], [1, 9, 6, 3, 3, 2, 1, 0, 13, 0, true], [1, 6, 6, 2, 5, 1, 2, 2, 37, 3, true], [1, 5, 4, 4, 4, 1, 0, 0, 8, 200, false], [1, 3, 3, 1, 1, 1, 0, 0, 1, 0, false]];
    for (const [n, h, w, c, k, st, padT, padL, out, za, zeros] of cases) {
      const oh = Math.floor((h + 2 * padT - k) / st) + 1, ow = Math.floor((w + 2 * padL - k) / st) + 1, taps = k * k * c;
      const x = Uint8Array.from({ length: n * h * w * c }, () => Math.floor(r() * 256));
      const wt = Int8Array.from({ length: out * taps }, () => Math.floor(r() * 255) - 127);
      const wz = Int16Array.from({ length: Math.ceil(out / 8) * 8 }, (_, o) => (zeros && o < out ? Math.floor(r() * 21) - 10 : 0));
      const packed = lb.heap.alloc(lb.wasm.convPixelsBytes(out, taps));
      lb.wasm.convPixelsPack(put(wt), out, taps, put(wz), packed);
      const acc = junk(n * oh * ow * out * 4);
      lb.wasm.convPixels(put(x), n, h, w, c, k, k, st, st, padT, padL, oh, ow, za, packed, out, acc, junk(512));
      const got = i32(acc, n * oh * ow * out);
      for (let img = 0; img < n; img++) for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) for (let o = 0; o < out; o++) {
        let sum = 0;
        for (let ky = 0; ky < k; ky++) for (let kx = 0; kx < k; kx++) for (let ch = 0; ch < c; ch++) {
          const iy = oy * st - padT + ky, ix = ox * st - padL + kx;
          const v = iy >= 0 && iy < h && ix >= 0 && ix < w ? x[((img * h + iy) * w + ix) * c + ch] - za : 0;
          sum += v * (wt[o * taps + (ky * k + kx) * c + ch] - wz[o]);
        }
        expect(got[((img * oh + oy) * ow + ox) * out + o], `${n}x${h}x${w}x${c} k${k} s${st} out ${out} [${img}][${oy}][${ox}][${o}]`).toBe(sum);
      }
    }
  });

  it('maxPoolSignedI32 and maxPoolBits (k x k, stride k, odd sizes drop the edge)', () => {
    const r = rng(3);
    for (const [n, h, w, c, k] of [[1, 2, 2, 1, 2], [2, 5, 7, 6, 2], [1, 9, 9, 13, 3], [3, 4, 6, 64, 2], [2, 5, 7, 8, 2], [1, 3, 3, 12, 2]]) {
      const oh = Math.floor(h / k), ow = Math.floor(w / k);
      const acc = Int32Array.from({ length: n * h * w * c }, () => Math.floor((r() - 0.5) * 1e6));
      const sign = Int32Array.from({ length: c }, () => (r() < 0.5 ? 1 : -1));
      const out = junk(n * oh * ow * c * 4);
      lb.wasm.maxPoolSignedI32(put(acc), n, h, w, c, k, put(sign), oh, ow, out);
      const got = i32(out, n * oh * ow * c);
      const words = 2 * Math.ceil(c / 64), bits = packedSigns(r, n * h * w, c, words);
      const ob = junk(n * oh * ow * words * 4);
      lb.wasm.maxPoolBits(put(bits), n, h, w, words, k, oh, ow, ob);
      const gotBits = new Uint32Array(i32(ob, n * oh * ow * words).buffer);
      for (let b = 0; b < n; b++) for (let y = 0; y < oh; y++) for (let x = 0; x < ow; x++) {
        const o = (b * oh + y) * ow + x;
        for (let ch = 0; ch < c; ch++) {
          let m = -Infinity, any = 0;
          for (let dy = 0; dy < k; dy++) for (let dx = 0; dx < k; dx++) {
            const i = (b * h + y * k + dy) * w + x * k + dx;
            m = Math.max(m, sign[ch] * acc[i * c + ch]);
            any |= bitsOf(bits, i * words, ch);
          }
          expect(got[o * c + ch], `${n}x${h}x${w}x${c} k${k}`).toBe(m);
          expect(bitsOf(gotBits, o * words, ch)).toBe(any);
        }
      }
    }
  });

  it('affineLogits: scale[c] acc + bias[c]', () => {
    const r = rng(4), rows = 3, cols = 11;
    const acc = Int32Array.from({ length: rows * cols }, () => Math.floor((r() - 0.5) * 1e5));
    const scale = Float32Array.from({ length: cols }, () => r() * 0.01), bias = Float32Array.from({ length: cols }, () => r() - 0.5);
    const out = junk(rows * cols * 4);
    lb.wasm.affineLogits(put(acc), rows, cols, put(scale), put(bias), out);
    const got = lb.heap.read(Float32Array, out, rows * cols);
    for (let i = 0; i < rows * cols; i++) expect(got[i]).toBe(Math.fround(scale[i % cols] * acc[i] + bias[i % cols]));
  });

  it('im2colBits32 + xnorGemm + padCorrection32 equal a zero-padded +-1 convolution (<= 32 channels)', () => {
    const r = rng(5);
    for (const [n, h, w, c, cout, k] of [[1, 3, 3, 1, 2, 3], [2, 6, 5, 7, 5, 3], [1, 7, 7, 32, 9, 3], [1, 4, 6, 20, 3, 1]]) {
      const pad = (k - 1) >> 1, oh = h, ow = w, taps = k * k, wpp = 2;
      const x = packedSigns(r, n * h * w, c, wpp), wt = packedSigns(r, cout * taps, c, wpp);
      // the Engine's operands: weights as rows of one u32 per tap, panels for the GEMM
      const rowsW = new Uint32Array(cout * taps);
      for (let i = 0; i < cout * taps; i++) rowsW[i] = wt[i * wpp];
      const corr = junk(taps * cout * 4);
      lb.wasm.tapWeightSums(put(wt), cout, taps, 1, c, corr);
      const kb = taps * 32, kv = Math.ceil(kb / 128);
      const pw = junk(Math.ceil(cout / 6) * 6 * kv * 16);
      lb.wasm.packBitPanels(put(rowsW), cout, taps, kb, 6, pw);
      const rows = n * oh * ow, col = junk(rows * taps * 4);
      lb.wasm.im2colBits32(put(x), n, h, w, wpp, k, k, pad, pad, oh, ow, col);
      const pa = junk(Math.ceil(rows / 2) * 2 * kv * 16);
      lb.wasm.packBitPanels(col, rows, taps, kb, 2, pa);
      const acc = junk(rows * cout * 4);
      lb.wasm.xnorGemm(pa, pw, rows, cout, Math.ceil(kb / 64), kb, acc, cout, junk(64));
      lb.wasm.padCorrection32(acc, n, h, w, k, k, pad, pad, oh, ow, corr, cout, -taps * (32 - c));
      const got = i32(acc, rows * cout);
      for (let b = 0; b < n; b++) for (let y = 0; y < oh; y++) for (let xo = 0; xo < ow; xo++) for (let o = 0; o < cout; o++) {
        let s = 0;
        for (let dy = 0; dy < k; dy++) for (let dx = 0; dx < k; dx++) {
          const iy = y - pad + dy, ix = xo - pad + dx;
          if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue; // zero padding
          for (let ch = 0; ch < c; ch++) s += (bitsOf(x, ((b * h + iy) * w + ix) * wpp, ch) ? 1 : -1) * (bitsOf(wt, (o * taps + dy * k + dx) * wpp, ch) ? 1 : -1);
        }
        expect(got[((b * oh + y) * ow + xo) * cout + o], `${n}x${h}x${w}x${c} -> ${cout}, k${k}`).toBe(s);
      }
    }
  });
  it('affineConvBands: the 8-bit affine conv band by band equals a direct loop (whole images per band, and bands of rows)', () => {
    const r = rng(11), mode = dotMode(lb.heap), wasm = lb.wasm;
    // [n, h, w, c, cout, k, stride, 'same' padding]; the last two need several bands of rows per image
    for (const [n, h, w, c, cout, k, st, same] of [[3, 7, 5, 3, 5, 3, 1, 1], [2, 9, 6, 4, 9, 3, 2, 0], [5, 4, 4, 1, 3, 1, 1, 0], [1, 61, 47, 37, 11, 3, 1, 1], [2, 64, 60, 64, 6, 3, 2, 1]]) {
      const oh = same ? Math.ceil(h / st) : Math.floor((h - k) / st) + 1, ow = same ? Math.ceil(w / st) : Math.floor((w - k) / st) + 1;
      const padT = same ? Math.floor(Math.max((oh - 1) * st + k - h, 0) / 2) : 0, padL = same ? Math.floor(Math.max((ow - 1) * st + k - w, 0) / 2) : 0;
      const kk = k * k * c, xz = Math.floor(r() * 256), x = Uint8Array.from({ length: n * h * w * c }, () => Math.floor(r() * 256));
      const wt = Int8Array.from({ length: cout * kk }, () => Math.floor(r() * 255) - 127), zw = new Int16Array(Math.ceil(cout / 8) * 8);
      for (let o = 0; o < cout; o++) zw[o] = Math.floor(r() * 21) - 10;
      const pw = put(wt), pz = put(zw);
      const pb = mode ? junk(wasm.affineDotBytesB(cout, kk)) : junk(i16PanelBytes(cout, 8, kk));
      if (mode) wasm.affineDotPackB(pw, kk, cout, 1, kk, 0, pz, 1, pb); else wasm.affinePackRows(pw, cout, kk, 0, 1, 8, pb, pz);
      const band = wasm.affineConvBandRows(n, oh, ow, kk);
      expect(band).toBeGreaterThanOrEqual(1);
      if (kk >= 300) expect(band, 'several bands per image').toBeLessThan(oh * ow);
      const col = junk(band * kk), pack = junk(mode ? wasm.affineDotBytesA(band, kk) : i16PanelBytes(band, 4, kk)), out = junk(n * oh * ow * cout * 4), scratch = junk(512);
      wasm.affineConvBands(put(x), n, h, w, c, k, st, padT, padL, oh, ow, xz, mode, pb, cout, col, pack, out, scratch);
      const got = i32(out, n * oh * ow * cout);
      for (let i = 0; i < n; i++) for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) for (let o = 0; o < cout; o++) {
        let s = 0;
        for (let ky = 0; ky < k; ky++) for (let kx = 0; kx < k; kx++) for (let ch = 0; ch < c; ch++) {
          const iy = oy * st - padT + ky, ix = ox * st - padL + kx;
          const v = iy >= 0 && iy < h && ix >= 0 && ix < w ? x[((i * h + iy) * w + ix) * c + ch] : xz;
          s += (v - xz) * (wt[o * kk + (ky * k + kx) * c + ch] - zw[o]);
        }
        const at = ((i * oh + oy) * ow + ox) * cout + o;
        if (got[at] !== s) expect(got[at], `${[n, h, w, c, cout, k, st, same]} at image ${i} (${oy}, ${ox}) out ${o}`).toBe(s);
      }
    }
  });
});
