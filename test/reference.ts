// Plain scalar references for every kernel. Used only by the tests; deliberately naive.

/** Deterministic PRNG (mulberry32) so failures reproduce. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomWords(n: number, r: () => number): Uint32Array {
  const a = new Uint32Array(n);
  for (let i = 0; i < n; i++) a[i] = (r() * 4294967296) >>> 0;
  return a;
}

export function randomFloats(n: number, r: () => number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = r() * 2 - 1;
  return a;
}

/** Element j of a bit row starting at word `offset`: +1 or -1. */
export function bitAt(words: Uint32Array, offset: number, j: number): number {
  return (words[offset + (j >>> 5)] >>> (j & 31)) & 1 ? 1 : -1;
}

export function packSignsRef(x: Float32Array, rows: number, k: number, wordsPerRow = Math.ceil(k / 32)): Uint32Array {
  const out = new Uint32Array(rows * wordsPerRow);
  for (let r = 0; r < rows; r++)
    for (let j = 0; j < k; j++)
      if (x[r * k + j] >= 0) out[r * wordsPerRow + (j >>> 5)] |= 1 << (j & 31);
  return out;
}

export function xnorGemmRef(a: Uint32Array, b: Uint32Array, m: number, n: number, k: number): Int32Array {
  const w = Math.ceil(k / 32);
  const out = new Int32Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let t = 0; t < k; t++) s += bitAt(a, i * w, t) * bitAt(b, j * w, t);
      out[i * n + j] = s;
    }
  return out;
}

export function sgemmRef(a: Float32Array, b: Float32Array, m: number, n: number, k: number): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let t = 0; t < k; t++) s += a[i * k + t] * b[t * n + j];
      out[i * n + j] = s;
    }
  return out;
}


/** Output size and top/left padding of a conv, TensorFlow's 'SAME' split; 'valid' pads nothing. */
export function refConvGeometry(h: number, w: number, kh: number, kw: number, sh: number, sw: number, same: boolean): { oh: number; ow: number; padT: number; padL: number } {
  if (!same) return { oh: Math.floor((h - kh) / sh) + 1, ow: Math.floor((w - kw) / sw) + 1, padT: 0, padL: 0 };
  const oh = Math.ceil(h / sh), ow = Math.ceil(w / sw);
  return { oh, ow, padT: Math.floor(Math.max((oh - 1) * sh + kh - h, 0) / 2), padL: Math.floor(Math.max((ow - 1) * sw + kw - w, 0) / 2) };
}

/**
 * A direct convolution: out[b][oy][ox][f] = sum over window taps of term(b, iy, ix, f, ky, kx, inside),
 * NHWC output order. `inside` is false for taps outside the image (iy / ix then outside too).
 */
export function directConv(s: { n: number; h: number; w: number; cout: number; kh: number; kw: number; sh: number; sw: number }, same: boolean,
  term: (b: number, iy: number, ix: number, f: number, ky: number, kx: number, inside: boolean) => number): { out: Float64Array; oh: number; ow: number } {
  const { oh, ow, padT, padL } = refConvGeometry(s.h, s.w, s.kh, s.kw, s.sh, s.sw, same);
  const out = new Float64Array(s.n * oh * ow * s.cout);
  for (let b = 0; b < s.n; b++) for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) for (let f = 0; f < s.cout; f++) {
    let acc = 0;
    for (let ky = 0; ky < s.kh; ky++) for (let kx = 0; kx < s.kw; kx++) {
      const iy = oy * s.sh - padT + ky, ix = ox * s.sw - padL + kx;
      acc += term(b, iy, ix, f, ky, kx, iy >= 0 && iy < s.h && ix >= 0 && ix < s.w);
    }
    out[((b * oh + oy) * ow + ox) * s.cout + f] = acc;
  }
  return { out, oh, ow };
}

export interface ConvRefShape {
  n: number; h: number; w: number; c: number; cout: number; kh: number; kw: number; sh: number; sw: number;
  padding: 'valid' | 'same-one' | 'same-zero';
}

