// Direct convolution of u8 pixels with int8 weights for layers with few taps (a network's first
// layer: 3x3 on 1 or 3 channels), without im2col or packed A panels: output pixels go four at a
// time; each one's kh x kw x c taps (0 where the window leaves the image: the zero point) are
// gathered as i16 pairs into a scratch row, and each pair, splat, meets 8 filters' weight pairs in
// two i32x4.dot_i16x8_s (pmaddwd): a 4-pixel x 8-filter tile of accumulators per pass.
// acc[pixel][o] = sum over taps of (x - za) (w[o] - wz[o]).

/** Bytes of the packed weights: [pairs][filters rounded up to 8][2 taps] i16. */
export function convPixelsBytes(out: i32, taps: i32): i32 {
  return ((taps + 1) >> 1) * ((out + 7) & ~7) * 4;
}

/** Pack int8 weights w [out][taps] (tap order ky, kx, channel) less the per-filter i16 zero points wz (or 0). */
export function convPixelsPack(w: usize, out: i32, taps: i32, wz: usize, dst: usize): void {
  const pairs = (taps + 1) >> 1, o8 = (out + 7) & ~7;
  for (let p = 0; p < pairs; p++) {
    for (let o = 0; o < o8; o++) {
      for (let j = 0; j < 2; j++) {
        const t = 2 * p + j;
        let v = 0;
        if (o < out && t < taps) v = <i32>load<i8>(w + <usize>o * <usize>taps + <usize>t) - (wz ? <i32>load<i16>(wz + (<usize>o << 1)) : 0);
        store<i16>(dst + <usize>(((p * o8 + o) * 2 + j) * 2), <i16>v);
      }
    }
  }
}

/** Scratch bytes per pixel of a tile (64 taps at most). */
const ROW: usize = 128;

/**
 * x [n][h][w][c] u8 -> acc [n * oh * ow][out] i32, weights from convPixelsPack, taps = kh kw c <= 64;
 * scratch: 512 bytes (four pixels' tap pairs).
 */
export function convPixels(x: usize, n: i32, h: i32, w: i32, c: i32, kh: i32, kw: i32, sh: i32, sw: i32, padT: i32, padL: i32,
                           oh: i32, ow: i32, za: i32, wp: usize, out: i32, acc: usize, scratch: usize): void {
  const pairs = (kh * kw * c + 1) >> 1, o8 = (out + 7) & ~7, pairStride = <usize>o8 << 2, rowBytes = <usize>out << 2;
  const line = <usize>w * <usize>c, total = n * oh * ow, end = x + <usize>n * <usize>h * line;
  const run = kw * c, wide = run <= 8 && kh * run <= 56, zav = i16x8.splat(<i16>za);
  let img = 0, oy = 0, ox = 0, q = acc;
  for (let p0 = 0; p0 < total; p0 += 4) {
    const count = min(4, total - p0);
    // gather the tile's pixels (an odd last tap's partner is left as is: its weights are 0)
    for (let j = 0; j < count; j++) {
      const base = x + <usize>img * <usize>h * line, y0 = oy * sh - padT, x0 = ox * sw - padL;
      let t = scratch + <usize>j * ROW;
      if (y0 >= 0 && x0 >= 0 && y0 + kh <= h && x0 + kw <= w) {
        // inside the image: each kernel row is kw c contiguous bytes, widened 8 at a time where the
        // 8-byte load stays inside the input and the 16-byte store inside the scratch row (the
        // bytes it writes past the row are overwritten next, or lie past the taps)
        let src = base + <usize>y0 * line + <usize>x0 * <usize>c;
        for (let ky = 0; ky < kh; ky++) {
          if (wide && src + 8 <= end) v128.store(t, i16x8.sub(i16x8.extend_low_i8x16_u(v128.load64_zero(src)), zav));
          else for (let i = 0; i < run; i++) store<i16>(t + (<usize>i << 1), <i16>(<i32>load<u8>(src + <usize>i) - za));
          t += <usize>run << 1;
          src += line;
        }
        if (++ox == ow) { ox = 0; if (++oy == oh) { oy = 0; img++; } }
        continue;
      }
      for (let ky = 0; ky < kh; ky++) {
        const iy = y0 + ky;
        for (let kx = 0; kx < kw; kx++) {
          const ix = x0 + kx;
          if (<u32>iy < <u32>h && <u32>ix < <u32>w) {
            const src = base + <usize>iy * line + <usize>ix * <usize>c;
            for (let ch = 0; ch < c; ch++) store<i16>(t + (<usize>ch << 1), <i16>(<i32>load<u8>(src + <usize>ch) - za));
          } else {
            for (let ch = 0; ch < c; ch++) store<i16>(t + (<usize>ch << 1), 0);
          }
          t += <usize>c << 1;
        }
      }
      if (++ox == ow) { ox = 0; if (++oy == oh) { oy = 0; img++; } }
    }
    // 4 pixels x 8 filters per pass over the pairs
    for (let g = 0; g < o8; g += 8) {
      let a0 = i32x4.splat(0), b0 = a0, a1 = a0, b1 = a0, a2 = a0, b2 = a0, a3 = a0, b3 = a0;
      let wq = wp + (<usize>g << 2), xs = scratch;
      for (let p = 0; p < pairs; p++) {
        const w0 = v128.load(wq), w1 = v128.load(wq, 16);
        const x0 = i32x4.splat(load<i32>(xs)), x1 = i32x4.splat(load<i32>(xs + ROW));
        const x2 = i32x4.splat(load<i32>(xs + 2 * ROW)), x3 = i32x4.splat(load<i32>(xs + 3 * ROW));
        a0 = i32x4.add(a0, i32x4.dot_i16x8_s(x0, w0)); b0 = i32x4.add(b0, i32x4.dot_i16x8_s(x0, w1));
        a1 = i32x4.add(a1, i32x4.dot_i16x8_s(x1, w0)); b1 = i32x4.add(b1, i32x4.dot_i16x8_s(x1, w1));
        a2 = i32x4.add(a2, i32x4.dot_i16x8_s(x2, w0)); b2 = i32x4.add(b2, i32x4.dot_i16x8_s(x2, w1));
        a3 = i32x4.add(a3, i32x4.dot_i16x8_s(x3, w0)); b3 = i32x4.add(b3, i32x4.dot_i16x8_s(x3, w1));
        wq += pairStride;
        xs += 4;
      }
      storeLanes(q, g, out, a0); storeLanes(q, g + 4, out, b0);
      if (count > 1) { storeLanes(q + rowBytes, g, out, a1); storeLanes(q + rowBytes, g + 4, out, b1); }
      if (count > 2) { storeLanes(q + 2 * rowBytes, g, out, a2); storeLanes(q + 2 * rowBytes, g + 4, out, b2); }
      if (count > 3) { storeLanes(q + 3 * rowBytes, g, out, a3); storeLanes(q + 3 * rowBytes, g + 4, out, b3); }
    }
    q += <usize>count * rowBytes;
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
