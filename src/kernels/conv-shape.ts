import { LowbitError } from '../errors.js';

/**
 * 'valid': no padding. 'same-one': output ceil(H/stride), borders padded with +1 (Larq's
 * pad_values=1; one code, no correction). 'same-zero': the same size with true zero padding,
 * computed exactly through a per-border-pixel correction.
 */
export type Padding = 'valid' | 'same-one' | 'same-zero';

export interface ConvGeometry {
  oh: number; ow: number; padT: number; padL: number;
}

/** Output size and top/left padding (TensorFlow's 'SAME' split: the extra pixel goes bottom/right). */
export function convOutputSize(h: number, w: number, kh: number, kw: number, sh: number, sw: number, padding: Padding): ConvGeometry {
  if (padding === 'valid') {
    if (kh > h || kw > w) {
      throw new LowbitError('BAD_SHAPE', `kernel ${kh}x${kw} is larger than the ${h}x${w} input with padding 'valid'`);
    }
    return { oh: Math.floor((h - kh) / sh) + 1, ow: Math.floor((w - kw) / sw) + 1, padT: 0, padL: 0 };
  }
  if (padding !== 'same-one' && padding !== 'same-zero') {
    throw new LowbitError('BAD_ARGUMENT', `padding must be 'valid', 'same-one' or 'same-zero', got ${String(padding)}`);
  }
  const oh = Math.ceil(h / sh), ow = Math.ceil(w / sw);
  const padH = Math.max((oh - 1) * sh + kh - h, 0), padW = Math.max((ow - 1) * sw + kw - w, 0);
  return { oh, ow, padT: Math.floor(padH / 2), padL: Math.floor(padW / 2) };
}
