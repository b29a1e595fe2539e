// Kernels of the graph's merge and pooling ops (training, f32, NHWC):
//   addF32           out = a + b (residual adds; gradient sums at fan-out)
//   avgPoolForward   mean over 'valid' kh x kw windows with strides sh, sw
//   avgPoolBackward  its adjoint: each dy spread evenly over its window (dx zeroed here)
//   copyChannels     dst[r][off .. off + cs) = src[r][0 .. cs)   (concat, and its gradient's inverse)
//   sliceChannels    dst[r][0 .. cd) = src[r][off .. off + cd)

export function addF32(a: usize, b: usize, out: usize, n: i32): void {
  const n4 = n & ~3;
  for (let i = 0; i < n4; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, f32x4.add(v128.load(a + o), v128.load(b + o)));
  }
  for (let i = n4; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, load<f32>(a + o) + load<f32>(b + o));
  }
}

export function avgPoolForward(x: usize, n: i32, h: i32, w: i32, c: i32, kh: i32, kw: i32, sh: i32, sw: i32, oh: i32, ow: i32, y: usize): void {
  const c4 = c & ~3, inv = <f32>1 / <f32>(kh * kw), vinv = f32x4.splat(inv);
  let q = y;
  for (let img = 0; img < n; img++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        for (let ch = 0; ch < c4; ch += 4) {
          let s = f32x4.splat(0);
          for (let ky = 0; ky < kh; ky++) {
            const row = x + ((<usize>((img * h + oy * sh + ky) * w + ox * sw) * <usize>c + <usize>ch) << 2);
            for (let kx = 0; kx < kw; kx++) s = f32x4.add(s, v128.load(row + ((<usize>kx * <usize>c) << 2)));
          }
          v128.store(q + (<usize>ch << 2), f32x4.mul(s, vinv));
        }
        for (let ch = c4; ch < c; ch++) {
          let s: f32 = 0;
          for (let ky = 0; ky < kh; ky++) {
            const row = x + ((<usize>((img * h + oy * sh + ky) * w + ox * sw) * <usize>c + <usize>ch) << 2);
            for (let kx = 0; kx < kw; kx++) s += load<f32>(row + ((<usize>kx * <usize>c) << 2));
          }
          store<f32>(q + (<usize>ch << 2), s * inv);
        }
        q += <usize>c << 2;
      }
    }
  }
}

export function avgPoolBackward(dy: usize, n: i32, h: i32, w: i32, c: i32, kh: i32, kw: i32, sh: i32, sw: i32, oh: i32, ow: i32, dx: usize): void {
  memory.fill(dx, 0, (<usize>n * <usize>h * <usize>w * <usize>c) << 2);
  const c4 = c & ~3, inv = <f32>1 / <f32>(kh * kw), vinv = f32x4.splat(inv);
  let q = dy;
  for (let img = 0; img < n; img++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        for (let ky = 0; ky < kh; ky++) {
          const row = dx + (<usize>((img * h + oy * sh + ky) * w + ox * sw) * <usize>c << 2);
          for (let kx = 0; kx < kw; kx++) {
            const d = row + ((<usize>kx * <usize>c) << 2);
            for (let ch = 0; ch < c4; ch += 4) {
              const o = <usize>ch << 2;
              v128.store(d + o, f32x4.add(v128.load(d + o), f32x4.mul(v128.load(q + o), vinv)));
            }
            for (let ch = c4; ch < c; ch++) {
              const o = <usize>ch << 2;
              store<f32>(d + o, load<f32>(d + o) + load<f32>(q + o) * inv);
            }
          }
        }
        q += <usize>c << 2;
      }
    }
  }
}

export function copyChannels(src: usize, rows: i32, cs: i32, dst: usize, cd: i32, off: i32): void {
  const bytes = <usize>cs << 2;
  for (let r = 0; r < rows; r++) {
    memory.copy(dst + ((<usize>r * <usize>cd + <usize>off) << 2), src + <usize>r * bytes, bytes);
  }
}

export function sliceChannels(src: usize, rows: i32, cs: i32, off: i32, cd: i32, dst: usize): void {
  const bytes = <usize>cd << 2;
  for (let r = 0; r < rows; r++) {
    memory.copy(dst + <usize>r * bytes, src + ((<usize>r * <usize>cs + <usize>off) << 2), bytes);
  }
}

/**
 * Inverted dropout: y = x / (1 - p) where a hash of (seed, i) >= p, else 0; mask[i] holds the
 * factor (0 or 1 / (1 - p)) for the backward pass, dx = dy * mask.
 */
export function dropoutForward(x: usize, y: usize, mask: usize, n: i32, p: f32, seed: u32): void {
  const keep = <f32>1 / (<f32>1 - p);
  for (let i = 0; i < n; i++) {
    let t = seed ^ (<u32>i * 0x9e3779b9);
    t = (t ^ (t >>> 16)) * 0x85ebca6b;
    t = (t ^ (t >>> 13)) * 0xc2b2ae35;
    t ^= t >>> 16;
    const m: f32 = <f32>(t >>> 8) * (<f32>1 / <f32>16777216) >= p ? keep : 0;
    const o = <usize>i << 2;
    store<f32>(mask + o, m);
    store<f32>(y + o, load<f32>(x + o) * m);
  }
}

export function mulF32(a: usize, b: usize, out: usize, n: i32): void {
  const n4 = n & ~3;
  for (let i = 0; i < n4; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, f32x4.mul(v128.load(a + o), v128.load(b + o)));
  }
  for (let i = n4; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, load<f32>(a + o) * load<f32>(b + o));
  }
}

/** PReLU over the last axis: y = x (x >= 0) or a[c] x. */
export function preluForward(x: usize, y: usize, rows: i32, c: i32, a: usize): void {
  for (let r = 0; r < rows; r++) {
    const px = x + ((<usize>r * <usize>c) << 2), py = y + ((<usize>r * <usize>c) << 2);
    for (let ch = 0; ch < c; ch++) {
      const o = <usize>ch << 2, v = load<f32>(px + o);
      store<f32>(py + o, v >= 0 ? v : v * load<f32>(a + o));
    }
  }
}

/** dx = dy (x >= 0) or a[c] dy; da[c] = sum over rows of dy x where x < 0 (da overwritten). */
export function preluBackward(x: usize, dy: usize, dx: usize, rows: i32, c: i32, a: usize, da: usize): void {
  memory.fill(da, 0, <usize>c << 2);
  for (let r = 0; r < rows; r++) {
    const at = (<usize>r * <usize>c) << 2;
    for (let ch = 0; ch < c; ch++) {
      const o = <usize>ch << 2, v = load<f32>(x + at + o), g = load<f32>(dy + at + o);
      if (v >= 0) store<f32>(dx + at + o, g);
      else {
        store<f32>(dx + at + o, g * load<f32>(a + o));
        store<f32>(da + o, load<f32>(da + o) + g * v);
      }
    }
  }
}
