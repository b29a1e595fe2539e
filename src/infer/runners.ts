// Resident step runners for the Engine: weights are packed into wasm once at load (kernel operand
// layouts), activations stay in wasm between steps, so a prediction copies only the pixels in and
// the logits out. Each runner calls the raw kernels the typed-array API wraps (src/kernels/).
import type { Resident } from './resident.js';
import { convOutputSize } from '../kernels/conv-shape.js';
import { bandRows, bitPanelBytes, i16PanelBytes, PANEL_A, PANEL_B } from '../kernels/operand-sizes.js';
import { flipMasks } from '../kernels/threshold.js';
import { lutPanelBytes } from '../kernels/lut-gemm.js';
import { dotMode } from '../kernels/affine-dot.js';
import type { PlanStep } from './plan.js';
import { stepOutputShape } from './plan.js';

/** Runs one step on `n` images at x (wasm), returning where its output is (valid until its next run). */
export type Runner = (x: number, n: number) => number;

/**
 * A step's thresholds ([out][levels]) with the flip folded into a per-channel sign, level-major
 * ([levels][out]): for a flipped channel "acc < T" is "-acc >= 1 - T" (clamped to int32), so every
 * channel becomes "sign[c] acc >= thr[k][c]" (load time).
 */
export function signedThresholds(s: { out: number; thresholds?: Int32Array; flip?: Uint8Array }, levels: number): { thr: Int32Array; sign: Int32Array } {
  const thr = new Int32Array(levels * s.out), sign = new Int32Array(s.out);
  for (let c = 0; c < s.out; c++) {
    const f = s.flip![c] === 1;
    sign[c] = f ? -1 : 1;
    for (let k = 0; k < levels; k++) { const t = s.thresholds![c * levels + k]; thr[k * s.out + c] = f ? Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, 1 - t)) : t; }
  }
  return { thr, sign };
}

/** Dense binary weights as rows of ceil(c / 32) words (the file keeps 2 * ceil(c / 64) per row). */
function denseBitRows(s: PlanStep): Uint32Array {
  const wpr = Math.ceil(s.c / 32), from = 2 * Math.ceil(s.c / 64), rows = new Uint32Array(s.out * wpr);
  for (let o = 0; o < s.out; o++) rows.set(s.wBinary!.subarray(o * from, o * from + wpr), o * wpr); // load time
  return rows;
}

/**
 * Build the runner of a step whose input is `inShape` ([h, w, c] of the previous step's output, or
 * of the pixels). A 'bits' input is pixels of 2 * ceil(c / 64) u32 words. 1..4-bit codes x binary
 * weights (and dense ternary ones) run on the lookup-table GEMM; wider codes x binary weights on
 * the 8-bit affine kernel (or the relaxed build's dot product) with +-1 int8 weights.
 */
