// The integer-only inference plan: what `compile` produces, the model file stores and the Engine
// runs. Every step is a weight layer (conv or dense) with integer weights and an integer output
// step; the only floats are the last layer's per-class scale and bias for the logits.

/** What flows between steps: raw u8 pixels, unsigned activation codes (u8, `bits` wide), or packed sign bits. */
export type ActKind = 'pixels' | 'codes' | 'bits';

export interface PlanStep {
  kind: 'conv' | 'dense';
  /** conv: input height, width, channels; dense: in = input size (h = w = 1, c = in) */
  h: number; w: number; c: number;
  /** output channels (filters or units) */
  out: number;
  /** conv kernel size (square, stride 1); 1 for dense */
  k: number;
  padding: 'same' | 'valid';
  input: ActKind;
  /** bits of the input codes (8 for pixels, 1 for bits) */
  inBits: number;
  /** 'binary': +-1 weights, bitpacked; 'int8': integer codes q (|q| <= 127) */
  weights: 'binary' | 'int8';
  /** bits of the trained weights (1 for binary; 2..8 for int8 codes) */
  weightBits: number;
  /** output step: codes through per-channel thresholds, sign bits, or float logits */
  output: 'codes' | 'bits' | 'logits';
  /** bits of the output codes (1 for bits) */
  outBits: number;
  /** k x k max pooling after the output step (0: none) */
  pool: number;
  // tensors
  /** binary: [out][k][k] pixels of 2 * ceil(c / 64) u32 words (dense: one pixel of `c` channels); int8: [out][k][k][c] */
  wBinary?: Uint32Array;
  wInt8?: Int8Array;
  /** codes: [out][2^outBits - 1] ascending thresholds (flip 0) or descending (flip 1); bits: [out] */
  thresholds?: Int32Array;
  flip?: Uint8Array;
  /** logits: logit[c] = scale[c] * acc[c] + bias[c] */
  scale?: Float32Array;
  bias?: Float32Array;
}

export interface Plan {
  /** [height, width, channels] of the input pixels */
  inputShape: [number, number, number];
  classes: string[];
  steps: PlanStep[];
  /** free-form: architecture, bit widths, training provenance */
  meta: Record<string, unknown>;
}

/** [oh, ow] of a step's layer before pooling (stride 1; 'same' keeps the size; dense: [1, 1]). */
export function stepConvSize(s: PlanStep): [number, number] {
  if (s.kind === 'dense') return [1, 1];
  return s.padding === 'same' ? [s.h, s.w] : [s.h - s.k + 1, s.w - s.k + 1];
}

/** Output shape [h, w, c] of a step (after its pooling). */
export function stepOutputShape(s: PlanStep): [number, number, number] {
  const [oh, ow] = stepConvSize(s);
  return s.pool ? [Math.floor(oh / s.pool), Math.floor(ow / s.pool), s.out] : [oh, ow, s.out];
}
