// f32 im2col / col2im on NHWC data, and a transpose, for float convolutions in training:
//   forward  Y[M][f]  = col[M][K] x W^T[K][f]      (M = n*oh*ow output pixels, K = kh*kw*c)
//   backward dW[f][K] = dY^T[f][M] x col[M][K];  dcol[M][K] = dY[M][f] x W[f][K];  dX = col2im(dcol)
// Column order within a row: (ky, kx, channel), the weights' [f][kh][kw][c] layout. The slice
// variants take channels [off, off + cg) of c (one group of a grouped convolution).
import { copyShort } from './copy-short';

/** col[p][(ky*kw + kx)*c + ch] = x[img][iy][ix][ch], 0 outside the image (zero padding). */
export function im2colF32(x: usize, n: i32, h: i32, w: i32, c: i32, kh: i32, kw: i32, sh: i32, sw: i32,
                          padT: i32, padL: i32, oh: i32, ow: i32, col: usize): void {
  im2colSliceF32(x, n, h, w, c, 0, c, kh, kw, sh, sw, padT, padL, oh, ow, col, 1, 1);
}

/** im2colF32 over channels [off, off + cg) of c: rows of kh*kw*cg columns; taps dh / dw pixels apart (dilation). */
export function im2colSliceF32(x: usize, n: i32, h: i32, w: i32, c: i32, off: i32, cg: i32, kh: i32, kw: i32, sh: i32, sw: i32,
                               padT: i32, padL: i32, oh: i32, ow: i32, col: usize, dh: i32, dw: i32): void {
  const pixBytes = <usize>c << 2, take = <usize>cg << 2, skip = <usize>off << 2, lineBytes = <usize>w * pixBytes;
  // a kernel row inside the image is one run of kw * c floats when its taps are adjacent whole pixels
  const rowRuns = dw == 1 && cg == c, run = <usize>kw * take;
  let d = col;
  for (let img = 0; img < n; img++) {
    const base = x + <usize>img * <usize>h * lineBytes + skip;
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        const x0 = ox * sw - padL;
        const inside = rowRuns && x0 >= 0 && x0 + kw <= w;
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * sh - padT + ky * dh;
          if (inside && <u32>iy < <u32>h) {
            copyShort(d, base + (<usize>iy * <usize>w + <usize>x0) * pixBytes, run);
            d += run;
            continue;
          }
          for (let kx = 0; kx < kw; kx++) {
            const ix = x0 + kx * dw;
            if (<u32>iy < <u32>h && <u32>ix < <u32>w) copyShort(d, base + (<usize>iy * <usize>w + <usize>ix) * pixBytes, take);
            else memory.fill(d, 0, take);
            d += take;
          }
        }
      }
    }
  }
}

/** The adjoint of im2colF32: dx (zeroed here) += every column entry at its input position. */
export function col2imF32(col: usize, n: i32, h: i32, w: i32, c: i32, kh: i32, kw: i32, sh: i32, sw: i32,
                          padT: i32, padL: i32, oh: i32, ow: i32, dx: usize): void {
  memory.fill(dx, 0, <usize>n * <usize>h * <usize>w * (<usize>c << 2));
  col2imSliceF32(col, n, h, w, c, 0, c, kh, kw, sh, sw, padT, padL, oh, ow, dx);
}

/** The adjoint of im2colSliceF32, accumulated into dx (not zeroed: one call per group). */
export function col2imSliceF32(col: usize, n: i32, h: i32, w: i32, c: i32, off: i32, cg: i32, kh: i32, kw: i32, sh: i32, sw: i32,
                               padT: i32, padL: i32, oh: i32, ow: i32, dx: usize): void {
  const pixBytes = <usize>c << 2, take = <usize>cg << 2;
  const c4 = cg & ~3;
  let s = col;
  for (let img = 0; img < n; img++) {
    const base = dx + <usize>img * <usize>h * <usize>w * pixBytes + (<usize>off << 2);
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * sh - padT + ky;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ox * sw - padL + kx;
            if (<u32>iy < <u32>h && <u32>ix < <u32>w) {
              const d = base + (<usize>iy * <usize>w + <usize>ix) * pixBytes;
              for (let ch = 0; ch < c4; ch += 4) {
                const o = <usize>ch << 2;
                v128.store(d + o, f32x4.add(v128.load(d + o), v128.load(s + o)));
              }
              for (let ch = c4; ch < cg; ch++) {
                const o = <usize>ch << 2;
                store<f32>(d + o, load<f32>(d + o) + load<f32>(s + o));
              }
            }
            s += take;
          }
        }
      }
    }
  }
}

/** out [cols][rows] = a [rows][cols]^T: 4x4 blocks through v128 shuffles, scalar edges. */
export function transposeF32(a: usize, rows: i32, cols: i32, out: usize): void {
  const r4 = rows & ~3, c4 = cols & ~3;
  const rs = <usize>cols << 2, os = <usize>rows << 2;
  for (let i = 0; i < r4; i += 4) {
    const src = a + <usize>i * rs;
    for (let j = 0; j < c4; j += 4) {
      const p = src + (<usize>j << 2);
      const x0 = v128.load(p), x1 = v128.load(p + rs), x2 = v128.load(p + 2 * rs), x3 = v128.load(p + 3 * rs);
      const t0 = v128.shuffle<f32>(x0, x1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(x2, x3, 0, 4, 1, 5);
      const t2 = v128.shuffle<f32>(x0, x1, 2, 6, 3, 7), t3 = v128.shuffle<f32>(x2, x3, 2, 6, 3, 7);
      const q = out + <usize>j * os + (<usize>i << 2);
      v128.store(q, v128.shuffle<f64>(t0, t1, 0, 2));
      v128.store(q + os, v128.shuffle<f64>(t0, t1, 1, 3));
      v128.store(q + 2 * os, v128.shuffle<f64>(t2, t3, 0, 2));
      v128.store(q + 3 * os, v128.shuffle<f64>(t2, t3, 1, 3));
    }
    for (let ii = i; ii < i + 4; ii++) {
      for (let j = c4; j < cols; j++) store<f32>(out + ((<usize>j * <usize>rows + <usize>ii) << 2), load<f32>(a + ((<usize>ii * <usize>cols + <usize>j) << 2)));
    }
  }
  for (let i = r4; i < rows; i++) {
    for (let j = 0; j < cols; j++) store<f32>(out + ((<usize>j * <usize>rows + <usize>i) << 2), load<f32>(a + ((<usize>i * <usize>cols + <usize>j) << 2)));
  }
}
