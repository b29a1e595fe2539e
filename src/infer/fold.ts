// Folding inference-time float maps into integers: batch norm as a per-channel affine map, and an
// activation after y = A acc + B as integer thresholds on acc (compile.ts explains the algebra).
// Shared by the chain compiler (./compile.ts) and the ops' lowering rules (src/ops/, ./lowering.ts).
import type { BatchNorm } from '../ops/simple.js';
import type { QReLU } from '../ops/activations.js';

/** Streams keep |q| below 2^30: headroom for adds and rounding in int32. */
export const STREAM_BITS = 30;

const I32_MIN = -(2 ** 31), I32_MAX = 2 ** 31 - 1;
const clampI32 = (v: number) => Math.min(I32_MAX, Math.max(I32_MIN, v));

/**
 * Thresholds for the trained affine activation map: code = clip(round(y / s) + z, 0, L) of
 * y = A acc + B, i.e. code = #{k in 1..L : y >= s (k - z - 1/2)} (exact halves aside): for A > 0
 * acc >= ceil(t_k), for A < 0 acc < floor(t_k) + 1 (flip), t_k = (s (k - z - 1/2) - B) / A.
 */
export function roundThresholds(A: ArrayLike<number>, B: ArrayLike<number>, s: number, z: number, levels: number): { thresholds: Int32Array; flip: Uint8Array } {
  const out = A.length, thr = new Int32Array(out * levels), flip = new Uint8Array(out);
  for (let o = 0; o < out; o++) {
    for (let k = 1; k <= levels; k++) {
      const v = s * (k - z - 0.5), t = (v - B[o]) / A[o];
      thr[o * levels + k - 1] = A[o] > 0 ? clampI32(Math.ceil(t)) : A[o] < 0 ? clampI32(Math.floor(t) + 1) : (B[o] >= v ? I32_MIN : I32_MAX);
    }
    flip[o] = A[o] < 0 ? 1 : 0;
  }
  return { thresholds: thr, flip };
}

export function bnAffine(bn: BatchNorm | undefined, c: number): { g: Float64Array; shift: Float64Array } {
  // y = g (z - mean) + beta = g z + shift
  const g = new Float64Array(c).fill(1), shift = new Float64Array(c);
  if (bn) {
    const st = bn.stats();
    for (let i = 0; i < c; i++) {
      g[i] = st.gamma[i] / Math.sqrt(st.variance[i] + st.eps);
      shift[i] = st.beta[i] - st.mean[i] * g[i];
    }
  }
  return { g, shift };
}

/** The resolution a quantized ReLU uses at inference (clamped as in its forward pass). */
export const qreluAlpha = (q: QReLU): number => Math.min(5, Math.max(1e-3, q.value));

/**
 * Thresholds T[c][k] such that code = #{k : acc >= T_k} (flip 0) or #{k : acc < T_k} (flip 1)
 * equals the quantized ReLU's clamp(ceil(y / alpha), 0, L) of y = A acc + B.
 */
export function codeThresholds(A: ArrayLike<number>, B: ArrayLike<number>, alpha: number, levels: number): { thresholds: Int32Array; flip: Uint8Array } {
  const out = A.length, thr = new Int32Array(out * levels), flip = new Uint8Array(out);
  for (let o = 0; o < out; o++) {
    const a = A[o] / alpha, bb = B[o] / alpha;
    for (let k = 1; k <= levels; k++) {
      const t = (k - 1 - bb) / a;
      thr[o * levels + k - 1] = a > 0 ? clampI32(Math.floor(t) + 1) : a < 0 ? clampI32(Math.ceil(t)) : (Math.ceil(bb) >= k ? I32_MIN : I32_MAX);
    }
    flip[o] = a < 0 ? 1 : 0;
  }
  return { thresholds: thr, flip };
}

/** One threshold and flip per channel: bit = (A acc + B >= 0). */
export function signThresholds(A: ArrayLike<number>, B: ArrayLike<number>): { thresholds: Int32Array; flip: Uint8Array } {
  const out = A.length, thr = new Int32Array(out), flip = new Uint8Array(out);
  for (let o = 0; o < out; o++) {
    const t = -B[o] / A[o];
    thr[o] = A[o] > 0 ? clampI32(Math.ceil(t)) : A[o] < 0 ? clampI32(Math.floor(t) + 1) : (B[o] >= 0 ? I32_MIN : I32_MAX);
    flip[o] = A[o] < 0 ? 1 : 0;
  }
  return { thresholds: thr, flip };
}
