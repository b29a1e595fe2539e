// Integer kernels of the Engine's graph nodes (residual streams of fixed-point int32 values):
//   streamFromAcc   q[r][c] = (acc[r][c] * mult[c] + addend[c]) >> t       (i64 math, clamped to int32)
//   addShiftedI32   out = shift(a, sa) + shift(b, sb); shift(x, s) = x << s (s >= 0) or x >> -s
//   sumPoolI32      window sums of int32 values (i64), >> shift, 'valid' windows
//   sumPoolU8       window sums of u8 codes less a zero point za each
//   depthwiseU8     depthwise conv of u8 codes / pixels (minus a zero point za) with int32 tap-major weights wt[tap][c]

// i64x2 -> clamped to int32 range
// @ts-ignore: decorator
@inline function clamp64(v: v128): v128 {
  const hi = i64x2.splat(<i64>i32.MAX_VALUE), lo = i64x2.splat(<i64>i32.MIN_VALUE);
  v = v128.bitselect(hi, v, i64x2.gt_s(v, hi));
  return v128.bitselect(lo, v, i64x2.lt_s(v, lo));
}
// the low 32 bits of two i64x2 vectors as one i32x4
// @ts-ignore: decorator
@inline function narrow64(a: v128, b: v128): v128 {
  return i8x16.shuffle(a, b, 0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27);
}

export function streamFromAcc(acc: usize, rows: i32, c: i32, mult: usize, addend: usize, t: i32, out: usize): void {
  const c4 = c & ~3;
  // t <= 31 (every stream step and requant; x86 has no 64-bit arithmetic shift before AVX-512):
  // clamp v to [-2^(31+t), 2^(31+t) - 1], where floor(v / 2^t) fits in int32, and shift logically:
  // the low 32 bits of (v mod 2^64) >> t are then floor(v / 2^t) mod 2^32, as 2^(64-t) is a multiple of 2^32
  const fast = t <= 31, vlo = i64x2.splat(-(<i64>1 << (31 + t))), vhi = i64x2.splat((<i64>1 << (31 + t)) - 1);
  for (let r = 0; r < rows; r++) {
    const pa = acc + ((<usize>r * <usize>c) << 2), po = out + ((<usize>r * <usize>c) << 2);
    if (fast) {
      for (let ch = 0; ch < c4; ch += 4) {
        const o = <usize>ch << 2, x = v128.load(pa + o), m = v128.load(mult + o);
        let lo = i64x2.add(i64x2.extmul_low_i32x4_s(x, m), v128.load(addend + (<usize>ch << 3)));
        let hi = i64x2.add(i64x2.extmul_high_i32x4_s(x, m), v128.load(addend + (<usize>ch << 3) + 16));
        lo = v128.bitselect(vhi, v128.bitselect(vlo, lo, i64x2.lt_s(lo, vlo)), i64x2.gt_s(lo, vhi));
        hi = v128.bitselect(vhi, v128.bitselect(vlo, hi, i64x2.lt_s(hi, vlo)), i64x2.gt_s(hi, vhi));
        v128.store(po + o, narrow64(i64x2.shr_u(lo, t), i64x2.shr_u(hi, t)));
      }
    } else for (let ch = 0; ch < c4; ch += 4) {
      const o = <usize>ch << 2, x = v128.load(pa + o), m = v128.load(mult + o);
      // extmul: one 32 x 32 -> 64-bit multiply per lane (pmuldq), where i64x2.mul is ~8 instructions on x86
      const lo = i64x2.shr_s(i64x2.add(i64x2.extmul_low_i32x4_s(x, m), v128.load(addend + (<usize>ch << 3))), t);
      const hi = i64x2.shr_s(i64x2.add(i64x2.extmul_high_i32x4_s(x, m), v128.load(addend + (<usize>ch << 3) + 16)), t);
      v128.store(po + o, narrow64(clamp64(lo), clamp64(hi)));
    }
    for (let ch = c4; ch < c; ch++) {
      let v = (<i64>load<i32>(pa + (<usize>ch << 2)) * <i64>load<i32>(mult + (<usize>ch << 2)) + load<i64>(addend + (<usize>ch << 3))) >> t;
      if (v > <i64>i32.MAX_VALUE) v = <i64>i32.MAX_VALUE;
      if (v < <i64>i32.MIN_VALUE) v = <i64>i32.MIN_VALUE;
      store<i32>(po + (<usize>ch << 2), <i32>v);
    }
  }
}

// @ts-ignore: decorator
@inline function shiftV(x: v128, s: i32): v128 { return s >= 0 ? i32x4.shl(x, s) : i32x4.shr_s(x, -s); }
// @ts-ignore: decorator
@inline function shiftS(x: i32, s: i32): i32 { return s >= 0 ? x << s : x >> -s; }

export function addShiftedI32(a: usize, sa: i32, b: usize, sb: i32, out: usize, n: i32): void {
  const n4 = n & ~3;
  for (let i = 0; i < n4; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, i32x4.add(shiftV(v128.load(a + o), sa), shiftV(v128.load(b + o), sb)));
  }
  for (let i = n4; i < n; i++) {
    const o = <usize>i << 2;
    store<i32>(out + o, shiftS(load<i32>(a + o), sa) + shiftS(load<i32>(b + o), sb));
  }
}

