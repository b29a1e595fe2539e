// lowbit core: web-standard APIs only (WebAssembly, typed arrays, fetch). Node's entry point is src/node/.
import { defaultBuild, initFrom, type InitOptions, type Lowbit, type WasmSource } from './runtime.js';
import { LowbitError } from './errors.js';

export { LowbitError, type LowbitErrorCode } from './errors.js';
export { Heap } from './memory.js';
export { hasWasmSimd, hasRelaxedSimd, type Lowbit, type WasmSource, type InitOptions } from './runtime.js';
export type { Kernels, BinaryConv2dOptions, BinaryThreshold, RequantizeOptions, AffineConv2dOptions, BitserialConv2dOptions, PackedCodes, Conv2dF32Options } from './kernels/index.js';
export { fixedPointMultipliers, type FixedPointMultipliers } from './kernels/requantize.js';
export { convOutputSize, type Padding } from './kernels/conv-shape.js';

/** A file beside this module, or undefined where modules have no URL (bundled into a Worker). */
function besideModule(path: string): URL | undefined {
  try {
    return new URL(path, import.meta.url);
  } catch {
    return undefined;
  }
}

/** URLs of the wasm builds shipped with the package: baseline SIMD128, and relaxed SIMD. */
export const wasmUrl = besideModule('../build/lowbit.wasm') as URL;
export const relaxedWasmUrl = besideModule('../build/lowbit-relaxed.wasm') as URL;

/**
 * Load the runtime: from `source` if given, else by fetching the bundled build that suits this
 * host (options.build; relaxed SIMD where it validates).
 */
export function init(source?: WasmSource, options: InitOptions = {}): Promise<Lowbit> {
  return initFrom(source ?? bundledWasmUrl(options));
}

/** The bundled build that suits this host (or the one options.build asks for). */
export function bundledWasmUrl(options: InitOptions = {}): URL {
  const url = defaultBuild(options) === 'relaxed' ? relaxedWasmUrl : wasmUrl;
  if (!url) {
    throw new LowbitError('WASM_LOAD', 'this host gives modules no URL to find lowbit.wasm beside them: pass the wasm to init() (in Workers: import lowbit.wasm as a module)');
  }
  return url;
}
export { parseIdx, readIdx, gunzip, imageSet, FASHION_MNIST_CLASSES, type IdxArray, type ImageSet } from './data/idx.js';
// training
export { Sequential, evaluate } from './train/sequential.js';
export { Conv2d, type Conv2dOptions } from './layers/conv2d.js';
export { Dense, type DenseOptions } from './layers/dense.js';
export { ReLU, Sign, QReLU, initialAlpha, type QReLUOptions } from './layers/activations.js';
export { BatchNorm, MaxPool, Flatten } from './layers/simple.js';
export type { Layer, Param } from './layers/layer.js';
export { weightQuantizers, QuantizedWeight, type WeightQuantizer } from './quantize/weights.js';
export { Sgd, Adam, type Optimizer } from './train/optimizers.js';
export { QuantRule, type RuleKind, type RuleOptions } from './train/rules.js';
export { learningRate, type ScheduleKind } from './train/schedule.js';
export { Trainer, type TrainOptions, type EpochSummary, type BatchProgress } from './train/trainer.js';
export { buildLayers, describeArch, type ArchOptions } from './train/models.js';
export { encodeCheckpoint, decodeCheckpoint, restoreCheckpoint } from './train/checkpoint.js';
// inference
export { compile } from './infer/compile.js';
export { Engine } from './infer/engine.js';
export { encodeModel, decodeModel, validatePlan, MODEL_VERSION } from './infer/format.js';
export type { Plan, PlanStep } from './infer/plan.js';
export { decodePng, resizeGray, isPng, type GrayImage, type DecodePngOptions } from './data/png.js';
