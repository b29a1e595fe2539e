// Direct convolution of u8 pixels with int8 weights for layers with few taps (a network's first
// layer: 3x3 on 1 or 3 channels), without im2col or packed A panels: per output pixel its
// kh x kw x c taps (0 where the window leaves the image: the zero point) are gathered as i16 pairs
// into a small scratch, and each pair, splat, meets 4 filters' weight pairs in one
// i32x4.dot_i16x8_s (pmaddwd). acc[pixel][o] = sum over taps of (x - za) (w[o] - wz[o]).

/** Bytes of the packed weights: [pairs][filters rounded up to 4][2 taps] i16. */
export function convPixelsBytes(out: i32, taps: i32): i32 {
  return ((taps + 1) >> 1) * ((out + 3) & ~3) * 4;
}

/** Pack int8 weights w [out][taps] (tap order ky, kx, channel) less the per-filter i16 zero points wz (or 0). */
export function convPixelsPack(w: usize, out: i32, taps: i32, wz: usize, dst: usize): void {
  const pairs = (taps + 1) >> 1, o4 = (out + 3) & ~3;
  for (let p = 0; p < pairs; p++) {
    for (let o = 0; o < o4; o++) {
      for (let j = 0; j < 2; j++) {
        const t = 2 * p + j;
        let v = 0;
        if (o < out && t < taps) v = <i32>load<i8>(w + <usize>o * <usize>taps + <usize>t) - (wz ? <i32>load<i16>(wz + (<usize>o << 1)) : 0);
        store<i16>(dst + <usize>(((p * o4 + o) * 2 + j) * 2), <i16>v);
      }
    }
  }
}

/**
 * x [n][h][w][c] u8 -> acc [n * oh * ow][out] i32, weights from convPixelsPack, taps = kh kw c <= 64;
 * scratch: 128 bytes (the pixel's tap pairs).
 */
export function convPixels(x: usize, n: i32, h: i32, w: i32, c: i32, kh: i32, kw: i32, sh: i32, sw: i32, padT: i32, padL: i32,
                           oh: i32, ow: i32, za: i32, wp: usize, out: i32, acc: usize, scratch: usize): void {
  const taps = kh * kw * c, pairs = (taps + 1) >> 1, o4 = (out + 3) & ~3, pairStride = <usize>o4 << 2;
  const line = <usize>w * <usize>c;
  let q = acc;
  for (let img = 0; img < n; img++) {
    const base = x + <usize>img * <usize>h * line;
    for (let oy = 0; oy < oh; oy++) {
      const y0 = oy * sh - padT;
      for (let ox = 0; ox < ow; ox++) {
        const x0 = ox * sw - padL;
        // the taps, less the zero point (0 outside the image)
        let t: usize = scratch;
        for (let ky = 0; ky < kh; ky++) {
          const iy = y0 + ky;
          for (let kx = 0; kx < kw; kx++) {
            const ix = x0 + kx;
            const inside = <u32>iy < <u32>h && <u32>ix < <u32>w;
            const src = base + <usize>iy * line + <usize>ix * <usize>c;
            for (let ch = 0; ch < c; ch++) {
              store<i16>(t, inside ? <i16>(<i32>load<u8>(src + <usize>ch) - za) : 0);
              t += 2;
            }
          }
        }
        // four groups of 4 filters at a time, each pair of taps splat once per block (an odd last
        // tap's partner is whatever the scratch holds: its weights are packed as 0)
        for (let g = 0; g < o4; g += 16) {
          let a0 = i32x4.splat(0), a1 = a0, a2 = a0, a3 = a0;
          let wq = wp + (<usize>g << 2);
          for (let p = 0; p < pairs; p++) {
            const xv = i32x4.splat(load<i32>(scratch + (<usize>p << 2)));
            a0 = i32x4.add(a0, i32x4.dot_i16x8_s(xv, v128.load(wq)));
            if (g + 4 < o4) a1 = i32x4.add(a1, i32x4.dot_i16x8_s(xv, v128.load(wq, 16)));
            if (g + 8 < o4) a2 = i32x4.add(a2, i32x4.dot_i16x8_s(xv, v128.load(wq, 32)));
            if (g + 12 < o4) a3 = i32x4.add(a3, i32x4.dot_i16x8_s(xv, v128.load(wq, 48)));
            wq += pairStride;
          }
          storeLanes(q, g, out, a0);
          storeLanes(q, g + 4, out, a1);
          storeLanes(q, g + 8, out, a2);
          storeLanes(q, g + 12, out, a3);
        }
        q += <usize>out << 2;
      }
    }
  }
}

// filters o..o+3 of one pixel's row (those below out)
// @ts-ignore: decorator
@inline function storeLanes(row: usize, o: i32, out: i32, v: v128): void {
  if (o + 4 <= out) { v128.store(row + (<usize>o << 2), v); return; }
  if (o < out) store<i32>(row + (<usize>o << 2), i32x4.extract_lane(v, 0));
  if (o + 1 < out) store<i32>(row + (<usize>(o + 1) << 2), i32x4.extract_lane(v, 1));
  if (o + 2 < out) store<i32>(row + (<usize>(o + 2) << 2), i32x4.extract_lane(v, 2));
}
