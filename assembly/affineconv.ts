// Affine (zero-point) 2-D convolution on u8 NHWC input, ONNX ConvInteger semantics, as
// im2col + affineGemm. Out-of-image taps read the input zero point, i.e. a real 0 (onnxruntime's
// ConvInteger pads the same way), so they contribute nothing after the zero point is subtracted.

// memory.copy is a call into the engine (~20 ns a call): runs up to 256 bytes (a 3x3 kernel row of
// up to 85 channels) go by hand, 16 bytes at a time from 16 on
// @ts-ignore: decorator
@inline function copyShort(d: usize, s: usize, n: usize): void {
  if (n >= 16) {
    if (n > 256) { memory.copy(d, s, n); return; }
    let i: usize = 0;
    for (; i + 16 <= n; i += 16) v128.store(d + i, v128.load(s + i));
    if (i < n) v128.store(d + n - 16, v128.load(s + n - 16)); // the tail, overlapping bytes already copied
    return;
  }
  let i: usize = 0;
  for (; i + 4 <= n; i += 4) store<u32>(d + i, load<u32>(s + i));
  for (; i < n; i++) store<u8>(d + i, load<u8>(s + i));
}

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
