// The ONNX model zoo's float MNIST CNN as an int8 QOperator model for onnxruntime: the int8 baseline
// of bench/ptq.mjs, built from the same calibrated activation scales lowbit's quantizer found, with
// per-channel symmetric int8 weights (min-max) and int32 biases, the form ONNX Runtime's own static
// quantizer writes (QuantizeLinear -> QLinearConv -> MaxPool (uint8) -> ... -> QLinearMatMul ->
// DequantizeLinear). A u8 output with zero point 0 is the ReLU; the logits leave as u8 around 128.
import { decodeOnnx } from '../dist/onnx/decode.js';
import { encodeOnnx } from '../dist/onnx/encode.js';

const INT8 = 3, UINT8 = 2, INT32 = 6, INT64 = 7;

/**
 * @param bytes the float model (mnist-conv_model.onnx)
 * @param scales activation steps by value name: Input3, ReLU32_Output_0, ReLU114_Output_0 (u8, zero 0)
 * @param logitRange max |logit - bias| on the calibration set (the int8 output's range)
 */
export function mnistInt8(bytes, scales, logitRange) {
  const m = decodeOnnx(bytes), init = m.graph.initializers, t = (n) => init.get(n);
  const inits = [], nodes = [];
  const put = (name, dims, data, type) => { inits.push({ name, dims, data, type }); return name; };
  const f32 = (name, v) => put(name, Array.isArray(v) ? [v.length] : [], Float32Array.from(Array.isArray(v) ? v : [v]));
  const u8zero = (name) => put(name, [], Uint8Array.of(0), UINT8);
  /** per-output-channel symmetric int8 codes of W ([O][rest], channel axis 0) */
  const perChannel = (W, O) => {
    const K = W.length / O, q = new Int8Array(W.length), s = [];
    for (let o = 0; o < O; o++) {
      let max = 0;
      for (let k = 0; k < K; k++) max = Math.max(max, Math.abs(W[o * K + k]));
      const step = max / 127 || 1;
      s.push(step);
      for (let k = 0; k < K; k++) q[o * K + k] = Math.round(W[o * K + k] / step);
    }
    return { q, s };
  };
  const conv = (x, xs, wName, bName, ys, y, attrs) => {
    const w = t(wName), O = w.dims[0], { q, s } = perChannel(w.data, O), b = t(bName).data;
    const bias = Int32Array.from({ length: O }, (_, o) => Math.round(b[o] / (xs * s[o])));
    nodes.push({ op: 'QLinearConv', inputs: [x, f32(`${x}_s`, xs), `${x}_z`, put(`${wName}_q`, w.dims, q, INT8), f32(`${wName}_s`, s), put(`${wName}_z`, [O], new Int8Array(O), INT8), f32(`${y}_s`, ys), u8zero(`${y}_z`), put(`${bName}_q`, [O], bias, INT32)], outputs: [y], attrs, ints: ['group'] });
  };
  nodes.push({ op: 'QuantizeLinear', inputs: ['Input3', f32('in_s', scales.Input3), u8zero('in_z')], outputs: ['x0'] });
  put('x0_z', [], Uint8Array.of(0), UINT8);
  const convAttrs = { kernel_shape: [5, 5], strides: [1, 1], auto_pad: 'SAME_UPPER', group: 1 };
  conv('x0', scales.Input3, 'Parameter5', 'Parameter6', scales.ReLU32_Output_0, 'r1', convAttrs);
  nodes.push({ op: 'MaxPool', inputs: ['r1'], outputs: ['p1'], attrs: { kernel_shape: [2, 2], strides: [2, 2] } });
  put('p1_z', [], Uint8Array.of(0), UINT8);
  conv('p1', scales.ReLU32_Output_0, 'Parameter87', 'Parameter88', scales.ReLU114_Output_0, 'r2', convAttrs);
  nodes.push({ op: 'MaxPool', inputs: ['r2'], outputs: ['p2'], attrs: { kernel_shape: [3, 3], strides: [3, 3] } });
  nodes.push({ op: 'Reshape', inputs: ['p2', put('flat_shape', [2], BigInt64Array.of(1n, 256n), INT64)], outputs: ['f'] });
  // dense weights: Parameter193 [16,4,4,10] is [256][10] row-major; per-column (output) scales
  const W = t('Parameter193').data, N = 10, K = 256, wq = new Int8Array(K * N), ws = [];
  for (let o = 0; o < N; o++) {
    let max = 0;
    for (let k = 0; k < K; k++) max = Math.max(max, Math.abs(W[k * N + o]));
    ws.push(max / 127 || 1);
    for (let k = 0; k < K; k++) wq[k * N + o] = Math.round(W[k * N + o] / ws[o]);
  }
  const ys = logitRange / 127;
  nodes.push({ op: 'QLinearMatMul', inputs: ['f', f32('f_s', scales.ReLU114_Output_0), u8zero('f_z'), put('W_q', [K, N], wq, INT8), f32('W_s', ws), put('W_z', [N], new Int8Array(N), INT8), f32('y_s', ys), put('y_z', [], Uint8Array.of(128), UINT8)], outputs: ['yq'] });
  nodes.push({ op: 'DequantizeLinear', inputs: ['yq', 'y_s', 'y_z'], outputs: ['y'] });
  nodes.push({ op: 'Add', inputs: ['y', put('bias', [1, 10], Float32Array.from(t('Parameter194').data))], outputs: ['logits'] });
  return encodeOnnx({ nodes, initializers: inits, producer: 'lowbit-bench', opsets: { '': 13 }, inputs: [{ name: 'Input3', dims: [1, 1, 28, 28] }], outputs: [{ name: 'logits', dims: [1, 10] }] });
}
