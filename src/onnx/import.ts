// importOnnx: an ONNX or QONNX model file -> a lowbit model file (.lbm), web-standard.
import { LowbitError, checkOptions } from '../errors.js';
import { encodeModel } from '../infer/format.js';
import type { Plan } from '../infer/plan.js';
import { decodeOnnx, type OnnxModel } from './decode.js';
import { lowerOnnx } from './lower.js';
import { enableImportedModels } from '../infer/imported.js';

export interface ImportOptions {
  /** class names for a classifier's outputs (default "0", "1", ...) */
  classes?: string[];
}

export interface ImportResult {
  /** the .lbm file */
  model: Uint8Array;
  plan: Plan;
  /** one line per lowered layer: what it became (kernel, precision) */
  summary: string[];
  /** the nodes that run in float */
  floatNodes: string[];
}

/** Import with the per-layer summary (what `lowbit import` prints). */
export function importOnnxModel(bytes: Uint8Array, options: ImportOptions = {}): ImportResult {
  return importOnnxGraph(decodeOnnx(bytes), options);
}

/** Import an already decoded model (decodeOnnx), e.g. after turning graph inputs into initializers. */
export function importOnnxGraph(onnx: OnnxModel, options: ImportOptions = {}): ImportResult {
  checkOptions('importOnnx', options, ['classes']);
  enableImportedModels(); // the model file's float nodes
  const { plan, report } = lowerOnnx(onnx);
  if (options.classes) {
    const n = plan.io!.output.reduce((a, b) => a * b, 1);
    if (!Array.isArray(options.classes) || options.classes.length !== n || !options.classes.every((c) => typeof c === 'string')) throw new LowbitError('BAD_ARGUMENT', `classes must be ${n} names, one per model output`);
    plan.classes = [...options.classes];
  }
  plan.meta = { source: 'onnx', producer: onnx.producer, opsets: Object.fromEntries(onnx.opsets), floatNodes: report.floatNodes };
  return { model: encodeModel(plan), plan, summary: report.lines, floatNodes: report.floatNodes };
}

/** An ONNX / QONNX model (bytes) as a lowbit model file; the Engine runs it on its integer kernels. */
export function importOnnx(bytes: Uint8Array, options: ImportOptions = {}): Uint8Array {
  return importOnnxModel(bytes, options).model;
}