/** Direct convolution of +-1 values read from packed NHWC words (2*ceil(c/64) u32 per pixel). */
export function binaryConv2dRef(x: Uint32Array, wts: Uint32Array, s: ConvRefShape): { out: Int32Array; oh: number; ow: number } {
  const wpp = 2 * Math.ceil(s.c / 64);
  const pad = s.padding === 'same-one' ? 1 : 0;
  const { out, oh, ow } = directConv(s, s.padding !== 'valid', (b, iy, ix, f, ky, kx, inside) => {
    let acc = 0;
    const wo = ((f * s.kh + ky) * s.kw + kx) * wpp, xo = ((b * s.h + iy) * s.w + ix) * wpp;
    for (let ch = 0; ch < s.c; ch++) acc += (inside ? bitAt(x, xo, ch) : pad) * bitAt(wts, wo, ch);
    return acc;
  });
  return { out: Int32Array.from(out), oh, ow };
}

export function thresholdPackRef(acc: Int32Array, rows: number, cout: number, thr: Int32Array, flip?: Uint8Array): Uint32Array {
  const wpr = 2 * Math.ceil(cout / 64);
  const out = new Uint32Array(rows * wpr);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cout; c++) {
      const bit = (acc[r * cout + c] >= thr[c]) !== Boolean(flip?.[c]);
      if (bit) out[r * wpr + (c >>> 5)] |= 1 << (c & 31);
    }
  return out;
}

/** ONNX MatMulInteger: sum (a - za)(b - zb) in exact integers, then wrapped to int32. */
export function affineGemmRef(a: Uint8Array, za: number, b: Int8Array | Uint8Array, zb: number | ArrayLike<number>, m: number, n: number, k: number): Int32Array {
  const out = new Int32Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      const z = typeof zb === 'number' ? zb : zb[j];
      for (let t = 0; t < k; t++) s += (a[i * k + t] - za) * (b[t * n + j] - z);
      out[i * n + j] = s; // |s| < 2^53 here; Int32Array stores it mod 2^32
    }
  return out;
}

export function randomBytes(n: number, r: () => number): Uint8Array {
  return Uint8Array.from({ length: n }, () => Math.floor(r() * 256));
}

/** sum_t a[i][t] * w_j[t] for u8 codes a (m x k) and +-1 bit rows w (xnorGemm layout). */
export function bitserialGemmRef(a: Uint8Array, w: Uint32Array, m: number, n: number, k: number): Int32Array {
  const wpr = Math.ceil(k / 32);
  const out = new Int32Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let t = 0; t < k; t++) s += a[i * k + t] * bitAt(w, j * wpr, t);
      out[i * n + j] = s;
    }
  return out;
}

export interface AffineConvShape { n: number; h: number; w: number; c: number; cout: number; kh: number; kw: number; sh: number; sw: number; padding: 'valid' | 'same' }

/** ConvInteger on NHWC / [f][kh][kw][c]: sum (x - xz)(w - wz), out-of-image taps contribute 0. */
export function affineConv2dRef(x: Uint8Array, xz: number, wt: Int8Array | Uint8Array, wz: number | ArrayLike<number>, s: AffineConvShape): { out: Int32Array; oh: number; ow: number } {
  const { out, oh, ow } = directConv(s, s.padding === 'same', (b, iy, ix, f, ky, kx, inside) => {
    if (!inside) return 0;
    const z = typeof wz === 'number' ? wz : wz[f];
    let acc = 0;
    for (let ch = 0; ch < s.c; ch++) acc += (x[((b * s.h + iy) * s.w + ix) * s.c + ch] - xz) * (wt[((f * s.kh + ky) * s.kw + kx) * s.c + ch] - z);
    return acc;
  });
  return { out: Int32Array.from(out), oh, ow };
}

export interface BitserialConvShape extends AffineConvShape { bits: number }

/** Direct conv of codes (NHWC u8) with +-1 weights in binaryConv2d's packed layout; pad codes 0. */
export function bitserialConv2dRef(x: Uint8Array, wt: Uint32Array, s: BitserialConvShape): Int32Array {
  const wpp = 2 * Math.ceil(s.c / 64);
  return Int32Array.from(directConv(s, s.padding === 'same', (b, iy, ix, f, ky, kx, inside) => {
    if (!inside) return 0;
    let acc = 0;
    for (let ch = 0; ch < s.c; ch++) acc += x[((b * s.h + iy) * s.w + ix) * s.c + ch] * bitAt(wt, ((f * s.kh + ky) * s.kw + kx) * wpp, ch);
    return acc;
  }).out);
}
