// Binary 2-D convolution on bitpacked NHWC input, as im2col + xnorGemm, a band of output pixels
// at a time so the column buffer stays in cache.
// Input: [n][h][w][cw] u64 words (channel c = bit c % 64 of word c / 64, zero past C).
// Weights: [cout][kv] v128 rows, each row the taps [kh][kw][cw] u64 words then zero to a v128 edge;
// column rows use the same layout, so one xor-popcount GEMM gives every dot product.
// Padding: a +-1 code cannot hold 0.
//   ones != 0: out-of-image taps read `ones` (cw words with the C channel bits set): "pad with +1".
//   ones == 0: they read zero bits (-1), contributing -sum_c w[oc][tap][c]; `corr` ([kh*kw][cout]
//   i32, that weight sum) is added back for each such tap, so the result equals true zero padding.
import { xnorGemm } from './xnor';
import { thresholdPack } from './threshold';

/** Write the packed patch rows of output pixels p0 .. p0+rows-1 into col (row stride kv v128). */
function im2colBits(x: usize, h: i32, w: i32, cw: i32, kh: i32, kw: i32, sh: i32, sw: i32,
                    padT: i32, padL: i32, oh: i32, ow: i32, ones: usize,
                    p0: i32, rows: i32, col: usize, kv: i32): void {
  const pixBytes = <usize>cw << 3;
  const rowBytes = <usize>kv << 4;
  const used = <usize>(kh * kw) * pixBytes;
  const perImage = oh * ow;
  for (let r = 0; r < rows; r++) {
    const p = p0 + r;
    const img = p / perImage;
    const q = p - img * perImage;
    const oy = q / ow, ox = q - (q / ow) * ow;
    let d = col + <usize>r * rowBytes;
    const base = x + <usize>img * <usize>h * <usize>w * pixBytes;
    for (let ky = 0; ky < kh; ky++) {
      const iy = oy * sh - padT + ky;
      for (let kx = 0; kx < kw; kx++) {
        const ix = ox * sw - padL + kx;
        if (<u32>iy < <u32>h && <u32>ix < <u32>w) {
          const s = base + (<usize>iy * <usize>w + <usize>ix) * pixBytes;
          if (cw == 1) store<u64>(d, load<u64>(s));
          else memory.copy(d, s, pixBytes);
        } else if (ones) {
          if (cw == 1) store<u64>(d, load<u64>(ones));
          else memory.copy(d, ones, pixBytes);
        } else {
          memory.fill(d, 0, pixBytes);
        }
        d += pixBytes;
      }
    }
    if (rowBytes > used) store<u64>(d, 0); // at most one u64 of padding up to the v128 edge
  }
}

/** Add corr[tap][oc] to acc rows for every out-of-image tap of output pixels p0 .. p0+rows-1. */
function correctZeroPad(acc: usize, cout: i32, corr: usize, h: i32, w: i32, kh: i32, kw: i32,
                        sh: i32, sw: i32, padT: i32, padL: i32, oh: i32, ow: i32, p0: i32, rows: i32): void {
  const perImage = oh * ow;
  const c4 = cout & ~3;
  for (let r = 0; r < rows; r++) {
    const q = (p0 + r) % perImage;
    const oy = q / ow, ox = q % ow;
    const y0 = oy * sh - padT, x0 = ox * sw - padL;
    if (y0 >= 0 && x0 >= 0 && y0 + kh <= h && x0 + kw <= w) continue; // interior pixel
    const pa = acc + (<usize>r * <usize>cout << 2);
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0; kx < kw; kx++) {
        if (<u32>(y0 + ky) < <u32>h && <u32>(x0 + kx) < <u32>w) continue;
        const pc = corr + (<usize>(ky * kw + kx) * <usize>cout << 2);
        for (let c = 0; c < c4; c += 4) {
          const o = <usize>c << 2;
          v128.store(pa + o, i32x4.add(v128.load(pa + o), v128.load(pc + o)));
        }
        for (let c = c4; c < cout; c++) {
          const o = <usize>c << 2;
          store<i32>(pa + o, load<i32>(pa + o) + load<i32>(pc + o));
        }
      }
    }
  }
}

/**
 * acc or bits out for all n*oh*ow output pixels (row-major over [n][oh][ow]).
 * thr == 0: acc is the i32 output [pixels][cout].
 * thr != 0: acc is a scratch of chunk*cout i32, and packed bits go to bits ([pixels][ceil(cout/64)] u64).
 * col: scratch of chunk * kv v128.
 */
export function xnorConv2d(x: usize, n: i32, h: i32, w: i32, cw: i32,
                           wt: usize, cout: i32, kh: i32, kw: i32, sh: i32, sw: i32,
                           padT: i32, padL: i32, oh: i32, ow: i32, ones: usize, corr: usize, kbits: i32,
                           col: usize, chunk: i32, acc: usize, thr: usize, flip: usize, bits: usize): void {
  const kv = (kh * kw * cw + 1) >>> 1;
  const total = n * oh * ow;
  const words = (cout + 63) >>> 6;
  for (let p0 = 0; p0 < total; p0 += chunk) {
    const rows = min(chunk, total - p0);
    im2colBits(x, h, w, cw, kh, kw, sh, sw, padT, padL, oh, ow, ones, p0, rows, col, kv);
    const pacc = thr ? acc : acc + (<usize>p0 * <usize>cout << 2);
    xnorGemm(col, wt, rows, cout, kv, kbits, pacc, cout);
    if (corr) correctZeroPad(pacc, cout, corr, h, w, kh, kw, sh, sw, padT, padL, oh, ow, p0, rows);
    if (thr) thresholdPack(pacc, rows, cout, thr, flip, bits + (<usize>p0 * <usize>words << 3));
  }
}

/**
 * corr[tap][oc] = sum over the C channels of weight oc at tap of +-1 = 2 * popcount - C, the weight
 * sum that zero padding removes. wt rows as for xnorConv2d (kv v128 per output channel).
 */
export function tapWeightSums(wt: usize, cout: i32, taps: i32, cw: i32, c: i32, kv: i32, corr: usize): void {
  const rowBytes = <usize>kv << 4;
  for (let oc = 0; oc < cout; oc++) {
    let p = wt + <usize>oc * rowBytes;
    for (let t = 0; t < taps; t++) {
      let pop: i32 = 0;
      for (let q = 0; q < cw; q++) {
        pop += <i32>popcnt(load<u64>(p));
        p += 8;
      }
      store<i32>(corr + (<usize>(t * cout + oc) << 2), 2 * pop - c);
    }
  }
}
