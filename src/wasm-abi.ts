/** The raw exports of lowbit.wasm (assembly/index.ts): pointers and sizes only, no checks. */
export interface WasmExports {
  memory: WebAssembly.Memory;
  alloc(bytes: number): number;
  free(ptr: number): void;
  memoryBytes(): number;
  relaxedSimd(): number;
  packSignsRows(src: number, rows: number, k: number, dst: number, dstWords: number): void;
  copyBitRows(src: number, rows: number, srcWords: number, kbits: number, dst: number, dstWords: number): void;
  packBitPanels(src: number, rows: number, srcWords: number, kbits: number, r: number, dst: number): void;
  xnorGemm(a: number, b: number, m: number, n: number, words64: number, kbits: number, out: number, ldo: number, scratch: number): void;
  xnorConv2d(x: number, n: number, h: number, w: number, cw: number, wt: number, cout: number,
    kh: number, kw: number, sh: number, sw: number, padT: number, padL: number, oh: number, ow: number,
    ones: number, corr: number, kbits: number, col: number, chunk: number, acc: number,
    thr: number, flip: number, bits: number, scratch: number): void;
  tapWeightSums(wt: number, cout: number, taps: number, cw: number, c: number, corr: number): void;
  thresholdPack(acc: number, rows: number, cout: number, thr: number, flip: number, out: number): void;
  affinePackA(a: number, m: number, k: number, za: number, dst: number): void;
  affinePackRows(a: number, m: number, k: number, z: number, signed: number, r: number, dst: number, zrows: number): void;
  im2colBytes(x: number, n: number, h: number, w: number, c: number, kh: number, kw: number, sh: number, sw: number, padT: number, padL: number, oh: number, ow: number, xz: number, dst: number): void;
  affineRowSums(a: number, m: number, k: number, za: number, rowsum: number): void;
  affinePackBLowBit(b: number, k: number, n: number, bits: number, dst: number): void;
  affinePackBTLowBit(w: number, k: number, n: number, bits: number, dst: number): void;
  affineGemmLowBit(a: number, b: number, m: number, n: number, k: number, bits: number, zb: number, rowsum: number, out: number, scratch: number): void;
  affinePackB(b: number, k: number, n: number, zb: number, signed: number, dst: number): void; // zb: pointer to i16 per column
  affineGemm(a: number, b: number, m: number, n: number, k: number, out: number, scratch: number): void;
  packBitPlanes(a: number, m: number, k: number, bits: number, dst: number, words: number): void;
  maxByte(a: number, len: number): number;
  signRowSums(w: number, n: number, words: number, k: number, sums: number): void;
  bitserialCombine(x: number, m: number, bits: number, n: number, rowStep: number, planeStep: number, wsum: number, out: number): void;
  packBitPlanesNHWC(a: number, pixels: number, c: number, bits: number, dst: number): void;
  requantize(acc: number, rows: number, channels: number, bias: number, mult: number, t: number, zy: number, lo: number, hi: number, out: number, shifts: number): void;
  packCodes(src: number, rows: number, k: number, bits: number, dst: number): void;
  unpackCodes(src: number, rows: number, k: number, bits: number, dst: number): void;
  sgdStep(w: number, g: number, v: number, n: number, lr: number, mu: number, wd: number): void;
  adamStep(w: number, g: number, m: number, v: number, n: number, lr: number, b1: number, b2: number, eps: number, wd: number, bc1: number, bc2: number): void;
  blend(wf: number, wq: number, n: number, rho: number): void;
  relax(wf: number, wq: number, out: number, n: number, lambda: number): void;
  projectBinary(w: number, out: number, groups: number, size: number, scales: number): void;
  projectTernary(w: number, out: number, groups: number, size: number, scales: number, scratch: number): void;
  projectUniform(w: number, out: number, groups: number, size: number, bits: number, rounds: number, scales: number): void;
  projectTernaryThreshold(w: number, out: number, groups: number, size: number, scales: number): void;
  projectPow2(w: number, out: number, groups: number, size: number, bits: number, rounds: number, scales: number): void;
  affineQuantForward(w: number, out: number, groups: number, size: number, bits: number, s: number, b: number): void;
  affineQuantBackward(w: number, gq: number, gw: number, groups: number, size: number, bits: number, s: number, b: number, gs: number, gb: number): void;
  qreluForward(x: number, y: number, n: number, alpha: number, levels: number): void;
  qreluBackward(x: number, dy: number, dx: number, n: number, alpha: number, levels: number, inside: number): number;
  signForward(x: number, y: number, n: number): void;
  signBackward(x: number, dy: number, dx: number, n: number): void;
  softmaxCrossEntropy(logits: number, labels: number, rows: number, classes: number, grad: number): number;
  im2colF32(x: number, n: number, h: number, w: number, c: number, kh: number, kw: number, sh: number, sw: number, padT: number, padL: number, oh: number, ow: number, col: number): void;
  col2imF32(col: number, n: number, h: number, w: number, c: number, kh: number, kw: number, sh: number, sw: number, padT: number, padL: number, oh: number, ow: number, dx: number): void;
  transposeF32(a: number, rows: number, cols: number, out: number): void;
  batchNormForward(x: number, rows: number, channels: number, gamma: number, beta: number, eps: number, useStats: number, mean: number, invStd: number, y: number): void;
  batchNormBackward(x: number, dy: number, rows: number, channels: number, gamma: number, mean: number, invStd: number, dx: number, dgamma: number, dbeta: number): void;
  maxPoolForward(x: number, n: number, h: number, w: number, c: number, k: number, s: number, oh: number, ow: number, y: number, argmax: number): void;
  maxPoolBackward(dy: number, argmax: number, outLen: number, dx: number, xLen: number): void;
  reluForward(x: number, y: number, n: number): void;
  reluBackward(x: number, dy: number, dx: number, n: number): void;
  addBias(y: number, rows: number, cols: number, b: number): void;
  columnSums(a: number, rows: number, cols: number, out: number): void;
  bytesToF32(src: number, n: number, scale: number, offset: number, dst: number): void;
  sgemmPackB(b: number, k: number, n: number, dst: number): void;
  sgemmPacked(a: number, bp: number, m: number, n: number, k: number, c: number, scratch: number): void;
  sgemmRows(a: number, b: number, m: number, n: number, k: number, c: number): void;
  maxPoolBits(x: number, n: number, h: number, w: number, words: number, k: number, oh: number, ow: number, y: number): void;
  unpackBitsU8(x: number, rows: number, wordsPerRow: number, k: number, one: number, out: number): void;
  affineLogits(acc: number, rows: number, cols: number, scale: number, bias: number, out: number): void;
  multiThresholdSigned(acc: number, rows: number, c: number, thr: number, levels: number, sign: number, out: number): void;
  maxPoolSignedI32(acc: number, n: number, h: number, w: number, c: number, k: number, sign: number, oh: number, ow: number, out: number): void;
  im2colBits32(x: number, n: number, h: number, w: number, wpp: number, kh: number, kw: number, padT: number, padL: number, oh: number, ow: number, dst: number): void;
  padCorrection32(acc: number, n: number, h: number, w: number, kh: number, kw: number, padT: number, padL: number, oh: number, ow: number, corr: number, cout: number, offset: number): void;
  unpackSignsI8(x: number, pixels: number, wpp: number, c: number, out: number): void;
  crc32(p: number, n: number): number;
}
