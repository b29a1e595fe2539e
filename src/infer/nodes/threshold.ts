// A stream to codes ([c][2^outBits - 1] thresholds) or sign bits ([c] thresholds), with a flip per
// channel, as a weight step's output does; pool k > 0: k x k max pooling (stride k) first, of the
// stream times -1 in flipped channels. Kernels: assembly/threshold.ts, assembly/pool.ts.
import { int, oneOf } from '../header-fields.js';
import { flipMasks } from '../../kernels/threshold.js';
import type { NodeOp } from './node-op.js';

export interface ThresholdNode { op: 'threshold'; inputs: [number]; output: 'codes' | 'bits'; outBits: number; thresholds: Int32Array; flip: Uint8Array; pool?: number }

/**
 * Thresholds ([out][levels]) with the flip folded into a per-channel sign, level-major
 * ([levels][out]): for a flipped channel "acc < T" is "-acc >= 1 - T" (clamped to int32), so every
 * channel becomes "sign[c] acc >= thr[k][c]" (load time).
 */
export function signedThresholds(out: number, thresholds: Int32Array, flip: Uint8Array, levels: number): { thr: Int32Array; sign: Int32Array } {
  const thr = new Int32Array(levels * out), sign = new Int32Array(out);
  for (let c = 0; c < out; c++) {
    const f = flip[c] === 1;
    sign[c] = f ? -1 : 1;
    for (let k = 0; k < levels; k++) { const t = thresholds[c * levels + k]; thr[k * out + c] = f ? Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, 1 - t)) : t; }
  }
  return { thr, sign };
}

export const threshold: NodeOp<ThresholdNode> = {
  tensors: { thresholds: 'i32', flip: 'u8' },
  parse: (r, inputs, t, at) => ({
    op: 'threshold', inputs: [inputs[0]], output: oneOf(r.output, `${at}.output`, ['codes', 'bits'] as const), outBits: int(r.outBits, `${at}.outBits`, 1, 8),
    thresholds: (t.thresholds as Int32Array | undefined) ?? new Int32Array(0), flip: (t.flip as Uint8Array | undefined) ?? new Uint8Array(0), ...(r.pool !== undefined ? { pool: int(r.pool, `${at}.pool`, 1, 8) } : {}),
  }),
  check(n, ins, need) {
    const [h, w, c] = ins[0].shape, levels = n.output === 'bits' ? 1 : 2 ** n.outBits - 1;
    need(n.inputs.length === 1 && ins[0].kind === 'stream', 'thresholds one stream');
    need(n.output === 'codes' || n.outBits === 1, 'sign bits have outBits 1');
    need(n.thresholds.length === c * levels && n.flip.length === c && n.flip.every((f) => f <= 1), `thresholds must hold ${c} x ${levels} values and flip ${c} values of 0 or 1`);
    return { shape: n.pool ? [Math.floor(h / n.pool), Math.floor(w / n.pool), c] : [h, w, c], kind: n.output, bits: n.outBits };
  },
  run(r, n, [{ shape: [h, w, c] }], out, { shape: [oh, ow] }) {
    const wasm = r.heap.wasm, k = n.pool ?? 0, pixels = oh * ow;
    const L = n.output === 'bits' ? 1 : 2 ** n.outBits - 1, folded = signedThresholds(c, n.thresholds, n.flip, L);
    const sign = r.put(folded.sign), pooled = r.slot('pool');
    // pooled: the max of the stream times the channel's sign (-1 where flipped), then unflipped thresholds
    const pool = (x: number, count: number) => { const y = pooled(count * pixels * c * 4); wasm.maxPoolSignedI32(x, count, h, w, c, k, sign, oh, ow, y); return y; };
    if (n.output === 'bits') {
      const thr = r.put(k ? folded.thr : n.thresholds), flip = r.put(k ? new Int32Array(c) : flipMasks(n.flip, c)), words = 2 * Math.ceil(c / 64);
      return (xs, count) => { const y = out(count * pixels * words * 4); wasm.thresholdPack(k ? pool(xs[0], count) : xs[0], count * pixels, c, thr, flip, y); return y; };
    }
    const thr = r.put(folded.thr), ones = k ? r.put(new Int32Array(c).fill(1)) : sign;
    return (xs, count) => { const y = out(count * pixels * c); wasm.multiThresholdSigned(k ? pool(xs[0], count) : xs[0], count * pixels, c, thr, L, ones, y); return y; };
  },
};
