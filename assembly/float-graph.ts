// Float nodes of imported models: a float layer's output step, float-to-code quantization by
// per-channel thresholds, and a row softmax. All NHWC, channels innermost.

/** y[r][ch] = scale[ch] x[r][ch] + bias[ch], then max(y, 0) when relu is 1 (in place allowed). */
export function scaleBiasF32(x: usize, rows: i32, c: i32, scale: usize, bias: usize, relu: i32, y: usize): void {
  const c4 = c & ~3, zero = f32x4.splat(0), rowBytes = <usize>c << 2;
  for (let r = 0; r < rows; r++) {
    const px = x + <usize>r * rowBytes, py = y + <usize>r * rowBytes;
    for (let ch = 0; ch < c4; ch += 4) {
      const o = <usize>ch << 2;
      let v = f32x4.add(f32x4.mul(v128.load(px + o), v128.load(scale + o)), v128.load(bias + o));
      if (relu) v = f32x4.max(v, zero);
      v128.store(py + o, v);
    }
    for (let ch = c4; ch < c; ch++) {
      const o = <usize>ch << 2;
      let v = load<f32>(px + o) * load<f32>(scale + o) + load<f32>(bias + o);
      if (relu && !(v > 0)) v = 0;
      store<f32>(py + o, v);
    }
  }
}

/**
 * x [rows][c] f32 -> codes [rows][c] u8: code = #{k : sign[c] x >= thr[k][c]}, thr level-major
 * [levels][c], sign +-1 per channel (a flipped channel's "x < T" becomes "-x >= next float above -T").
 */
export function multiThresholdF32(x: usize, rows: i32, c: i32, thr: usize, levels: i32, sign: usize, out: usize): void {
  const c4 = c & ~3, rowBytes = <usize>c << 2, lv = <usize>c << 2;
  for (let r = 0; r < rows; r++) {
    const px = x + <usize>r * rowBytes, po = out + <usize>r * <usize>c;
    for (let ch = 0; ch < c4; ch += 4) {
      const o = <usize>ch << 2;
      const a = f32x4.mul(v128.load(px + o), v128.load(sign + o));
      let n = i32x4.splat(0), t = thr + o;
      for (let k = 0; k < levels; k++) {
        n = i32x4.sub(n, f32x4.ge(a, v128.load(t)));
        t += lv;
      }
      const b = i8x16.narrow_i16x8_u(i16x8.narrow_i32x4_u(n, n), i16x8.narrow_i32x4_u(n, n));
      store<i32>(po + <usize>ch, i32x4.extract_lane(b, 0));
    }
    for (let ch = c4; ch < c; ch++) {
      const a = load<f32>(px + (<usize>ch << 2)) * load<f32>(sign + (<usize>ch << 2));
      let n = 0;
      for (let k = 0; k < levels; k++) n += <i32>(a >= load<f32>(thr + <usize>k * lv + (<usize>ch << 2)));
      store<u8>(po + <usize>ch, <u8>n);
    }
  }
}

/** Softmax over each row of c values, in place (max subtracted first). */
export function softmaxRowsF32(x: usize, rows: i32, c: i32): void {
  for (let r = 0; r < rows; r++) {
    const p = x + <usize>r * (<usize>c << 2);
    let m = load<f32>(p);
    for (let i = 1; i < c; i++) m = max(m, load<f32>(p + (<usize>i << 2)));
    let s: f64 = 0;
    for (let i = 0; i < c; i++) { const e = Mathf.exp(load<f32>(p + (<usize>i << 2)) - m); store<f32>(p + (<usize>i << 2), e); s += e; }
    const inv = <f32>(1 / s);
    for (let i = 0; i < c; i++) store<f32>(p + (<usize>i << 2), load<f32>(p + (<usize>i << 2)) * inv);
  }
}

/** Codes u8 (or sign bits unpacked to 0 / 1 bytes) -> f32: y = scale[c] code + bias[c]. */
export function dequantU8(x: usize, rows: i32, c: i32, scale: usize, bias: usize, y: usize): void {
  for (let r = 0; r < rows; r++) {
    const px = x + <usize>r * <usize>c, py = y + <usize>r * (<usize>c << 2);
    for (let ch = 0; ch < c; ch++) store<f32>(py + (<usize>ch << 2), <f32>load<u8>(px + <usize>ch) * load<f32>(scale + (<usize>ch << 2)) + load<f32>(bias + (<usize>ch << 2)));
  }
}

