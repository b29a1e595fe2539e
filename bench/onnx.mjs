// Minimal ONNX ModelProto writer for the peer benchmarks: just enough protobuf to describe
// single-node graphs (MatMul, Conv, MatMulInteger, ...) with initializers. Field numbers are those
// of onnx/onnx.proto (ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto, ValueInfoProto).

const enc = new TextEncoder();

/** ONNX TensorProto.DataType codes. */
export const DT = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6 };

class Writer {
  constructor() { this.parts = []; this.len = 0; }
  push(bytes) { this.parts.push(bytes); this.len += bytes.length; }
  varint(v) {
    let n = BigInt(v);
    if (n < 0n) n += 1n << 64n; // int64 two's complement
    const out = [];
    do {
      let b = Number(n & 0x7fn);
      n >>= 7n;
      if (n) b |= 0x80;
      out.push(b);
    } while (n);
    this.push(Uint8Array.from(out));
  }
  key(field, wire) { this.varint((field << 3) | wire); }
  int(field, v) { this.key(field, 0); this.varint(v); }
  bytes(field, b) { this.key(field, 2); this.varint(b.length); this.push(b); }
  string(field, s) { this.bytes(field, enc.encode(s)); }
  message(field, fn) { const w = new Writer(); fn(w); this.bytes(field, w.finish()); }
  float(field, v) {
    this.key(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    this.push(b);
  }
  finish() {
    const out = new Uint8Array(this.len);
    let o = 0;
    for (const p of this.parts) { out.set(p, o); o += p.length; }
    return out;
  }
}

function valueInfo(w, { name, type, dims }) {
  w.string(1, name);
  w.message(2, (t) => t.message(1, (tt) => {
    tt.int(1, type);
    tt.message(2, (s) => { for (const d of dims) s.message(1, (dd) => dd.int(1, d)); });
  }));
}

function tensor(w, { name, type, dims, data }) {
  for (const d of dims) w.int(1, d);
  w.int(2, type);
  w.string(8, name);
  w.bytes(9, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
}

function attribute(w, name, value) {
  w.string(1, name);
  if (Array.isArray(value)) { for (const v of value) w.int(8, v); w.int(20, 7); }
  else if (typeof value === 'string') { w.bytes(4, enc.encode(value)); w.int(20, 3); }
  else if (Number.isInteger(value)) { w.int(3, value); w.int(20, 2); }
  else { w.float(2, value); w.int(20, 1); }
}

/**
 * Build an ONNX model (opset 13) as bytes.
 * nodes: [{ op, inputs, outputs, attrs?, domain? }]; inputs/outputs: [{ name, type, dims }];
 * initializers: [{ name, type, dims, data: TypedArray }].
 */
export function onnxModel({ nodes, inputs, outputs, initializers = [], opset = 13 }) {
  const w = new Writer();
  w.int(1, 8); // ir_version
  w.string(2, 'lowbit-bench');
  w.message(7, (g) => {
    nodes.forEach((n, i) => g.message(1, (nw) => {
      for (const x of n.inputs) nw.string(1, x);
      for (const x of n.outputs) nw.string(2, x);
      nw.string(3, `n${i}`);
      nw.string(4, n.op);
      if (n.domain) nw.string(7, n.domain);
      for (const [k, v] of Object.entries(n.attrs ?? {})) nw.message(5, (a) => attribute(a, k, v));
    }));
    g.string(2, 'g');
    for (const t of initializers) g.message(5, (tw) => tensor(tw, t));
    for (const v of inputs) g.message(11, (vw) => valueInfo(vw, v));
    for (const v of outputs) g.message(12, (vw) => valueInfo(vw, v));
  });
  w.message(8, (o) => { o.string(1, ''); o.int(2, opset); });
  return w.finish();
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