export function makeRunner(r: Resident, s: PlanStep, inShape: readonly [number, number, number]): Runner {
  const wasm = r.heap.wasm;
  const inPixels = inShape[0] * inShape[1], wordsPerPixel = 2 * Math.ceil(inShape[2] / 64), inWords = inPixels * wordsPerPixel;
  const conv = s.kind === 'conv';
  const st = s.stride ?? 1;
  const g = conv ? convOutputSize(s.h, s.w, s.k, s.k, st, st, s.padding === 'same' ? 'same-zero' : 'valid') : { oh: 1, ow: 1, padT: 0, padL: 0 };
  const { oh, ow, padT, padL } = g;
  const taps = s.k * s.k, kk = taps * s.c;
  // outBuf and poolBuf hold what the runner returns; the others are scratch, shared by all steps
  const accBuf = r.slot('acc'), outBuf = r.slot(), poolBuf = r.slot(), colBuf = r.slot('col'), packBuf = r.slot('pack'), u8Buf = r.slot('u8');
  const scratch = r.scratch(512); // kernel scratch: 128 bytes, 512 for convPixels
  let accumulate: (x: number, n: number) => number; // returns the int32 sums [rows][out], or packed bits when fused
  let fusedBits = false;

  /** The 8-bit affine kernel on u8 pixels / codes (or unpacked sign bits) x int8 weights. */
  function affineAccumulate(): (x: number, n: number) => number {
    // affine: u8 pixels / codes x int8 weights; sign bits are unpacked to bytes 0 / 2 with a zero
    // point of 1, so the kernel multiplies the +-1 values they stand for ('same' pads with byte 1: a real 0)
    const fromBits = s.input === 'bits', za = fromBits ? 1 : s.inZero ?? 0;
    let pw8: number;
    if (s.wInt8) pw8 = r.put(s.wInt8);
    else { const wb = r.put(s.wBinary!); pw8 = r.fill(s.out * kk, (p) => wasm.unpackSignsI8(wb, s.out * taps, 2 * Math.ceil(s.c / 64), s.c, p)); } // +-1 int8 weights
    const zs = new Int16Array(Math.ceil(s.out / 8) * 8);
    if (s.wZero) zs.set(s.wZero);
    const zw = r.put(zs), mode = dotMode(r.heap);
    if (conv && !fromBits && kk <= 64) {
      // few taps (a first layer on pixels): the direct conv, no im2col (assembly/conv-pixels.ts)
      const pc = r.fill(wasm.convPixelsBytes(s.out, kk), (p) => wasm.convPixelsPack(pw8, s.out, kk, zw, p));
      return (x: number, n: number) => {
        const acc = accBuf(n * oh * ow * s.out * 4);
        wasm.convPixels(x, n, s.h, s.w, s.c, s.k, s.k, st, st, padT, padL, oh, ow, za, pc, s.out, acc, scratch);
        return acc;
      };
    }
    const pb = mode
      ? r.fill(wasm.affineDotBytesB(s.out, kk), (p) => wasm.affineDotPackB(pw8, kk, s.out, 1, kk, 0, zw, 1, p)) // relaxed build: the 8-bit dot product
      : r.fill(i16PanelBytes(s.out, 8, kk), (p) => wasm.affinePackRows(pw8, s.out, kk, 0, 1, 8, p, zw));
    return (x: number, n: number) => {
      const rows = n * oh * ow;
      let col = x;
      if (fromBits) { col = u8Buf(n * inPixels * inShape[2]); wasm.unpackBitsU8(x, n * inPixels, wordsPerPixel, inShape[2], 2, col); }
      if (conv) { const src = col; col = colBuf(rows * kk); wasm.im2colBytes(src, n, s.h, s.w, s.c, s.k, s.k, st, st, padT, padL, oh, ow, za, col); }
      const acc = accBuf(rows * s.out * 4);
      if (mode) {
        const pa = packBuf(wasm.affineDotBytesA(rows, kk));
        wasm.affineDotPackA(col, rows, kk, kk, mode === 2 ? 1 : 0, pa);
        wasm.affineDotGemm(pa, pb, rows, s.out, kk, za, acc, s.out, scratch);
        return acc;
      }
      const pa = packBuf(i16PanelBytes(rows, 4, kk));
      wasm.affinePackRows(col, rows, kk, za, 0, 4, pa, 0);
      wasm.affineGemm(pa, pb, rows, s.out, kk, acc, scratch);
      return acc;
    };
  }

  if ((s.groups ?? 1) > 1) {
    // depthwise: u8 pixels / codes x int8 weights, one filter per channel (assembly/int-graph.ts);
    // sign bits are unpacked to bytes 0 / 2 with a zero point of 1 (+-1, padding a real 0)
    const wt = new Int32Array(taps * s.c);
    for (let c = 0; c < s.c; c++) for (let t = 0; t < taps; t++) wt[t * s.c + c] = s.wInt8![c * taps + t] - (s.wZero?.[c] ?? 0); // load time
    const pw = r.put(wt), fromBits = s.input === 'bits';
    accumulate = (x, n) => {
      let src = x;
      if (fromBits) { src = u8Buf(n * inPixels * inShape[2]); wasm.unpackBitsU8(x, n * inPixels, wordsPerPixel, inShape[2], 2, src); }
      const acc = accBuf(n * oh * ow * s.out * 4);
      wasm.depthwiseU8(src, n, s.h, s.w, s.c, s.k, s.k, st, st, padT, padL, oh, ow, pw, fromBits ? 1 : s.inZero ?? 0, acc);
      return acc;
    };
  } else if (s.input === 'codes' && !s.inZero && !s.wZero && s.inBits! <= 4 && (s.weights === 'binary' || (!conv && s.wInt8!.every((v) => v * v < 2)))) {
    // +-1 weights x 1..4-bit codes: the lookup-table GEMM (assembly/lut.ts), on im2col rows for a
    // conv (pads are code 0, a real 0 for codes without a zero point). Ternary dense weights
    // (-1, 0, +1) run as two binary halves w = (b1 + b2) / 2: twice the columns, then pairSumHalf.
    const ternary = s.weights === 'int8', outs = ternary ? 2 * s.out : s.out, cw = Math.ceil(s.c / 64), bytes = lutPanelBytes(outs, kk);
    let panels: number;
    if (ternary) {
      // b1 = +1 where w >= 0, then b2 = +1 where w > 0: 2 x out rows of signs, packed to bits
      const q = s.wInt8!, n = q.length, signs = new Float32Array(2 * n), wpr = Math.ceil(s.c / 32);
      for (let i = 0; i < n; i++) { signs[i] = q[i]; signs[n + i] = q[i] - 0.5; } // load time
      const ps = r.put(signs), staged = r.fill(outs * wpr * 4, (p) => wasm.packSignsRows(ps, outs, s.c, p, wpr));
      panels = r.fill(bytes, (p) => wasm.lutPackWeights(staged, outs, 1, s.c, wpr, p));
    } else {
      const wb = r.put(s.wBinary!);
      panels = r.fill(bytes, (p) => wasm.lutPackWeights(wb, outs, conv ? taps : 1, s.c, 2 * cw, p));
    }
    const tables = r.slot('lut'), tableBytes = wasm.lutScratchBytes(kk), bits = s.inBits!;
    accumulate = (x, n) => {
      const rows = n * oh * ow;
      let col = x;
      if (conv) { col = colBuf(rows * kk); wasm.im2colBytes(x, n, s.h, s.w, s.c, s.k, s.k, st, st, padT, padL, oh, ow, 0, col); }
      const acc = accBuf(rows * outs * 4);
      wasm.lutGemm(col, kk, rows, kk, panels, outs, bits, acc, outs, tables(tableBytes));
      if (ternary) wasm.pairSumHalf(acc, n, s.out, acc); // in place: output row i lies before input row i
      return acc;
    };
  } else if (s.input !== 'bits' || s.weights === 'int8') {
    accumulate = affineAccumulate();
  } else if (conv && s.c <= 32) {
    // +-1 x +-1 conv on at most 32 channels: im2col of one u32 per tap (dense rows), the xnor GEMM,
    // then the zero-padding correction (assembly/xnorconv32.ts)
    const cw = Math.ceil(s.c / 64), kb = taps * 32;
    const staged = r.put(s.wBinary!, (p) => wasm.copyBitRows(p, s.out * taps, 2 * cw, s.c, p, 2 * cw));
    const corr = r.fill(taps * s.out * 4, (p) => wasm.tapWeightSums(staged, s.out, taps, cw, s.c, p));
    const rowsW = new Uint32Array(s.out * taps);
    for (let i = 0; i < s.out * taps; i++) rowsW[i] = s.wBinary![i * 2 * cw] & (s.c === 32 ? 0xffffffff : (1 << s.c) - 1); // load time
    const pw = r.put(rowsW), pb = r.fill(bitPanelBytes(s.out, PANEL_B, kb), (p) => wasm.packBitPanels(pw, s.out, taps, kb, PANEL_B, p));
    accumulate = (x, n) => {
      const rows = n * oh * ow, col = colBuf(rows * taps * 4);
      wasm.im2colBits32(x, n, s.h, s.w, 2 * cw, s.k, s.k, padT, padL, oh, ow, col);
      const pa = packBuf(bitPanelBytes(rows, PANEL_A, kb));
      wasm.packBitPanels(col, rows, taps, kb, PANEL_A, pa);
      const acc = accBuf(rows * s.out * 4);
      wasm.xnorGemm(pa, pb, rows, s.out, Math.ceil(kb / 64), kb, acc, s.out, scratch);
      wasm.padCorrection32(acc, n, s.h, s.w, s.k, s.k, padT, padL, oh, ow, corr, s.out, -taps * (32 - s.c));
      return acc;
    };
  } else if (conv) {
    // +-1 x +-1 conv on packed bits (padding with a real 0 through the per-tap correction)
    const cw = Math.ceil(s.c / 64), kv = Math.ceil((taps * cw) / 2);
    const staged = r.put(s.wBinary!, (p) => wasm.copyBitRows(p, s.out * taps, 2 * cw, s.c, p, 2 * cw));
    const pw = r.fill(bitPanelBytes(s.out, PANEL_B, taps * cw * 64), (p) => wasm.packBitPanels(staged, s.out, taps * 2 * cw, taps * cw * 64, PANEL_B, p));
    const corr = s.padding === 'same' ? r.fill(taps * s.out * 4, (p) => wasm.tapWeightSums(staged, s.out, taps, cw, s.c, p)) : 0;
    fusedBits = s.output === 'bits';
    const thr = fusedBits ? r.put(s.thresholds!) : 0, flip = fusedBits ? r.put(flipMasks(s.flip, s.out)) : 0;
    const words = 2 * Math.ceil(s.out / 64);
    accumulate = (x, n) => {
      const outPixels = n * oh * ow;
      const chunk = bandRows(outPixels, kv);
      const col = colBuf(chunk * kv * 16);
      if (!fusedBits) {
        const acc = accBuf(outPixels * s.out * 4);
        wasm.xnorConv2d(x, n, s.h, s.w, cw, pw, s.out, s.k, s.k, 1, 1, padT, padL, oh, ow, 0, corr, kk, col, chunk, acc, 0, 0, 0, scratch);
        return acc;
      }
      const acc = accBuf(chunk * s.out * 4), bits = outBuf(outPixels * words * 4);
      wasm.xnorConv2d(x, n, s.h, s.w, cw, pw, s.out, s.k, s.k, 1, 1, padT, padL, oh, ow, 0, corr, kk, col, chunk, acc, thr, flip, bits, scratch);
      return bits;
    };
  } else {
    // +-1 x +-1 dense: xnor GEMM on bit panels
    const wpr = Math.ceil(s.c / 32), kw64 = Math.ceil(s.c / 64);
    const staged = r.put(denseBitRows(s)), pb = r.fill(bitPanelBytes(s.out, PANEL_B, s.c), (p) => wasm.packBitPanels(staged, s.out, wpr, s.c, PANEL_B, p));
    accumulate = (x, n) => {
      const pa = packBuf(bitPanelBytes(n, PANEL_A, s.c));
      wasm.packBitPanels(x, n, inWords, s.c, PANEL_A, pa);
      const acc = accBuf(n * s.out * 4);
      wasm.xnorGemm(pa, pb, n, s.out, kw64, s.c, acc, s.out, scratch);
      return acc;
    };
  }

  const [ph, pwid] = stepOutputShape(s);
  if (s.output === 'stream') {
    const mult = r.put(s.mult!), addend = r.put(BigInt64Array.from(s.addend!, (v) => BigInt(v))), t = s.streamShift!;
    return (x, n) => {
      const acc = accumulate(x, n), rows = n * oh * ow, out = outBuf(rows * s.out * 4);
      wasm.streamFromAcc(acc, rows, s.out, mult, addend, t, out);
      return out;
    };
  }
  if (s.output === 'logits') {
    const scale = r.put(s.scale!), bias = r.put(s.bias!);
    return (x, n) => {
      const acc = accumulate(x, n), rows = n * oh * ow, out = outBuf(rows * s.out * 4);
      wasm.affineLogits(acc, rows, s.out, scale, bias, out);
      return out;
    };
  }
  if (s.output === 'bits') {
    const words = 2 * Math.ceil(s.out / 64);
    const thr = r.put(s.thresholds!), flip = r.put(flipMasks(s.flip, s.out));
    // pool first on signed sums (bit = sign acc >= T', see signedThresholds), then threshold without flips
    const folded = signedThresholds(s, 1), sign = r.put(folded.sign), thrSigned = r.put(folded.thr);
    const noFlip = r.put(new Int32Array(s.out));
    return (x, n) => {
      const rows = n * oh * ow;
      if (!fusedBits && s.pool) {
        const acc = accumulate(x, n), pr = n * ph * pwid, pooled = poolBuf(pr * s.out * 4), b = outBuf(pr * words * 4);
        wasm.maxPoolSignedI32(acc, n, oh, ow, s.out, s.pool, sign, ph, pwid, pooled);
        wasm.thresholdPack(pooled, pr, s.out, thrSigned, noFlip, b);
        return b;
      }
      let bits = accumulate(x, n);
      if (!fusedBits) { const b = outBuf(rows * words * 4); wasm.thresholdPack(bits, rows, s.out, thr, flip, b); bits = b; }
      if (!s.pool) return bits;
      const pooled = poolBuf(n * ph * pwid * words * 4);
      wasm.maxPoolBits(bits, n, oh, ow, words, s.pool, ph, pwid, pooled);
      return pooled;
    };
  }
  // codes: level-major thresholds with the flip folded into a sign
  const L = 2 ** s.outBits - 1, folded = signedThresholds(s, L);
  const pt = r.put(folded.thr), psign = r.put(folded.sign), ones = r.put(new Int32Array(s.out).fill(1));
  return (x, n) => {
    const rows = n * oh * ow, acc = accumulate(x, n);
    if (!s.pool) {
      const codes = outBuf(rows * s.out);
      wasm.multiThresholdSigned(acc, rows, s.out, pt, L, psign, codes);
      return codes;
    }
    // pool the signed sums first (the codes are monotone in them), then threshold the pooled ones
    const pooledRows = n * ph * pwid, pooled = poolBuf(pooledRows * s.out * 4), codes = outBuf(pooledRows * s.out);
    wasm.maxPoolSignedI32(acc, n, oh, ow, s.out, s.pool, psign, ph, pwid, pooled);
    wasm.multiThresholdSigned(pooled, pooledRows, s.out, pt, L, ones, codes);
    return codes;
  };
}