/**
 * One set of thresholds for every value (one channel): code[i] = #{k : s x[i] >= thr[k]}, 16 values
 * per step (s = +-1, the flip as in multiThresholdF32).
 */
export function thresholdUniformF32(x: usize, n: i32, thr: usize, levels: i32, s: f32, out: usize): void {
  const sv = f32x4.splat(s), n16 = n & ~15;
  for (let i = 0; i < n16; i += 16) {
    const p = x + (<usize>i << 2);
    const a0 = f32x4.mul(v128.load(p), sv), a1 = f32x4.mul(v128.load(p + 16), sv);
    const a2 = f32x4.mul(v128.load(p + 32), sv), a3 = f32x4.mul(v128.load(p + 48), sv);
    let c0 = i32x4.splat(0), c1 = c0, c2 = c0, c3 = c0;
    for (let k = 0; k < levels; k++) {
      const t = v128.load32_splat(thr + (<usize>k << 2));
      c0 = i32x4.sub(c0, f32x4.ge(a0, t)); c1 = i32x4.sub(c1, f32x4.ge(a1, t));
      c2 = i32x4.sub(c2, f32x4.ge(a2, t)); c3 = i32x4.sub(c3, f32x4.ge(a3, t));
    }
    v128.store(out + <usize>i, i8x16.narrow_i16x8_u(i16x8.narrow_i32x4_u(c0, c1), i16x8.narrow_i32x4_u(c2, c3)));
  }
  for (let i = n16; i < n; i++) {
    const a = load<f32>(x + (<usize>i << 2)) * s;
    let c = 0;
    for (let k = 0; k < levels; k++) c += <i32>(a >= load<f32>(thr + (<usize>k << 2)));
    store<u8>(out + <usize>i, <u8>c);
  }
}

/** Index of the first NaN among n floats, or -1 (input checks: 16 values a step, one branch). */
export function firstNaNF32(x: usize, n: i32): i32 {
  const n16 = n & ~15;
  for (let i = 0; i < n16; i += 16) {
    const p = x + (<usize>i << 2);
    const a = v128.load(p), b = v128.load(p, 16), c = v128.load(p, 32), d = v128.load(p, 48);
    if (v128.any_true(v128.or(v128.or(f32x4.ne(a, a), f32x4.ne(b, b)), v128.or(f32x4.ne(c, c), f32x4.ne(d, d))))) return firstNaNScalar(x, i, i + 16);
  }
  return firstNaNScalar(x, n16, n);
}

function firstNaNScalar(x: usize, from: i32, to: i32): i32 {
  for (let i = from; i < to; i++) { const s = load<f32>(x + (<usize>i << 2)); if (s != s) return i; }
  return -1;
}

/** y[i] = (a x[i] + b) x[i] + c: a quadratic activation, elementwise (in place allowed). */
export function polyF32(x: usize, count: i32, a: f32, b: f32, c: f32, y: usize): void {
  const n4 = count & ~3, va = f32x4.splat(a), vb = f32x4.splat(b), vc = f32x4.splat(c);
  for (let i = 0; i < n4; i += 4) {
    const o = <usize>i << 2, v = v128.load(x + o);
    v128.store(y + o, f32x4.add(f32x4.mul(f32x4.add(f32x4.mul(va, v), vb), v), vc));
  }
  for (let i = n4; i < count; i++) {
    const o = <usize>i << 2, v = load<f32>(x + o);
    store<f32>(y + o, (a * v + b) * v + c);
  }
}

/** out[i] = clamp(x[i], 0, hi) as u8, x int32 (hi <= 255): a requantized stream's codes. */
export function clampI32ToU8(x: usize, count: i32, hi: i32, out: usize): void {
  const n16 = count & ~15, top = i8x16.splat(<i8>hi);
  for (let i = 0; i < n16; i += 16) {
    const p = x + (<usize>i << 2);
    const a = i16x8.narrow_i32x4_s(v128.load(p), v128.load(p + 16)), b = i16x8.narrow_i32x4_s(v128.load(p + 32), v128.load(p + 48));
    v128.store(out + <usize>i, i8x16.min_u(i8x16.narrow_i16x8_u(a, b), top));
  }
  for (let i = n16; i < count; i++) {
    const v = load<i32>(x + (<usize>i << 2));
    store<u8>(out + <usize>i, <u8>(v < 0 ? 0 : v > hi ? hi : v));
  }
}

