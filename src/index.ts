// lowbit core: web-standard APIs only (WebAssembly, typed arrays, fetch). Node's entry point is src/node/.
import { initFrom, type InitOptions, type Lowbit, type WasmSource } from './runtime.js';
import { bundledWasmUrl } from './wasm-urls.js';
import { makeKernels } from './kernels/index.js';

export { LowbitError, type LowbitErrorCode } from './errors.js';
export { Heap } from './memory.js';
export { hasWasmSimd, hasRelaxedSimd, type Lowbit, type WasmSource, type InitOptions } from './runtime.js';
export type { Kernels, BinaryConv2dOptions, BinaryThreshold, RequantizeOptions, AffineConv2dOptions, BitserialConv2dOptions, PackedCodes, Conv2dF32Options } from './kernels/index.js';
export { fixedPointMultipliers, type FixedPointMultipliers } from './kernels/requantize.js';
export { convOutputSize, type Padding } from './kernels/conv-shape.js';

export { wasmUrl, relaxedWasmUrl, bundledWasmUrl } from './wasm-urls.js';

/**
 * Load the runtime: from `source` if given, else by fetching the bundled build that suits this
 * host (options.build; relaxed SIMD where it validates).
 */
export function init(source?: WasmSource, options: InitOptions = {}): Promise<Lowbit> {
  return initFrom(source ?? bundledWasmUrl(options), makeKernels);
}
export { parseIdx, readIdx, gunzip, imageSet, FASHION_MNIST_CLASSES, type IdxArray, type ImageSet } from './data/idx.js';
// training
export { Sequential, evaluate } from './train/sequential.js';
export { Conv2d, type Conv2dOptions } from './ops/conv2d.js';
export { Dense, type DenseOptions } from './ops/dense.js';
export { ReLU, Sign, QReLU, initialAlpha, type QReLUOptions } from './ops/activations.js';
export { AffineAct, type AffineActOptions } from './ops/affine-act.js';
export { BatchNorm, MaxPool, Flatten } from './ops/simple.js';
export { Add } from './ops/add.js';
export { Concat } from './ops/concat.js';
export { AvgPool, globalAvgPool } from './ops/avgpool.js';
export { Dropout } from './ops/dropout.js';
export { Reshape } from './ops/reshape.js';
export { Shift } from './ops/shift.js';
export { PReLU } from './ops/prelu.js';
export { OPS, layerFromJson, quantizerFromJson } from './ops/registry.js';
export type { Layer, MergeLayer, AnyLayer, Param, StateBuffer } from './ops/layer.js';
export { input, apply, Value, type GraphNode } from './graph/graph.js';
export { Model, modelFromJson, type GraphJson, type ModelNode } from './graph/model.js';
export { weightQuantizers, QuantizedWeight, type WeightQuantizer } from './quantize/weights.js';
export { Sgd, Adam, type Optimizer } from './train/optimizers.js';
export { QuantRule, type RuleKind, type RuleOptions } from './train/rules.js';
export { learningRate, type ScheduleKind } from './train/schedule.js';
export { Trainer, type TrainOptions, type EpochSummary, type BatchProgress } from './train/trainer.js';
export { buildLayers, buildModel, describeArch, type ArchOptions } from './train/models.js';
export { resnet, mobilenet, type PresetParts } from './train/presets.js';
export { encodeCheckpoint, decodeCheckpoint, restoreCheckpoint } from './train/checkpoint.js';
// quantized two-layer nets by semidefinite programming (docs/sdp.md)
export { solveSdp, type SdpSolution, type SdpOptions } from './sdp/solve.js';
export { sampleNet, type SampledNet } from './sdp/sample.js';
export { enumerateOptimum, type Enumerated } from './sdp/enumerate.js';
export { trainSte, trainSteClassifier, type SteOptions, type SteClassifierOptions } from './sdp/ste.js';
export { trainSdpClassifier, classifierScores, accuracy as classifierAccuracy, type SdpClassifier, type SdpClassifierResult, type SdpClassifierOptions, type ClassSolve } from './sdp/classifier.js';
export { fitProjection, applyProjection, type Projection, type ProjectionOptions } from './sdp/features.js';
export { exportSdpClassifier, sdpClassifierPlan, type SdpExportOptions } from './sdp/export.js';
export { netObjective, type QuadNetProblem, type QuadNet, type Polynomial } from './sdp/problem.js';
// inference
export { compile } from './infer/compile.js';
export type { Lowering, LowerNode, IntVal, ActivationRule } from './infer/lowering.js';
export { Engine } from './infer/engine.js';
import { enableImportedModels } from './infer/imported.js';
enableImportedModels();
export { importOnnx, importOnnxModel, importOnnxGraph, type ImportOptions, type ImportResult } from './onnx/import.js';
export { exportQonnx } from './onnx/export-qonnx.js';
export { quantizeOnnx, type QuantizeOptions, type QuantizeResult } from './onnx/ptq.js';
export { decodeOnnx, decodeTensor, type OnnxModel, type OnnxGraph, type OnnxNode, type Tensor as OnnxTensor } from './onnx/decode.js';
export { encodeModel, decodeModel, validatePlan, MODEL_VERSION } from './infer/format.js';
export type { Plan, PlanStep } from './infer/plan.js';
export { decodePng, resizeGray, isPng, type GrayImage, type DecodePngOptions } from './data/png.js';
export { EnginePool } from './infer/pool.js';
export type { EngineLoadOptions, PoolMemory } from './infer/engine.js';
import { setPoolFactory } from './infer/engine.js';
import { startWebPool } from './web-pool.js';
setPoolFactory(startWebPool);
