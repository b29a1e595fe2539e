import { checkInt, checkOptions, LowbitError } from '../errors.js';

/**
 * 'valid': no padding. 'same-one': output ceil(H/stride), borders padded with +1 (Larq's
 * pad_values=1; one code, no correction). 'same-zero': the same size with true zero padding,
 * computed exactly through a per-border-pixel correction.
 */
export type Padding = 'valid' | 'same-one' | 'same-zero';

export interface ConvGeometry {
  oh: number; ow: number; padT: number; padL: number;
}

/** Top (or left) padding of a 'same' conv with `o` outputs over `d` inputs: TensorFlow's split, the extra pixel at the bottom / right. */
export const samePadBefore = (o: number, stride: number, k: number, d: number): number => Math.floor(Math.max((o - 1) * stride + k - d, 0) / 2);

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
  return { oh, ow, padT: samePadBefore(oh, sh, kh, h), padL: samePadBefore(ow, sw, kw, w) };
}

/** The options every conv kernel takes (NHWC data). */
export interface ConvOptions {
  /** images in the batch (default 1) */
  batch?: number;
  height: number;
  width: number;
  channels: number;
  filters: number;
  kernelSize: number | [number, number];
  strides?: number | [number, number];
}

export interface ConvShape extends ConvGeometry {
  n: number; h: number; w: number; c: number; cout: number; kh: number; kw: number; sh: number; sw: number;
}

const CONV_KEYS = ['batch', 'height', 'width', 'channels', 'filters', 'kernelSize', 'strides'] as const;

/** Conv options other libraries take that these kernels do not implement: named plainly when passed. */
const CONV_HINTS: Record<string, string> = {
  dilations: 'dilated convolutions are not supported', dilation: 'dilated convolutions are not supported',
  pads: "explicit pads are not supported (use padding: 'valid' or 'same')", group: 'grouped convolutions are not supported',
  groups: 'grouped convolutions are not supported',
};

const pair = (v: number | [number, number]): [number, number] => (Array.isArray(v) ? v : [v, v]);

/** Validate conv options (each bad value named) and work out the output geometry. */
export function convGeometry(kernel: string, opts: ConvOptions, padding: Padding, extraKeys: readonly string[] = ['padding', 'out']): ConvShape {
  if (typeof opts !== 'object' || opts === null) throw new LowbitError('BAD_ARGUMENT', `${kernel} needs an options object`);
  checkOptions(kernel, opts, [...CONV_KEYS, ...extraKeys], CONV_HINTS);
  const n = checkInt('batch', opts.batch ?? 1);
  const h = checkInt('height', opts.height);
  const w = checkInt('width', opts.width);
  const c = checkInt('channels', opts.channels);
  const cout = checkInt('filters', opts.filters);
  const [kh, kw] = pair(opts.kernelSize);
  checkInt('kernelSize[0]', kh);
  checkInt('kernelSize[1]', kw);
  const [sh, sw] = pair(opts.strides ?? 1);
  checkInt('strides[0]', sh);
  checkInt('strides[1]', sw);
  return { n, h, w, c, cout, kh, kw, sh, sw, ...convOutputSize(h, w, kh, kw, sh, sw, padding) };
}

/**
 * The padding of the integer and float convs, 'valid' or 'same' (a real zero at the borders),
 * validated and mapped to the geometry's name for it.
 */
export function zeroPadding(padding: unknown): Padding {
  if (padding !== 'valid' && padding !== 'same') throw new LowbitError('BAD_ARGUMENT', `padding must be 'valid' or 'same', got ${String(padding)}`);
  return padding === 'same' ? 'same-zero' : 'valid';
}
