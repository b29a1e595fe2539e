// Fused output step for chained binary layers: int32 accumulator -> packed sign bits.
// bit c of an output pixel = (acc[c] >= thr[c]) xor flip[c]; flip is a lane mask (0 or -1).
// This is BatchNorm + sign folded into integers: y = gamma (acc - mu) / sigma + beta >= 0
//   gamma > 0: acc >= ceil(mu - beta sigma / gamma)            -> thr, flip = 0
//   gamma < 0: acc <= floor(tau)  ==  !(acc >= floor(tau) + 1)  -> thr = floor(tau) + 1, flip = -1
// Output rows are ceil(cout / 64) u64 words, bits past cout are zero.

/** acc: [rows][cout] i32 (row stride cout); thr, flip: [cout] i32; out: [rows][ceil(cout/64)] u64. */
export function thresholdPack(acc: usize, rows: i32, cout: i32, thr: usize, flip: usize, out: usize): void {
  const words = (cout + 63) >>> 6;
  const c16 = cout & ~15;
  for (let r = 0; r < rows; r++) {
    const pa = acc + (<usize>r * <usize>cout << 2);
    const po = out + (<usize>r * <usize>words << 3);
    memory.fill(po, 0, <usize>words << 3);
    for (let c = 0; c < c16; c += 16) {
      const o = <usize>c << 2;
      const m0 = v128.xor(i32x4.ge_s(v128.load(pa + o, 0), v128.load(thr + o, 0)), v128.load(flip + o, 0));
      const m1 = v128.xor(i32x4.ge_s(v128.load(pa + o, 16), v128.load(thr + o, 16)), v128.load(flip + o, 16));
      const m2 = v128.xor(i32x4.ge_s(v128.load(pa + o, 32), v128.load(thr + o, 32)), v128.load(flip + o, 32));
      const m3 = v128.xor(i32x4.ge_s(v128.load(pa + o, 48), v128.load(thr + o, 48)), v128.load(flip + o, 48));
      const bits = i8x16.bitmask(i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(m0, m1), i16x8.narrow_i32x4_s(m2, m3)));
      // 16-bit group c/16 lands at byte offset c/8 of the little-endian word row
      store<u16>(po + (<usize>c >>> 3), <u16>bits);
    }
    for (let c = c16; c < cout; c++) {
      const o = <usize>c << 2;
      const bit = <u32>(load<i32>(pa + o) >= load<i32>(thr + o)) ^ (load<u32>(flip + o) & 1);
      const pw = po + (<usize>(c >>> 6) << 3);
      store<u64>(pw, load<u64>(pw) | (<u64>bit << (<u64>(c & 63))));
    }
  }
}
