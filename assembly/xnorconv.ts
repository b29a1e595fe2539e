// Binary 2-D convolution on bitpacked NHWC input, as im2col + xnorGemm, a band of output pixels
// at a time so the column buffer stays in cache.
// Input: [n][h][w][cw] u64 words (channel c = bit c % 64 of word c / 64, zero past C).
// Weights: bit panels of 6 output channels (packBitPanels), each channel's row the taps [kh][kw][cw]
// u64 words then zero to a 128-bit edge. The im2col rows are written straight into bit panels of 2
// rows in the same tap order, so one xor-popcount GEMM gives every dot product.
// Padding: a +-1 code cannot hold 0.
//   ones != 0: out-of-image taps read `ones` (cw words with the C channel bits set): "pad with +1".
//   ones == 0: they read zero bits (-1), contributing -sum_c w[oc][tap][c]; `corr` ([kh*kw][cout]
//   i32, that weight sum) is added back for each such tap, so the result equals true zero padding.
import { xnorGemm } from './xnor';
import { thresholdPack } from './threshold';

/**
 * Write the patch rows of output pixels p0 .. p0+rows-1 into col as bit panels of 2 rows
 * (u64 word q of local row r at ((r/2) * kv + q/2) * 32 + (r%2) * 16 + (q%2) * 8).
 */
function im2colBits(x: usize, h: i32, w: i32, cw: i32, kh: i32, kw: i32, sh: i32, sw: i32,
                    padT: i32, padL: i32, oh: i32, ow: i32, ones: usize,
                    p0: i32, rows: i32, col: usize, kv: i32): void {
  const pixBytes = <usize>cw << 3;
  const perImage = oh * ow;
  const used = kh * kw * cw; // u64 words per row; one more zero word if odd
  const stepBytes: usize = 32; // one 128-bit step of a 2-row panel
  // (img, oy, ox) of pixel p0, then stepped per row: no divisions in the loop
  let img = p0 / perImage;
  let oy = (p0 - img * perImage) / ow;
  let ox = p0 - img * perImage - oy * ow;
  for (let r = 0; r < rows; r++) {
    if (r > 0 && ++ox == ow) {
      ox = 0;
      if (++oy == oh) { oy = 0; img++; }
    }
    const rowBase = col + (<usize>(r >>> 1) * <usize>kv << 5) + (<usize>(r & 1) << 4);
    const base = x + <usize>img * <usize>h * <usize>w * pixBytes;
    const y0 = oy * sh - padT, x0 = ox * sw - padL;
    if (y0 >= 0 && x0 >= 0 && y0 + kh <= h && x0 + kw <= w) {
      // interior pixel: every tap inside. A kernel row's kw * cw words are contiguous in the
      // input, so a 128-bit step whose two words lie in one kernel row is a single 16-byte move.
      let srow = base + (<usize>y0 * <usize>w + <usize>x0) * pixBytes;
      const lineBytes = <usize>w * pixBytes;
      const words = kw * cw;
      let sp = srow;
      let left = words; // words left in the current kernel row
      let d = rowBase;
      const steps = used >>> 1;
      for (let st = 0; st < steps; st++) {
        if (left >= 2) {
          v128.store(d, v128.load(sp));
          sp += 16;
          left -= 2;
        } else {
          // one word ends this kernel row, the other starts the next
          store<u64>(d, load<u64>(sp));
          srow += lineBytes;
          store<u64>(d, load<u64>(srow), 8);
          sp = srow + 8;
          left = words - 1;
        }
        if (left == 0) {
          srow += lineBytes;
          sp = srow;
          left = words;
        }
        d += stepBytes;
      }
      if (used & 1) {
        store<u64>(d, load<u64>(sp));
        store<u64>(d, 0, 8);
      }
    } else {
      let q = 0;
      for (let ky = 0; ky < kh; ky++) {
        const iy = y0 + ky;
        for (let kx = 0; kx < kw; kx++) {
          const ix = x0 + kx;
          const inside = <u32>iy < <u32>h && <u32>ix < <u32>w;
          const s = inside ? base + (<usize>iy * <usize>w + <usize>ix) * pixBytes : ones;
          for (let t = 0; t < cw; t++) {
            // outside the image: the +1 pixel (ones != 0) or zero bits
            const v: u64 = inside || ones ? load<u64>(s + (<usize>t << 3)) : 0;
            store<u64>(rowBase + <usize>(q >>> 1) * stepBytes + (<usize>(q & 1) << 3), v);
            q++;
          }
        }
      }
      if (used & 1) store<u64>(rowBase + <usize>(q >>> 1) * stepBytes + 8, 0);
    }
  }
}

/** Add corr[tap][oc] to acc rows for every out-of-image tap of output pixels p0 .. p0+rows-1. */
function correctZeroPad(acc: usize, cout: i32, corr: usize, h: i32, w: i32, kh: i32, kw: i32,
                        sh: i32, sw: i32, padT: i32, padL: i32, oh: i32, ow: i32, p0: i32, rows: i32): void {
  const perImage = oh * ow;
  const c4 = cout & ~3;
  let oy = (p0 % perImage) / ow, ox = (p0 % perImage) % ow;
  for (let r = 0; r < rows; r++) {
    if (r > 0 && ++ox == ow) {
      ox = 0;
      if (++oy == oh) oy = 0;
    }
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
 * col: chunk * kv * 16 bytes (chunk even); scratch: 48 bytes.
 */
export function xnorConv2d(x: usize, n: i32, h: i32, w: i32, cw: i32,
                           wt: usize, cout: i32, kh: i32, kw: i32, sh: i32, sw: i32,
                           padT: i32, padL: i32, oh: i32, ow: i32, ones: usize, corr: usize, kbits: i32,
                           col: usize, chunk: i32, acc: usize, thr: usize, flip: usize, bits: usize, scratch: usize): void {
  const kv = (kh * kw * cw + 1) >>> 1;
  const total = n * oh * ow;
  const words = (cout + 63) >>> 6;
  for (let p0 = 0; p0 < total; p0 += chunk) {
    const rows = min(chunk, total - p0);
    im2colBits(x, h, w, cw, kh, kw, sh, sw, padT, padL, oh, ow, ones, p0, rows, col, kv);
    const pacc = thr ? acc : acc + (<usize>p0 * <usize>cout << 2);
    xnorGemm(col, wt, rows, cout, kh * kw * cw, kbits, pacc, cout, scratch);
    if (corr) correctZeroPad(pacc, cout, corr, h, w, kh, kw, sh, sw, padT, padL, oh, ow, p0, rows);
    if (thr) thresholdPack(pacc, rows, cout, thr, flip, bits + (<usize>p0 * <usize>words << 3));
  }
}

/**
 * corr[tap][oc] = sum over the C channels of weight oc at tap of +-1 = 2 * popcount - C, the weight
 * sum that zero padding removes. wt: rows of taps * cw u64 words (channel bits past C zero).
 */
export function tapWeightSums(wt: usize, cout: i32, taps: i32, cw: i32, c: i32, corr: usize): void {
  let p = wt;
  for (let oc = 0; oc < cout; oc++) {
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
