// The exported ABI: plain numbers and pointers only. Every kernel trusts its arguments;
// the TypeScript wrappers in src/ validate shapes before calling.
export { alloc, free, memoryBytes } from './memory';
export { packSignsRows, copyBitRows, packBitPanels } from './bitpack';
export { xnorGemm } from './xnor';
export { xnorConv2d, tapWeightSums } from './xnorconv';
export { thresholdPack } from './threshold';
export { sgemmPackB, sgemmPacked, sgemmRows } from './float';
export { affinePackA, affinePackRows, affinePackB, affineGemm } from './affine';
export { affineDotBytesA, affineDotBytesB, affineDotPackA, affineDotPackB, affineDotGemm, affineDotSelfTest } from './affine-dot';
export { im2colBytes, affineConvBandRows, affineConvBands } from './affineconv';
export { convPixels, convPixelsBytes, convPixelsPack } from './conv-pixels';
export { lutPackWeights, lutScratchBytes, lutGemm } from './lut';
export { packBitPlanes, packBitPlanesNHWC, maxByte, signRowSums, bitserialCombine, pairSumHalf } from './bitserial';
export { requantize } from './requantize';
export { affineRowSums, affinePackBLowBit, affinePackBTLowBit, affineGemmLowBit } from './affine-lowbit';
export { packCodes, unpackCodes } from './codes';
export { sgdStep, adamStep, blend, relax } from './optim';
export { projectBinary, projectTernary, projectTernaryThreshold, projectUniform, projectPow2, projectPow2Ratio, affineQuantForward, affineQuantBackward } from './quant';
export { qreluForward, qreluBackward, signForward, signBackward, softmaxCrossEntropy, reluForward, reluBackward, addBias, columnSums, bytesToF32 } from './activations';
export { im2colF32, col2imF32, im2colSliceF32, col2imSliceF32, transposeF32 } from './im2col';
export { addF32, mulF32, avgPoolForward, avgPoolBackward, copyChannels, sliceChannels, dropoutForward, preluForward, preluBackward } from './graph-ops';
export { batchNormForward, batchNormBackward, batchNormSums, batchNormBackwardSums, batchNormBackwardDx } from './norm';
export { maxPoolForward, maxPoolBackward } from './pool';

/** 1 in the relaxed-SIMD build (build/lowbit-relaxed.wasm), 0 in the baseline one. */
export function relaxedSimd(): i32 {
  return ASC_FEATURE_RELAXED_SIMD ? 1 : 0;
}
export { crc32, unpackSignsI8, multiThresholdSigned, maxPoolSignedI32, maxPoolBits, unpackBitsU8, affineLogits } from './infer';
export { im2colBits32, padCorrection32 } from './xnorconv32';
export { depthwiseForward, depthwiseBackward } from './depthwise';
export { scaleBiasF32, multiThresholdF32, thresholdUniformF32, softmaxRowsF32, dequantU8, firstNaNF32, polyF32, clampI32ToU8, nhwcToOutputF32, poolPadF32 } from './float-graph';
export { streamFromAcc, addShiftedI32, sumPoolI32, sumPoolU8, depthwiseU8, preluI32 } from './int-graph';
