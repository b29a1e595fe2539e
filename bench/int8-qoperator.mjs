// A float chain CNN (Conv / MatMul layers with their bias, batch-norm Mul / Add and Relu, MaxPool,
// Flatten / Reshape) as an int8 QOperator ONNX model for onnxruntime: the int8 baseline of
// bench/ptq.mjs, in the form ONNX Runtime's static quantizer writes. It uses the activation steps
// lowbit's quantizer calibrated (u8, zero point 0, so a u8 output is the ReLU), per-output-channel
// symmetric int8 weights (min-max) with the batch norm folded in, and int32 biases. Dense layers run
// as 1x1 QLinearConv (which takes a bias); the last layer's output is u8 around 128, dequantized.
import { decodeOnnx } from '../dist/onnx/decode.js';
import { encodeOnnx } from '../dist/onnx/encode.js';

const INT8 = 3, UINT8 = 2, INT32 = 6, INT64 = 7;

/**
 * @param bytes the float model
 * @param scales activation steps by value name: the graph input and every Relu output
 * @param logitRange max |output| on the calibration set
 */
export function toQOperator(bytes, scales, logitRange) {
  const m = decodeOnnx(bytes), g = m.graph, init = g.initializers;
  const input = g.inputs.find((v) => !init.has(v.name)), consumers = new Map();
  for (const n of g.nodes) for (const i of n.inputs) consumers.set(i, n);
  const producer = new Map(g.nodes.flatMap((n) => n.outputs.map((o) => [o, n])));
  // a constant: an initializer, or a Reshape of one
  const constant = (name) => {
    if (init.has(name)) return init.get(name);
    const p = producer.get(name);
    if (p?.op === 'Reshape' && init.has(p.inputs[0]) && init.has(p.inputs[1])) return { ...init.get(p.inputs[0]), dims: Array.from(init.get(p.inputs[1]).data) };
    return undefined;
  };
  const inits = [], nodes = [];
  let uid = 0;
  const put = (dims, data, type) => { const name = `c${uid++}`; inits.push({ name, dims, data, type }); return name; };
  const f32 = (v) => put(Array.isArray(v) ? [v.length] : [], Float32Array.from(Array.isArray(v) ? v : [v]));
  const u8 = (v) => put([], Uint8Array.of(v), UINT8);
  const attr = (n, k, d) => { const a = n.attrs.get(k); return a ? a.v : d; };

  let x = 'xq', xs = scales[input.name];
  nodes.push({ op: 'QuantizeLinear', inputs: [input.name, f32(xs), u8(0)], outputs: [x] });
  let n = consumers.get(input.name);
  while (n) {
    if (n.op === 'MaxPool') {
      nodes.push({ op: 'MaxPool', inputs: [x], outputs: [`${x}p`], attrs: { kernel_shape: attr(n, 'kernel_shape'), strides: attr(n, 'strides') } });
      x = `${x}p`; n = consumers.get(n.outputs[0]); continue;
    }
    if (n.op === 'Flatten' || n.op === 'Reshape') { // to [1, K, 1, 1] for 1x1 convs
      nodes.push({ op: 'Reshape', inputs: [x, put([4], BigInt64Array.of(1n, -1n, 1n, 1n), INT64)], outputs: [`${x}f`] });
      x = `${x}f`; n = consumers.get(n.outputs[0]); continue;
    }
    if (n.op !== 'Conv' && n.op !== 'MatMul') throw new Error(`int8 QOperator: ${n.op} is not a chain op here`);
    // the layer: W as [O][rest], its bias, then Add / Mul / Relu that follow
    const w = constant(n.inputs[1]), conv = n.op === 'Conv';
    let O, K, W;
    if (conv) { O = w.dims[0]; W = Float64Array.from(w.data); K = W.length / O; }
    else { [K, O] = w.dims; W = new Float64Array(O * K); for (let k = 0; k < K; k++) for (let o = 0; o < O; o++) W[o * K + k] = w.data[k * O + o]; }
    const A = new Float64Array(O).fill(1), B = new Float64Array(O);
    if (conv && n.inputs[2]) B.set(init.get(n.inputs[2]).data);
    let out = n.outputs[0], next = consumers.get(out), relu = false;
    while (next && (next.op === 'Add' || next.op === 'Mul') && constant(next.inputs[1])) {
      const c = constant(next.inputs[1]).data, per = (o) => (c.length === 1 ? c[0] : c[o]);
      for (let o = 0; o < O; o++) { if (next.op === 'Add') B[o] += per(o); else { A[o] *= per(o); B[o] *= per(o); } }
      out = next.outputs[0]; next = consumers.get(out);
    }
    if (next?.op === 'Relu') { relu = true; out = next.outputs[0]; next = consumers.get(out); }
    // fold A into the weights: y = A (W x) + B
    const q = new Int8Array(O * K), ws = [];
    for (let o = 0; o < O; o++) {
      let max = 0;
      for (let k = 0; k < K; k++) max = Math.max(max, Math.abs(A[o] * W[o * K + k]));
      const s = max / 127 || 1;
      ws.push(s);
      for (let k = 0; k < K; k++) q[o * K + k] = Math.round((A[o] * W[o * K + k]) / s);
    }
    const last = !next || !relu;
    const ys = last ? logitRange / 127 : scales[out], yz = last ? 128 : 0;
    if (ys === undefined) throw new Error(`int8 QOperator: no activation scale for ${out}`);
    const wdims = conv ? w.dims : [O, K, 1, 1];
    const bias = Int32Array.from({ length: O }, (_, o) => Math.round(B[o] / (xs * ws[o])));
    const attrs = conv ? { kernel_shape: attr(n, 'kernel_shape'), strides: attr(n, 'strides', [1, 1]), ...(n.attrs.has('pads') ? { pads: attr(n, 'pads') } : {}), ...(n.attrs.has('auto_pad') ? { auto_pad: attr(n, 'auto_pad') } : {}) } : { kernel_shape: [1, 1] };
    const y = `${out}_q`;
    nodes.push({ op: 'QLinearConv', inputs: [x, f32(xs), u8(0), put(wdims, q, INT8), f32(ws), put([O], new Int8Array(O), INT8), f32(ys), u8(yz), put([O], bias, INT32)], outputs: [y], attrs });
    if (last) {
      // the last layer (no ReLU): its pre-activation leaves as float, [1, O]
      nodes.push({ op: 'DequantizeLinear', inputs: [y, f32(ys), u8(yz)], outputs: ['yf'] });
      nodes.push({ op: 'Reshape', inputs: ['yf', put([2], BigInt64Array.of(1n, BigInt(O)), INT64)], outputs: ['logits'] });
      if (next) throw new Error('int8 QOperator: only the last layer may go without a ReLU');
      return encodeOnnx({ nodes, initializers: inits, producer: 'lowbit-bench', opsets: { '': 13 }, inputs: [{ name: input.name, dims: input.dims }], outputs: [{ name: 'logits', dims: [1, O] }] });
    }
    x = y; xs = ys; n = next;
  }
  throw new Error('int8 QOperator: the chain has no final layer');
}
