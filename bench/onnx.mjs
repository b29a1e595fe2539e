// ONNX models for the peer benchmarks and the import tests, through lowbit's own ONNX writer
// (src/onnx/encode.ts): single-node or small graphs with typed initializers.
import { encodeOnnx } from '../dist/onnx/encode.js';

/** ONNX TensorProto.DataType codes. */
export const DT = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6 };

/**
 * Build an ONNX model (opset 13 unless given) as bytes. Node i is named `n${i}`; an attribute is
 * an int when it is an integer number, ints for an array, a string, else a float.
 * nodes: [{ op, inputs, outputs, attrs?, domain? }]; inputs/outputs: [{ name, type, dims }];
 * initializers: [{ name, type, dims, data: TypedArray }].
 */
export function onnxModel({ nodes, inputs, outputs, initializers = [], opset = 13 }) {
  return encodeOnnx({
    nodes: nodes.map((n, i) => ({ ...n, name: `n${i}`, ints: Object.entries(n.attrs ?? {}).filter(([, v]) => Number.isInteger(v)).map(([k]) => k) })),
    inputs, outputs, initializers, opsets: { '': opset }, producer: 'lowbit-bench',
  });
}

/** Seeded random weights for the peer models (an LCG: speed does not depend on the values). */
export function randomWeights(seed = 7) {
  const rand = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  return {
    floats: (n, s) => Float32Array.from({ length: n }, () => (rand() * 2 - 1) * s),
    int8s: (n) => Int8Array.from({ length: n }, () => Math.floor(rand() * 255) - 127),
  };
}

/** onnxruntime-web as the peer benchmarks run it: wasm SIMD, one thread, errors only. */
export function ortWebOneThread(ort) {
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.simd = true;
  ort.env.logLevel = 'error';
}
