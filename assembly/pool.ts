// Max pooling on NHWC f32, 'valid' windows of k x k with stride s.

/**
 * y = max over each window per channel; argmax[i] = the flat index into x of y[i]'s maximum (the
 * first one on ties). Channels go 4 to a lane group (compare, then bitselect value and index).
 */
export function maxPoolForward(x: usize, n: i32, h: i32, w: i32, c: i32, k: i32, s: i32, oh: i32, ow: i32, y: usize, argmax: usize): void {
  const c4 = c & ~3, lanes = i32x4(0, 1, 2, 3);
  let q = 0;
  for (let img = 0; img < n; img++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        const first = ((img * h + oy * s) * w + ox * s) * c;
        for (let ch = 0; ch < c4; ch += 4) {
          let best = v128.load(x + (<usize>(first + ch) << 2));
          let at = i32x4.add(i32x4.splat(first + ch), lanes);
          for (let ky = 0; ky < k; ky++) {
            for (let kx = 0; kx < k; kx++) {
              const idx = ((img * h + oy * s + ky) * w + ox * s + kx) * c + ch;
              const v = v128.load(x + (<usize>idx << 2));
              const gt = f32x4.gt(v, best);
              best = v128.bitselect(v, best, gt);
              at = v128.bitselect(i32x4.add(i32x4.splat(idx), lanes), at, gt);
            }
          }
          v128.store(y + (<usize>(q + ch) << 2), best);
          v128.store(argmax + (<usize>(q + ch) << 2), at);
        }
        for (let ch = c4; ch < c; ch++) {
          let best = load<f32>(x + (<usize>(first + ch) << 2)), at = first + ch;
          for (let ky = 0; ky < k; ky++) {
            for (let kx = 0; kx < k; kx++) {
              const idx = ((img * h + oy * s + ky) * w + ox * s + kx) * c + ch;
              const v = load<f32>(x + (<usize>idx << 2));
              if (v > best) { best = v; at = idx; }
            }
          }
          store<f32>(y + (<usize>(q + ch) << 2), best);
          store<i32>(argmax + (<usize>(q + ch) << 2), at);
        }
        q += c;
      }
    }
  }
}

/** dx (xLen elements, zeroed here) += dy at each window's argmax. */
export function maxPoolBackward(dy: usize, argmax: usize, outLen: i32, dx: usize, xLen: i32): void {
  memory.fill(dx, 0, <usize>xLen << 2);
  for (let i = 0; i < outLen; i++) {
    const d = dx + (<usize>load<i32>(argmax + (<usize>i << 2)) << 2);
    store<f32>(d, load<f32>(d) + load<f32>(dy + (<usize>i << 2)));
  }
}
