// The threshold search behind every imported quantizer (src/onnx/quant.ts): for monotone per-channel
// functions followed by a quantizer, the integer thresholds equal those found by scanning every sum,
// and each float threshold is the first float32 where the code reaches its level.
import { describe, expect, it } from 'vitest';
import { intThresholds, floatThresholds, quantQuantizer, roundingMode } from '../src/onnx/quant.js';
import { rng } from './reference.js';

const f32 = new Float32Array(1), u32 = new Uint32Array(f32.buffer);
/** The float32 just below v (v finite, not the lowest). */
function below(v: number): number {
  f32[0] = v;
  if (v === 0) { u32[0] = 0x80000001; return f32[0]; }
  u32[0] += v > 0 ? -1 : 1;
  return f32[0];
}

describe('imported quantizers: threshold search', () => {
  // channels: increasing, decreasing, steep, shallow, clipped at both ends, constant
  const cases = (r: () => number) => {
    const C = 8, a = Float64Array.from({ length: C }, (_, c) => [0.013, -0.021, 0.9, 0.0007, 0.05, -0.3, 0.02, 0][c] * (0.5 + r()));
    const b = Float64Array.from({ length: C }, () => (r() - 0.5) * 4);
    return { C, f: (x: number, c: number) => Math.min(6, Math.max(-6, a[c] * x + b[c])), dir: Int8Array.from(a, (v) => Math.sign(v)) };
  };

  it.each([2, 4, 8])('integer thresholds of %i-bit quantizers equal a scan of every sum, for every rounding mode', (bits) => {
    const r = rng(40 + bits);
    for (const mode of ['ROUND', 'CEIL', 'FLOOR', 'HALF_UP', 'DOWN']) {
      const { C, f, dir } = cases(r), bound = Float64Array.from({ length: C }, () => 400 + Math.floor(r() * 600));
      const q = quantQuantizer(new Float64Array(C).fill(0.05 + r() * 0.1), new Float64Array(C).fill(Math.floor(r() * 3)), bits, r() < 0.5, false, roundingMode(mode, 't'), 't');
      const { thresholds, flip } = intThresholds(f, dir, bound, q);
      for (let c = 0; c < C; c++) {
        // the count of levels reached, from the thresholds, against the code itself, at every sum in range
        for (let x = -bound[c] - 1; x <= bound[c] + 1; x++) {
          let n = 0;
          for (let k = 0; k < q.levels; k++) { const t = thresholds[c * q.levels + k]; n += flip[c] ? (x < t ? 1 : 0) : (x >= t ? 1 : 0); }
          if (n !== q.code(f(x, c), c)) expect(n, `${bits}-bit ${mode} channel ${c} sum ${x}`).toBe(q.code(f(x, c), c));
        }
      }
    }
  });

  it('float thresholds of an 8-bit quantizer: the code reaches level k at T_k and not at the float just below', () => {
    const r = rng(47), { C, f, dir } = cases(r);
    const q = quantQuantizer(new Float64Array(C).fill(0.047), new Float64Array(C).fill(3), 8, false, false, roundingMode('ROUND', 't'), 't');
    const { thresholds, flip } = floatThresholds(f, dir, q);
    for (let c = 0; c < C; c++) for (let k = 1; k <= q.levels; k++) {
      const t = thresholds[c * q.levels + k - 1], code = (x: number) => q.code(f(x, c), c);
      if (!Number.isFinite(t)) continue; // never or always reached
      // flip 0: code >= k from t on; flip 1: code >= k below t
      if (flip[c]) { expect(code(t) < k, `channel ${c} level ${k} at ${t}`).toBe(true); expect(code(below(t)) >= k, `channel ${c} level ${k} below ${t}`).toBe(true); }
      else { expect(code(t) >= k, `channel ${c} level ${k} at ${t}`).toBe(true); expect(code(below(t)) < k, `channel ${c} level ${k} below ${t}`).toBe(true); }
    }
  });
});
