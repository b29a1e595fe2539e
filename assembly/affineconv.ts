// Affine (zero-point) 2-D convolution on u8 NHWC input, ONNX ConvInteger semantics, as
// im2col + affineGemm. Out-of-image taps read the input zero point, i.e. a real 0 (onnxruntime's
// ConvInteger pads the same way), so they contribute nothing after the zero point is subtracted.
// affineConvBands runs the three steps band by band (the Engine's affine convs).
import { affinePackRows, affineGemm } from './affine';
import { affineDotPackA, affineDotGemm } from './affine-dot';
import { copyShort } from './copy-short';

/**
 * Patch rows of all n*oh*ow output pixels: dst[p][(ky * kw + kx) * c + ch], bytes.
 * x: [n][h][w][c] u8; xz: the input zero point written for out-of-image taps.
 */
export function im2colBytes(x: usize, n: i32, h: i32, w: i32, c: i32, kh: i32, kw: i32, sh: i32, sw: i32,
                            padT: i32, padL: i32, oh: i32, ow: i32, xz: i32, dst: usize): void {
  const pix = <usize>c;
  const lineBytes = <usize>w * pix;
  let d = dst;
  for (let img = 0; img < n; img++) {
    const base = x + <usize>img * <usize>h * lineBytes;
    for (let oy = 0; oy < oh; oy++) {
      const y0 = oy * sh - padT;
      for (let ox = 0; ox < ow; ox++) {
        const x0 = ox * sw - padL;
        if (y0 >= 0 && x0 >= 0 && y0 + kh <= h && x0 + kw <= w) {
          // interior: each kernel row is kw * c contiguous input bytes
          let s = base + <usize>y0 * lineBytes + <usize>x0 * pix;
          const run = <usize>kw * pix;
          for (let ky = 0; ky < kh; ky++) {
            copyShort(d, s, run);
            d += run;
            s += lineBytes;
          }
        } else {
          for (let ky = 0; ky < kh; ky++) {
            const iy = y0 + ky;
            for (let kx = 0; kx < kw; kx++) {
              const ix = x0 + kx;
              if (<u32>iy < <u32>h && <u32>ix < <u32>w) copyShort(d, base + <usize>iy * lineBytes + <usize>ix * pix, pix);
              else if (pix == 1) store<u8>(d, <u8>xz);
              else memory.fill(d, <u8>xz, pix);
              d += pix;
            }
          }
        }
      }
    }
  }
}

/** Largest im2col band in bytes: with its packed panels it stays within a core's L2 cache. */
const BAND_BYTES = 1 << 18;

/**
 * Output pixels per band of affineConvBands for n images of oh x ow outputs and kk-byte patches:
 * whole images when one fits in BAND_BYTES, else whole output rows of one image (at least one).
 */
export function affineConvBandRows(n: i32, oh: i32, ow: i32, kk: i32): i32 {
  // in i64: an image's patches can pass 2^31 bytes
  const imgs = <i64>BAND_BYTES / (<i64>oh * <i64>ow * <i64>kk);
  if (imgs >= 1) return <i32>min<i64>(imgs, n) * oh * ow;
  return <i32>max<i64>(1, <i64>BAND_BYTES / (<i64>ow * <i64>kk)) * ow;
}

/**
 * The 8-bit affine conv of n images, k x k, stride st, in bands of affineConvBandRows pixels: per
 * band, im2col of its patches into col (out-of-image taps read xz), A panels into pack, then its
 * sums into out ([n][oh][ow][cout] int32). mode 0: i16 panels and affineGemm (pb from
 * affinePackRows); 1, 2: the relaxed build's dot (pb from affineDotPackB; 2: codes of 128 and more).
 * col and pack hold one band; the band's rows stay in cache between the three steps.
 */
export function affineConvBands(x: usize, n: i32, h: i32, w: i32, c: i32, k: i32, st: i32, padT: i32, padL: i32, oh: i32, ow: i32,
                                xz: i32, mode: i32, pb: usize, cout: i32, col: usize, pack: usize, out: usize, scratch: usize): void {
  const kk = k * k * c, rows = affineConvBandRows(n, oh, ow, kk), per = oh * ow;
  const img = <usize>h * <usize>w * <usize>c, outRow = <usize>cout * 4;
  if (rows >= per) {
    const imgs = rows / per;
    for (let i = 0; i < n; i += imgs) {
      bandGemm(x + <usize>i * img, min(imgs, n - i), h, w, c, k, st, padT, padL, oh, ow, xz, mode, pb, cout, col, pack, out + <usize>(i * per) * outRow, scratch);
    }
    return;
  }
  const band = rows / ow;
  for (let i = 0; i < n; i++) {
    for (let y = 0; y < oh; y += band) {
      bandGemm(x + <usize>i * img, 1, h, w, c, k, st, padT - y * st, padL, min(band, oh - y), ow, xz, mode, pb, cout, col, pack, out + <usize>(i * per + y * ow) * outRow, scratch);
    }
  }
}

/** One band: m images' output rows 0..bh (padT already moved to the band's first row). */
function bandGemm(x: usize, m: i32, h: i32, w: i32, c: i32, k: i32, st: i32, padT: i32, padL: i32, bh: i32, ow: i32,
                  xz: i32, mode: i32, pb: usize, cout: i32, col: usize, pack: usize, out: usize, scratch: usize): void {
  const kk = k * k * c, rows = m * bh * ow;
  im2colBytes(x, m, h, w, c, k, k, st, st, padT, padL, bh, ow, xz, col);
  if (mode) {
    affineDotPackA(col, rows, kk, kk, mode - 1, pack);
    affineDotGemm(pack, pb, rows, cout, kk, xz, out, cout, scratch);
  } else {
    affinePackRows(col, rows, kk, xz, 0, 4, pack, 0);
    affineGemm(pack, pb, rows, cout, kk, out, scratch);
  }
}
