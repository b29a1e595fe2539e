// Post-training quantization of weights and the choice of activation ranges: per output channel,
// symmetric signed codes in [-(2^(b-1) - 1), 2^(b-1) - 1] with step s = clip / (2^(b-1) - 1)
// (1 bit: +-s, s = mean |w|):
//   minmax  clip = max |w| of the channel
//   mse     clip = the fraction of max |w| (0.30 .. 1.00, steps of 0.01) with the least squared error
//           (of the layer output, sum_k (w_k - q_k)^2 E[x_k^2], when the input statistics are known)
// Activations take the same two rules over calibration values (unsigned after a ReLU).

/** Squared error of quantizing `xs` with step s to levels [lo, hi] (round half to even is not needed: ties are measure zero). */
function sqError(xs: ArrayLike<number>, from: number, to: number, s: number, lo: number, hi: number, weight?: ArrayLike<number>): number {
  let e = 0;
  for (let i = from; i < to; i++) { const q = Math.min(hi, Math.max(lo, Math.round(xs[i] / s))); const d = xs[i] - q * s; e += d * d * (weight ? weight[i - from] : 1); }
  return e;
}

/**
 * The clip value for values xs[from..to) under `method`, for levels [lo, hi] of step clip / top;
 * with `weight` (per value, from `from`) the squared errors are weighted: a weight layer's output error.
 */
export function chooseClip(xs: ArrayLike<number>, from: number, to: number, top: number, lo: number, hi: number, method: 'minmax' | 'mse', weight?: ArrayLike<number>): number {
  let max = 0;
  for (let i = from; i < to; i++) max = Math.max(max, Math.abs(xs[i]));
  if (max === 0) return 1; // an all-zero channel: any step
  if (method === 'minmax') return max;
  let best = max, bestErr = Infinity;
  for (let f = 100; f >= 30; f--) {
    const clip = (max * f) / 100, e = sqError(xs, from, to, clip / top, lo, hi, weight);
    if (e < bestErr) { bestErr = e; best = clip; }
  }
  return best;
}

/** Calibration statistics of a weight layer's input, per weight column k: E[x_k] and E[x_k^2]. */
export interface InputStats { mean: Float64Array; sq: Float64Array }

/**
 * Weights [out][K] quantized per output channel: the fake-quantized weights, each channel's step,
 * its points, and (with input statistics) the bias correction. Multipoint (Liu et al.,
 * "Post-training quantization with multiple points"): w ~ s1 q1 + s2 q2 with a second low-bit
 * vector q2 on the residual, added greedily to the channels with the largest error until `extra` of
 * the channels have one (the extra points cost that fraction more MACs as extra output channels).
 * The error is the channel's output error on calibration data, E[((w - q) . x)^2], taken on the
 * diagonal, sum_k (w_k - q_k)^2 E[x_k^2], when input statistics are given; else the weights' own
 * squared error. Here s2 = s1 / 2^bits, so s1 q1 + s2 q2 = s2 (2^bits q1 + q2): one integer code per
 * weight (at most 2^(2 bits - 1) in magnitude, within int8 for 2..4 bits) and the same kernels.
 * Bias correction: the output's expected shift (q - w) . E[x], to subtract from the bias.
 */
export function quantizeWeightRows(W: Float64Array, out: number, bits: number, method: 'minmax' | 'mse' | 'multipoint', extra = 0.1, stats?: InputStats): { W: Float64Array; steps: Float64Array; points: Uint8Array; biasShift?: Float64Array } {
  const K = W.length / out, top = 2 ** (bits - 1) - 1, steps = new Float64Array(out), q = new Float64Array(W.length), points = new Uint8Array(out).fill(1);
  const err = new Float64Array(out);
  // 1 bit: w ~ s sign(w) with s = mean |w| (the least-squares scale of the signs); else symmetric levels
  const point = (i: number, r: number, s: number) => (bits === 1 ? (r >= 0 ? s : -s) : Math.min(top, Math.max(-top, Math.round(r / s))) * s);
  for (let o = 0; o < out; o++) {
    let s: number;
    if (bits === 1) { s = 0; for (let i = o * K; i < (o + 1) * K; i++) s += Math.abs(W[i]) / K; s ||= 1; }
    else s = chooseClip(W, o * K, (o + 1) * K, top, -top, top, method === 'minmax' ? 'minmax' : 'mse', stats?.sq) / top; // with statistics: the least output error
    steps[o] = s;
    for (let i = o * K; i < (o + 1) * K; i++) {
      q[i] = point(i, W[i], s);
      err[o] += (W[i] - q[i]) ** 2 * (stats ? stats.sq[i - o * K] : 1);
    }
  }
  if (method === 'multipoint' && bits <= 4) {
    const order = Array.from({ length: out }, (_, o) => o).sort((a, b) => err[b] - err[a]);
    for (const o of order.slice(0, Math.floor(extra * out))) {
      // 1 bit: a second sign vector at half the step, so s q1 + (s / 2) q2 = (s / 2)(2 q1 + q2), codes +-1, +-3
      const s2 = steps[o] / 2 ** bits;
      for (let i = o * K; i < (o + 1) * K; i++) q[i] += point(i, W[i] - q[i], s2);
      steps[o] = s2;
      points[o] = 2;
    }
  }
  if (!stats) return { W: q, steps, points };
  const biasShift = new Float64Array(out);
  for (let o = 0; o < out; o++) for (let k = 0; k < K; k++) biasShift[o] += (q[o * K + k] - W[o * K + k]) * stats.mean[k];
  return { W: q, steps, points, biasShift };
}
