// Max pooling on NHWC f32, 'valid' windows of k x k with stride s.

/** y = max over each window per channel; argmax[i] = the flat index into x of y[i]'s maximum. */
export function maxPoolForward(x: usize, n: i32, h: i32, w: i32, c: i32, k: i32, s: i32, oh: i32, ow: i32, y: usize, argmax: usize): void {
  let q = 0;
  for (let img = 0; img < n; img++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        for (let ch = 0; ch < c; ch++) {
          let best = -Infinity as f32, at = -1;
          for (let ky = 0; ky < k; ky++) {
            for (let kx = 0; kx < k; kx++) {
              const idx = ((img * h + oy * s + ky) * w + ox * s + kx) * c + ch;
              const v = load<f32>(x + (<usize>idx << 2));
              if (v > best || at < 0) { best = v; at = idx; }
            }
          }
          store<f32>(y + (<usize>q << 2), best);
          store<i32>(argmax + (<usize>q << 2), at);
          q++;
        }
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
