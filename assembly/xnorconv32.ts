// Binary convolution for inputs of at most 32 channels, as im2col + xnorGemm: each tap is one u32
// (the channel bits of a pixel), so a 3x3 window is 288 bits, 3 v128, where xnorConv2d's 64-bit
// channel words would make it 9 u64, 5 v128 (half of every word empty at 32 channels).

/**
 * dst[p][t] = the first u32 word of input pixel (tap t of output pixel p), 0 outside the image.
 * x: [n][h][w] pixels of wpp u32 words (packSignsNHWC's layout).
 */
export function im2colBits32(x: usize, n: i32, h: i32, w: i32, wpp: i32, kh: i32, kw: i32, padT: i32, padL: i32, oh: i32, ow: i32, dst: usize): void {
  let d = dst;
  const ps = <usize>wpp << 2;
  for (let img = 0; img < n; img++) {
    const base = x + <usize>img * <usize>h * <usize>w * ps;
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy - padT + ky;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ox - padL + kx;
            store<u32>(d, <u32>iy < <u32>h && <u32>ix < <u32>w ? load<u32>(base + (<usize>iy * <usize>w + <usize>ix) * ps) : 0);
            d += 4;
          }
        }
      }
    }
  }
}

/**
 * Fix the xnor sums of im2colBits32 rows: every out-of-image tap read bits 0 (-1 values) but zero
 * padding means 0, so add back its weight sum corr[tap][oc] (tapWeightSums); `offset` removes the
 * channel bits past c, which match (0 xor 0) in every tap: offset = -taps * (32 - c).
 */
export function padCorrection32(acc: usize, n: i32, h: i32, w: i32, kh: i32, kw: i32, padT: i32, padL: i32, oh: i32, ow: i32,
                                corr: usize, cout: i32, offset: i32): void {
  let row = acc;
  const vo = i32x4.splat(offset), c4 = cout & ~3;
  for (let img = 0; img < n; img++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        for (let c = 0; c < c4; c += 4) v128.store(row + (<usize>c << 2), i32x4.add(v128.load(row + (<usize>c << 2)), vo));
        for (let c = c4; c < cout; c++) store<i32>(row + (<usize>c << 2), load<i32>(row + (<usize>c << 2)) + offset);
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy - padT + ky;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ox - padL + kx;
            if (<u32>iy < <u32>h && <u32>ix < <u32>w) continue;
            const t = corr + (<usize>((ky * kw + kx) * cout) << 2);
            for (let c = 0; c < c4; c += 4) v128.store(row + (<usize>c << 2), i32x4.add(v128.load(row + (<usize>c << 2)), v128.load(t + (<usize>c << 2))));
            for (let c = c4; c < cout; c++) store<i32>(row + (<usize>c << 2), load<i32>(row + (<usize>c << 2)) + load<i32>(t + (<usize>c << 2)));
          }
        }
        row += <usize>cout << 2;
      }
    }
  }
}
