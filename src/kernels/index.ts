import type { Heap } from '../memory.js';
import { packSigns, packSignsNHWC } from './pack-signs.js';
import { xnorGemm } from './xnor-gemm.js';
import { sgemm } from './sgemm.js';
import { affineGemm } from './affine-gemm.js';
import { affineGemmLowBit } from './affine-gemm-lowbit.js';
import { packCodes, unpackCodes, type PackedCodes } from './codes.js';
import { bitserialGemm } from './bitserial-gemm.js';
import { affineConv2d, type AffineConv2dOptions } from './affine-conv2d.js';
import { bitserialConv2d, type BitserialConv2dOptions } from './bitserial-conv2d.js';
import { conv2dF32, conv2dF32Backward, type Conv2dF32Options } from './conv2d-f32.js';
import { requantize, type RequantizeOptions } from './requantize.js';
import { binaryConv2d, type BinaryConv2dOptions } from './binary-conv2d.js';
import { thresholdPack, type BinaryThreshold } from './threshold.js';

export type { BinaryConv2dOptions } from './binary-conv2d.js';
export type { BinaryThreshold } from './threshold.js';
export type { RequantizeOptions } from './requantize.js';
export type { AffineConv2dOptions } from './affine-conv2d.js';
export type { BitserialConv2dOptions } from './bitserial-conv2d.js';
export type { PackedCodes } from './codes.js';
export type { Conv2dF32Options } from './conv2d-f32.js';

/**
 * The typed-array kernel API: inputs are copied into wasm memory, outputs copied out as new arrays.
 * Every call validates its arguments and throws LowbitError naming the one that is wrong.
 */
export interface Kernels {
  /** Sign-pack rows of floats: ceil(k/32) u32 words per row, bit j = (x_j >= 0). */
  packSigns(x: Float32Array, rows: number, k: number): Uint32Array;
  /** Sign-pack NHWC pixels: 2*ceil(c/64) u32 words (ceil(c/64) u64) per pixel. */
  packSignsNHWC(x: Float32Array, pixels: number, c: number): Uint32Array;
  /** +-1 matrix product of m and n bit rows of length k: Int32Array m x n (into `out` if given). */
  xnorGemm(a: Uint32Array, b: Uint32Array, m: number, n: number, k: number, out?: Int32Array): Int32Array;
  /** f32 matrix product, a m x k, b k x n, row-major: Float32Array m x n (into `out` if given). */
  sgemm(a: Float32Array, b: Float32Array, m: number, n: number, k: number, out?: Float32Array): Float32Array;
  /**
   * 8-bit affine product, ONNX MatMulInteger semantics: a u8 m x k, b i8/u8 k x n, row-major;
   * out = sum (a - aZero)(b - bZero) as Int32Array m x n (into `out` if given).
   */
  affineGemm(a: Uint8Array, aZero: number, b: Int8Array | Uint8Array, bZero: number | ArrayLike<number>, m: number, n: number, k: number, out?: Int32Array): Int32Array;
  /**
   * Affine product with 4- or 2-bit weight codes b (one per byte, k x n, < 2^bBits) kept sub-byte
   * inside wasm: Int32Array m x n of sum (a - aZero)(b - bZero).
   */
  affineGemmLowBit(a: Uint8Array, aZero: number, b: Uint8Array | PackedCodes, bBits: number, bZero: number, m: number, n: number, k: number, out?: Int32Array): Int32Array;
  /** Pack rows x k codes (one per byte, < 2^bits) into 4- or 2-bit rows (each row byte-aligned). */
  packCodes(codes: Uint8Array, bits: number, rows: number, k: number): PackedCodes;
  /** Unpack 4- or 2-bit rows into one code per byte. */
  unpackCodes(packed: PackedCodes, rows: number, k: number): Uint8Array;
  /**
   * Bit-serial product: unsigned `bits`-bit codes a (m x k, Uint8Array) times +-1 weight rows w
   * (n rows in xnorGemm's layout): Int32Array m x n of sum_t a[i][t] * w_j[t].
   */
  bitserialGemm(a: Uint8Array | PackedCodes, bits: number, w: Uint32Array, m: number, n: number, k: number, out?: Int32Array): Int32Array;
  /**
   * Integer-only requantization of int32 accumulators ([rows][channels]) to u8/i8 codes with a
   * fixed-point multiplier per channel (see RequantizeOptions; rounding half toward +infinity).
   */
  requantize(acc: Int32Array, rows: number, channels: number, options: RequantizeOptions & { type: 'i8' }, out?: Int8Array): Int8Array;
  requantize(acc: Int32Array, rows: number, channels: number, options: RequantizeOptions & { type?: 'u8' }, out?: Uint8Array): Uint8Array;
  /**
   * 8-bit affine conv (ONNX ConvInteger semantics) on NHWC u8 input and [filters][kh][kw][c] i8/u8
   * weights: Int32Array [batch][oh][ow][filters].
   */
  affineConv2d(x: Uint8Array, xZero: number, w: Int8Array | Uint8Array | PackedCodes, wZero: number | ArrayLike<number>, opts: AffineConv2dOptions): Int32Array;
  /**
   * Bit-serial conv: unsigned `bits`-bit codes (u8 NHWC) times +-1 weights in binaryConv2d's
   * layout: Int32Array [batch][oh][ow][filters]; 'same' pads with code 0.
   */
  bitserialConv2d(x: Uint8Array | PackedCodes, bits: number, weights: Uint32Array, opts: BitserialConv2dOptions): Int32Array;
  /** f32 conv for training, NHWC x and [filters][kh][kw][c] w: y [n][oh][ow][filters]. */
  conv2dF32(x: Float32Array, w: Float32Array, opts: Conv2dF32Options): Float32Array;
  /** Gradients of conv2dF32 for upstream dy: { dx, dw }. */
  conv2dF32Backward(x: Float32Array, w: Float32Array, dy: Float32Array, opts: Conv2dF32Options): { dx: Float32Array; dw: Float32Array };
  /** Binary conv on packed NHWC input: int32 sums, or packed bits when given a threshold. */
  binaryConv2d(x: Uint32Array, weights: Uint32Array, opts: BinaryConv2dOptions): Int32Array;
  binaryConv2d(x: Uint32Array, weights: Uint32Array, opts: BinaryConv2dOptions, threshold: BinaryThreshold): Uint32Array;
  /** Fused output step: int32 accumulators -> packed bits by per-channel threshold and flip. */
  thresholdPack(acc: Int32Array, rows: number, channels: number, threshold: BinaryThreshold): Uint32Array;
}

