// lowbit core: web-standard APIs only (WebAssembly, typed arrays, fetch). Node's entry point is src/node/.
import { initFrom, type Lowbit, type WasmSource } from './runtime.js';

export { LowbitError } from './errors.js';
export { hasWasmSimd, type Lowbit, type WasmSource } from './runtime.js';
export type { Kernels, BinaryConv2dOptions, BinaryThreshold, RequantizeOptions, AffineConv2dOptions, BitserialConv2dOptions, PackedCodes, Conv2dF32Options } from './kernels/index.js';
export { fixedPointMultipliers, type FixedPointMultipliers } from './kernels/requantize.js';
export { convOutputSize, type Padding } from './kernels/conv-shape.js';

/** URL of the lowbit.wasm shipped with the package. */
export const wasmUrl = new URL('../build/lowbit.wasm', import.meta.url);

/** Load the runtime: from `source` if given, else by fetching the bundled lowbit.wasm. */
export function init(source?: WasmSource): Promise<Lowbit> {
  return initFrom(source ?? wasmUrl);
}
export { parseIdx, readIdx, gunzip, imageSet, FASHION_MNIST_CLASSES, type IdxArray, type ImageSet } from './data/idx.js';