/**
 * An imported model's last value [n][lh][lw][lc] (NHWC) into its output layout: DepthToSpace by a
 * block of b (b = 1: none) into lc / b^2 channels, DCR order (dcr = 1: source channel (by b + bx)
 * oc + ch) or CRD (ch b^2 + by b + bx), then NCHW (nchw = 1) or NHWC.
 */
export function nhwcToOutputF32(x: usize, n: i32, lh: i32, lw: i32, lc: i32, b: i32, dcr: i32, nchw: i32, y: usize): void {
  const oc = lc / (b * b), oh = lh * b, ow = lw * b, per = <usize>lh * <usize>lw * <usize>lc;
  let q = y;
  for (let img = 0; img < n; img++) {
    const xi = x + ((<usize>img * per) << 2);
    if (nchw) {
      // output rows y0 b + by, columns x0 b + bx: no division per value
      for (let ch = 0; ch < oc; ch++) {
        for (let y0 = 0; y0 < lh; y0++) {
          const row = xi + ((<usize>y0 * <usize>lw * <usize>lc) << 2);
          for (let by = 0; by < b; by++) {
            for (let x0 = 0; x0 < lw; x0++) {
              const px = row + ((<usize>x0 * <usize>lc) << 2);
              for (let bx = 0; bx < b; bx++) {
                const src = dcr ? (by * b + bx) * oc + ch : ch * b * b + by * b + bx;
                store<f32>(q, load<f32>(px + (<usize>src << 2)));
                q += 4;
              }
            }
          }
        }
      }
    } else {
      for (let oy = 0; oy < oh; oy++) {
        const by = oy % b, row = xi + ((<usize>(oy / b) * <usize>lw * <usize>lc) << 2);
        for (let ox = 0; ox < ow; ox++) {
          const bx = ox % b, px = row + ((<usize>(ox / b) * <usize>lc) << 2);
          for (let ch = 0; ch < oc; ch++) {
            const src = dcr ? (by * b + bx) * oc + ch : ch * b * b + by * b + bx;
            store<f32>(q, load<f32>(px + (<usize>src << 2)));
            q += 4;
          }
        }
      }
    }
  }
}

/**
 * Pooling of NHWC floats over kh x kw windows with strides and pads (padT, padL before the map):
 * mode 0 the max of the taps inside the map; 1 their mean; 2 the sum over them divided by kh kw
 * (pads counting as zeros). Every window holds a tap inside the map (pads < window).
 */
export function poolPadF32(x: usize, n: i32, h: i32, w: i32, c: i32, kh: i32, kw: i32, sh: i32, sw: i32, padT: i32, padL: i32, oh: i32, ow: i32, mode: i32, y: usize): void {
  const c4 = c & ~3, pix = <usize>c << 2, line = <usize>w * pix;
  let q = y;
  for (let img = 0; img < n; img++) {
    const base = x + <usize>img * <usize>h * line;
    for (let oy = 0; oy < oh; oy++) {
      const y0 = oy * sh - padT, ya = max(0, y0), yb = min(h, y0 + kh);
      for (let ox = 0; ox < ow; ox++) {
        const x0 = ox * sw - padL, xa = max(0, x0), xb = min(w, x0 + kw);
        const scale = <f32>1 / <f32>(mode == 2 ? kh * kw : (yb - ya) * (xb - xa)), sv = f32x4.splat(scale);
        for (let ch = 0; ch < c4; ch += 4) {
          const o = <usize>ch << 2;
          let m = mode ? f32x4.splat(0) : f32x4.splat(-Infinity);
          for (let yy = ya; yy < yb; yy++) {
            let p = base + <usize>yy * line + <usize>xa * pix + o;
            for (let xx = xa; xx < xb; xx++, p += pix) m = mode ? f32x4.add(m, v128.load(p)) : f32x4.max(m, v128.load(p));
          }
          v128.store(q + o, mode ? f32x4.mul(m, sv) : m);
        }
        for (let ch = c4; ch < c; ch++) {
          const o = <usize>ch << 2;
          let m: f32 = mode ? 0 : -Infinity;
          for (let yy = ya; yy < yb; yy++) {
            let p = base + <usize>yy * line + <usize>xa * pix + o;
            for (let xx = xa; xx < xb; xx++, p += pix) m = mode ? m + load<f32>(p) : max(m, load<f32>(p));
          }
          store<f32>(q + o, mode ? m * scale : m);
        }
        q += pix;
      }
    }
  }
}