export function makeKernels(heap: Heap): Kernels {
  return {
    packSigns: (x, rows, k) => packSigns(heap, x, rows, k),
    packSignsNHWC: (x, pixels, c) => packSignsNHWC(heap, x, pixels, c),
    xnorGemm: (a, b, m, n, k, out) => xnorGemm(heap, a, b, m, n, k, out),
    sgemm: (a, b, m, n, k, out) => sgemm(heap, a, b, m, n, k, out),
    affineGemm: (a, za, b, zb, m, n, k, out) => affineGemm(heap, a, za, b, zb, m, n, k, out),
    affineGemmLowBit: (a, za, b, bits, zb, m, n, k, out) => affineGemmLowBit(heap, a, za, b, bits, zb, m, n, k, out),
    packCodes: (codes, bits, rows, k) => packCodes(heap, codes, bits, rows, k),
    unpackCodes: (packed, rows, k) => unpackCodes(heap, packed, rows, k),
    bitserialGemm: (a, bits, w, m, n, k, out) => bitserialGemm(heap, a, bits, w, m, n, k, out),
    requantize: ((acc: Int32Array, rows: number, channels: number, o: RequantizeOptions, out?: Uint8Array | Int8Array) => requantize(heap, acc, rows, channels, o, out)) as Kernels['requantize'],
    affineConv2d: (x, xz, w, wz, o) => affineConv2d(heap, x, xz, w, wz, o),
    bitserialConv2d: (x, bits, w, o) => bitserialConv2d(heap, x, bits, w, o),
    conv2dF32: (x, w, o) => conv2dF32(heap, x, w, o),
    conv2dF32Backward: (x, w, dy, o) => conv2dF32Backward(heap, x, w, dy, o),
    binaryConv2d: ((x: Uint32Array, w: Uint32Array, o: BinaryConv2dOptions, t?: BinaryThreshold) =>
      t === undefined ? binaryConv2d(heap, x, w, o) : binaryConv2d(heap, x, w, o, t)) as Kernels['binaryConv2d'],
    thresholdPack: (acc, rows, channels, t) => thresholdPack(heap, acc, rows, channels, t),
  };
}
