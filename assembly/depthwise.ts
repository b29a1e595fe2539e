// Depthwise convolution (one filter per channel) on NHWC f32 for training, 4 channels per lane
// group. Weights are tap-major, wt[ky][kx][c]; zero padding (padT, padL) and strides sh, sw.
//   forward   y[p][c]  = sum_taps x[tap(p)][c] wt[tap][c]
//   backward  dx[q][c] += dy[p][c] wt[tap][c]   (dx zeroed here)
//             dwt[tap][c] = sum_p dy[p][c] x[tap(p)][c]

export function depthwiseForward(x: usize, n: i32, h: i32, w: i32, c: i32, kh: i32, kw: i32, sh: i32, sw: i32,
                                 padT: i32, padL: i32, oh: i32, ow: i32, wt: usize, y: usize): void {
  const c4 = c & ~3, row = <usize>c << 2;
  let q = y;
  for (let img = 0; img < n; img++) {
    const base = x + <usize>img * <usize>h * <usize>w * row;
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        memory.fill(q, 0, row);
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * sh - padT + ky;
          if (<u32>iy >= <u32>h) continue;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ox * sw - padL + kx;
            if (<u32>ix >= <u32>w) continue;
            const px = base + (<usize>iy * <usize>w + <usize>ix) * row, pw = wt + <usize>(ky * kw + kx) * row;
            for (let ch = 0; ch < c4; ch += 4) {
              const o = <usize>ch << 2;
              v128.store(q + o, f32x4.add(v128.load(q + o), f32x4.mul(v128.load(px + o), v128.load(pw + o))));
            }
            for (let ch = c4; ch < c; ch++) {
              const o = <usize>ch << 2;
              store<f32>(q + o, load<f32>(q + o) + load<f32>(px + o) * load<f32>(pw + o));
            }
          }
        }
        q += row;
      }
    }
  }
}

export function depthwiseBackward(x: usize, dy: usize, n: i32, h: i32, w: i32, c: i32, kh: i32, kw: i32, sh: i32, sw: i32,
                                  padT: i32, padL: i32, oh: i32, ow: i32, wt: usize, dx: usize, dwt: usize): void {
  const c4 = c & ~3, row = <usize>c << 2;
  if (dx) memory.fill(dx, 0, <usize>n * <usize>h * <usize>w * row);
  memory.fill(dwt, 0, <usize>(kh * kw) * row);
  let q = dy;
  for (let img = 0; img < n; img++) {
    const base = <usize>img * <usize>h * <usize>w * row;
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * sh - padT + ky;
          if (<u32>iy >= <u32>h) continue;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ox * sw - padL + kx;
            if (<u32>ix >= <u32>w) continue;
            const at = base + (<usize>iy * <usize>w + <usize>ix) * row, px = x + at, pd = dx + at;
            const tap = <usize>(ky * kw + kx) * row, pw = wt + tap, pg = dwt + tap;
            for (let ch = 0; ch < c4; ch += 4) {
              const o = <usize>ch << 2, g = v128.load(q + o);
              v128.store(pg + o, f32x4.add(v128.load(pg + o), f32x4.mul(g, v128.load(px + o))));
              if (dx) v128.store(pd + o, f32x4.add(v128.load(pd + o), f32x4.mul(g, v128.load(pw + o))));
            }
            for (let ch = c4; ch < c; ch++) {
              const o = <usize>ch << 2, g = load<f32>(q + o);
              store<f32>(pg + o, load<f32>(pg + o) + g * load<f32>(px + o));
              if (dx) store<f32>(pd + o, load<f32>(pd + o) + g * load<f32>(pw + o));
            }
          }
        }
        q += row;
      }
    }
  }
}