export function sumPoolI32(x: usize, n: i32, h: i32, w: i32, c: i32, kh: i32, kw: i32, sh: i32, sw: i32, oh: i32, ow: i32, shift: i32, out: usize): void {
  const c4 = c & ~3;
  let q = out;
  for (let img = 0; img < n; img++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        const first = x + ((<usize>((img * h + oy * sh) * w + ox * sw) * <usize>c) << 2);
        for (let ch = 0; ch < c4; ch += 4) {
          // 64-bit sums, 2 channels per vector (a window of int32 values can pass 2^31)
          let lo = i64x2.splat(0), hi = i64x2.splat(0);
          for (let ky = 0; ky < kh; ky++) {
            const row = first + ((<usize>(ky * w) * <usize>c + <usize>ch) << 2);
            for (let kx = 0; kx < kw; kx++) {
              const v = v128.load(row + ((<usize>kx * <usize>c) << 2));
              lo = i64x2.add(lo, i64x2.extend_low_i32x4_s(v));
              hi = i64x2.add(hi, i64x2.extend_high_i32x4_s(v));
            }
          }
          v128.store(q + (<usize>ch << 2), narrow64(clamp64(i64x2.shr_s(lo, shift)), clamp64(i64x2.shr_s(hi, shift))));
        }
        for (let ch = c4; ch < c; ch++) {
          let s: i64 = 0;
          for (let ky = 0; ky < kh; ky++) {
            const row = first + ((<usize>(ky * w) * <usize>c + <usize>ch) << 2);
            for (let kx = 0; kx < kw; kx++) s += <i64>load<i32>(row + ((<usize>kx * <usize>c) << 2));
          }
          s >>= shift;
          if (s > <i64>i32.MAX_VALUE) s = <i64>i32.MAX_VALUE;
          if (s < <i64>i32.MIN_VALUE) s = <i64>i32.MIN_VALUE;
          store<i32>(q + (<usize>ch << 2), <i32>s);
        }
        q += <usize>c << 2;
      }
    }
  }
}

export function sumPoolU8(x: usize, n: i32, h: i32, w: i32, c: i32, kh: i32, kw: i32, sh: i32, sw: i32, oh: i32, ow: i32, za: i32, out: usize): void {
  let q = out;
  for (let img = 0; img < n; img++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        memory.fill(q, 0, <usize>c << 2);
        for (let ky = 0; ky < kh; ky++) {
          for (let kx = 0; kx < kw; kx++) {
            const px = x + <usize>((img * h + oy * sh + ky) * w + ox * sw + kx) * <usize>c;
            for (let ch = 0; ch < c; ch++) {
              const o = q + (<usize>ch << 2);
              store<i32>(o, load<i32>(o) + <i32>load<u8>(px + <usize>ch) - za);
            }
          }
        }
        q += <usize>c << 2;
      }
    }
  }
}

export function depthwiseU8(x: usize, n: i32, h: i32, w: i32, c: i32, kh: i32, kw: i32, sh: i32, sw: i32,
                            padT: i32, padL: i32, oh: i32, ow: i32, wt: usize, za: i32, acc: usize): void {
  const c4 = c & ~3, row = <usize>c << 2, zv = i32x4.splat(za);
  let q = acc;
  for (let img = 0; img < n; img++) {
    const base = x + <usize>img * <usize>h * <usize>w * <usize>c;
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        memory.fill(q, 0, row);
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * sh - padT + ky;
          if (<u32>iy >= <u32>h) continue;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ox * sw - padL + kx;
            if (<u32>ix >= <u32>w) continue;
            const px = base + (<usize>iy * <usize>w + <usize>ix) * <usize>c, pw = wt + <usize>(ky * kw + kx) * row;
            for (let ch = 0; ch < c4; ch += 4) {
              const xs = i32x4.sub(i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(v128.load32_zero(px + <usize>ch))), zv);
              const o = <usize>ch << 2;
              v128.store(q + o, i32x4.add(v128.load(q + o), i32x4.mul(xs, v128.load(pw + o))));
            }
            for (let ch = c4; ch < c; ch++) {
              const o = <usize>ch << 2;
              store<i32>(q + o, load<i32>(q + o) + (<i32>load<u8>(px + <usize>ch) - za) * load<i32>(pw + o));
            }
          }
        }
        q += row;
      }
    }
  }
}

/** Integer PReLU on a stream: q (q >= 0) or (q * mult[c]) >> t (floor), per channel. */
export function preluI32(x: usize, rows: i32, c: i32, mult: usize, t: i32, out: usize): void {
  const c4 = c & ~3;
  for (let r = 0; r < rows; r++) {
    const at = (<usize>r * <usize>c) << 2;
    for (let ch = 0; ch < c4; ch += 4) {
      // 4 channels: (q mult) >> t in i64 lanes (exact, |q mult| < 2^62), the low 32 bits kept, q where q >= 0
      const o = <usize>ch << 2, q = v128.load(x + at + o), m = v128.load(mult + o);
      const neg = narrow64(i64x2.shr_s(i64x2.extmul_low_i32x4_s(q, m), t), i64x2.shr_s(i64x2.extmul_high_i32x4_s(q, m), t));
      v128.store(out + at + o, v128.bitselect(neg, q, i32x4.lt_s(q, i32x4.splat(0))));
    }
    for (let ch = c4; ch < c; ch++) {
      const o = <usize>ch << 2, q = load<i32>(x + at + o);
      store<i32>(out + at + o, q >= 0 ? q : <i32>((<i64>q * <i64>load<i32>(mult + o)) >> t));
    }
  }
}
