// Integer-only inference steps between layers: BatchNorm + quantized ReLU / sign folded
// into per-channel integer thresholds (the derivation is in src/infer/compile.ts), max pooling on
// signed sums and on packed sign bits, bit unpacking, logits and the model checksum.

/**
 * Max pooling of packed sign bits (bit 1 = +1): the max of +-1 values is their OR. Pixels of
 * `words` u32 words, NHWC, k x k windows, stride k.
 */
export function maxPoolBits(x: usize, n: i32, h: i32, w: i32, words: i32, k: i32, oh: i32, ow: i32, y: usize): void {
  let q = y;
  for (let img = 0; img < n; img++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        const first = x + (<usize>(((img * h + oy * k) * w + ox * k) * words) << 2);
        for (let j = 0; j < words; j++) {
          let m: u32 = 0;
          for (let ky = 0; ky < k; ky++) {
            for (let kx = 0; kx < k; kx++) m |= load<u32>(first + (<usize>((ky * w + kx) * words + j) << 2));
          }
          store<u32>(q + (<usize>j << 2), m);
        }
        q += <usize>words << 2;
      }
    }
  }
}

/**
 * Rows of packed bits (wordsPerRow u32 words, LSB first) -> k bytes per row: `one` for a set bit,
 * else 0. With one = 2 and a zero point of 1 the affine kernels see the +-1 values the bits stand for.
 */
export function unpackBitsU8(x: usize, rows: i32, wordsPerRow: i32, k: i32, one: u8, out: usize): void {
  for (let r = 0; r < rows; r++) {
    const p = x + (<usize>r * <usize>wordsPerRow << 2), q = out + <usize>r * <usize>k;
    for (let j = 0; j < k; j++) store<u8>(q + <usize>j, <u8>((load<u32>(p + (<usize>(j >>> 5) << 2)) >>> (<u32>j & 31)) & 1) * one);
  }
}

/** Logits from the last layer's int32 sums: out[r][c] = scale[c] acc[r][c] + bias[c]. */
export function affineLogits(acc: usize, rows: i32, cols: i32, scale: usize, bias: usize, out: usize): void {
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const o = (<usize>r * <usize>cols + <usize>c) << 2, co = <usize>c << 2;
      store<f32>(out + o, <f32>(<f64>load<f32>(scale + co) * <f64>load<i32>(acc + o) + <f64>load<f32>(bias + co)));
    }
  }
}

/**
 * acc [rows][c] i32 -> codes [rows][c] u8: code = #{k : s[c] acc >= thr[k][c]}, with thr
 * [levels][c] (level-major, so 4 channels load at once) and a per-channel sign s[c] = +-1. The
 * Engine turns a flipped channel's "acc < T" into "-acc >= 1 - T" at load time.
 */
export function multiThresholdSigned(acc: usize, rows: i32, c: i32, thr: usize, levels: i32, sign: usize, out: usize): void {
  const c4 = c & ~3, rowStride = <usize>c << 2, lvStride = <usize>c << 2;
  for (let r = 0; r < rows; r++) {
    const pa = acc + <usize>r * rowStride, po = out + <usize>r * <usize>c;
    for (let ch = 0; ch < c4; ch += 4) {
      const o = <usize>ch << 2;
      const a = i32x4.mul(v128.load(pa + o), v128.load(sign + o));
      let n = i32x4.splat(0);
      let t = thr + o;
      for (let k = 0; k < levels; k++) {
        n = i32x4.sub(n, i32x4.ge_s(a, v128.load(t))); // a mask of -1 where the level is reached
        t += lvStride;
      }
      const b = i8x16.narrow_i16x8_u(i16x8.narrow_i32x4_u(n, n), i16x8.narrow_i32x4_u(n, n));
      store<i32>(po + <usize>ch, i32x4.extract_lane(b, 0));
    }
    for (let ch = c4; ch < c; ch++) {
      const a = load<i32>(pa + (<usize>ch << 2)) * load<i32>(sign + (<usize>ch << 2));
      let n = 0;
      for (let k = 0; k < levels; k++) n += <i32>(a >= load<i32>(thr + <usize>k * lvStride + (<usize>ch << 2)));
      store<u8>(po + <usize>ch, <u8>n);
    }
  }
}

/**
 * Max pooling of int32 sums times a per-channel sign (NHWC, k x k, stride k): out = max over the
 * window of sign[c] acc. A threshold step is monotone in sign[c] acc, so pooling these sums and
 * then thresholding once equals thresholding every pixel and pooling the codes (4x fewer
 * thresholds for 2x2 pooling).
 */
export function maxPoolSignedI32(acc: usize, n: i32, h: i32, w: i32, c: i32, k: i32, sign: usize, oh: i32, ow: i32, out: usize): void {
  const c4 = c & ~3;
  let q = out;
  for (let img = 0; img < n; img++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        const first = acc + (<usize>(((img * h + oy * k) * w + ox * k) * c) << 2);
        for (let ch = 0; ch < c4; ch += 4) {
          const s = v128.load(sign + (<usize>ch << 2));
          let m = i32x4.splat(i32.MIN_VALUE);
          for (let ky = 0; ky < k; ky++) {
            for (let kx = 0; kx < k; kx++) m = i32x4.max_s(m, i32x4.mul(s, v128.load(first + (<usize>((ky * w + kx) * c + ch) << 2))));
          }
          v128.store(q + (<usize>ch << 2), m);
        }
        for (let ch = c4; ch < c; ch++) {
          const s = load<i32>(sign + (<usize>ch << 2));
          let m = i32.MIN_VALUE;
          for (let ky = 0; ky < k; ky++) {
            for (let kx = 0; kx < k; kx++) m = max(m, s * load<i32>(first + (<usize>((ky * w + kx) * c + ch) << 2)));
          }
          store<i32>(q + (<usize>ch << 2), m);
        }
        q += <usize>c << 2;
      }
    }
  }
}

/** Rows of packed sign bits (pixels of wpp u32 words, c channels each) -> +-1 int8, [pixels][c] (load time). */
export function unpackSignsI8(x: usize, pixels: i32, wpp: i32, c: i32, out: usize): void {
  for (let p = 0; p < pixels; p++) {
    const s = x + (<usize>p * <usize>wpp << 2), d = out + <usize>p * <usize>c;
    for (let ch = 0; ch < c; ch++) store<i8>(d + <usize>ch, ((load<u32>(s + (<usize>(ch >>> 5) << 2)) >>> (<u32>ch & 31)) & 1) ? 1 : -1);
  }
}

let crcTable: usize = 0;
/** CRC-32 (IEEE, as zip and PNG) of n bytes: the model file's checksum, checked at load. */
export function crc32(p: usize, n: i32): u32 {
  if (!crcTable) {
    crcTable = heap.alloc(1024);
    for (let i: u32 = 0; i < 256; i++) {
      let c = i;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      store<u32>(crcTable + (<usize>i << 2), c);
    }
  }
  let c: u32 = 0xffffffff;
  for (let i = 0; i < n; i++) c = load<u32>(crcTable + (<usize>((c ^ <u32>load<u8>(p + <usize>i)) & 255) << 2)) ^ (c >>> 8);
  return c ^ 0xffffffff;
}
