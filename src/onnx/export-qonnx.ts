// exportQonnx(model): a lowbit-trained chain model (conv / dense, batch norm, sign or quantized
// ReLU, max pooling, flatten) as a QONNX graph: Quant / BipolarQuant on weights and activations,
// standard ONNX for the rest, NCHW. What it computes is what compile() runs:
//   input      Quant(x, 1/255, 0, 8 bits, unsigned, ROUND): the u8 pixels (x in [0, 1])
//   weights    Quant(w, step per output channel, 0, bits, signed, narrow, ROUND), or
//              BipolarQuant(w, step) for binary weights
//   batch norm y = g z + shift (Mul, Add), the affine compile() folds
//   qrelu      Quant(y, alpha, 0, bits, unsigned, CEIL): clamp(ceil(y / alpha), 0, 2^bits - 1)
//   sign       BipolarQuant(y, 1): +1 for y >= 0
// Float layers (float32 weights, ReLU) export as plain ONNX, and a model with no quantizer at all
// exports as a float ONNX model without the input Quant: what lowbit quantize (post-training) reads.
import { LowbitError } from '../errors.js';
import type { Model } from '../graph/model.js';
import { Conv2d } from '../ops/conv2d.js';
import { Dense } from '../ops/dense.js';
import { QReLU, ReLU, Sign } from '../ops/activations.js';
import { BatchNorm, Flatten, MaxPool } from '../ops/simple.js';
import { Dropout } from '../ops/dropout.js';
import { bnAffine, integerWeights, qreluAlpha } from '../infer/compile.js';
import { encodeOnnx, type EncNode, type EncTensor } from './encode.js';

const QONNX = 'qonnx.custom_op.general';
const fail = (msg: string) => new LowbitError('CANNOT_COMPILE', `QONNX export: ${msg}`);

export function exportQonnx(model: Model): Uint8Array {
  if (model.inputShapes.length !== 1 || model.outputs.length !== 1 || model.inShape.length !== 3) throw fail('the model must have one [height, width, channels] input and one output');
  const nodes: EncNode[] = [], inits: EncTensor[] = [];
  let uid = 0;
  const name = (p: string) => `${p}_${uid++}`;
  const scalar = (v: number) => { const n = name('c'); inits.push({ name: n, dims: [], data: Float32Array.of(v) }); return n; };
  const tensor = (dims: number[], data: ArrayLike<number>) => { const n = name('t'); inits.push({ name: n, dims, data: Float32Array.from(data) }); return n; };
  const quant = (x: string, scale: string, bits: number, signed: boolean, narrow: boolean, rounding: string) => {
    const y = name('q');
    nodes.push({ op: 'Quant', domain: QONNX, inputs: [x, scale, scalar(0), scalar(bits)], outputs: [y], attrs: { signed: signed ? 1 : 0, narrow: narrow ? 1 : 0, rounding_mode: rounding }, ints: ['signed', 'narrow'] });
    return y;
  };
  const bipolar = (x: string, scale: string) => { const y = name('b'); nodes.push({ op: 'BipolarQuant', domain: QONNX, inputs: [x, scale], outputs: [y] }); return y; };
  const op = (o: string, inputs: string[], attrs?: Record<string, number | string | number[]>, ints?: string[]) => { const y = name(o.toLowerCase()); nodes.push({ op: o, inputs, outputs: [y], attrs, ints }); return y; };

  let [h, w, c] = model.inShape, flat = false;
  const isFloat = (l: unknown) => (l instanceof Conv2d || l instanceof Dense) && l.weights.quant.q.kind === 'float';
  const allFloat = model.nodes.every((n) => !(n.layer instanceof QReLU || n.layer instanceof Sign) && ((!(n.layer instanceof Conv2d) && !(n.layer instanceof Dense)) || isFloat(n.layer)));
  let x = allFloat ? 'x' : quant('x', scalar(1 / 255), 8, false, false, 'ROUND');
  model.nodes.forEach((node, i) => {
    const l = node.layer, where = `node ${i} (${l.name})`;
    if (node.inputs.length !== 1 || node.inputs[0] !== i) throw fail(`${where}: only chain models export (this node reads value ${node.inputs.join(', ')})`);
    if (l instanceof Dropout) return;
    if (l instanceof Flatten) { x = op('Flatten', [x], { axis: 1 }, ['axis']); flat = true; return; }
    if (l instanceof Conv2d || l instanceof Dense) {
      const lw = l.weights, O = lw.out, conv = l instanceof Conv2d, q = lw.quant.q;
      if ((q.kind === 'pow2' && q.bits > 4) || q.kind === 'affine') throw fail(`${where}: ${q.label} weights do not export to QONNX yet (lowbit export --format lbm runs them)`);
      const iw = isFloat(l) ? { kind: 'float' as const, q: model.heap.read(Float32Array, lw.w.w, lw.w.size), step: new Float64Array(O).fill(1) } : integerWeights(model.heap, lw, where);
      const bias = model.heap.read(Float32Array, lw.params()[1].w, O);
      // the quantized weights in ONNX layouts: conv [O][c][kh][kw] from [O][kh][kw][c]; dense B = [K][O] with K in NCHW order
      const W = new Float32Array(iw.q.length);
      if (conv) {
        if (l.kh !== l.kw || l.sh !== 1 || l.sw !== 1 || l.groups !== 1 || l.pads) throw fail(`${where}: square stride-1 convs without groups export`);
        const k = l.kh;
        for (let o = 0; o < O; o++) for (let y = 0; y < k; y++) for (let xx = 0; xx < k; xx++) for (let ch = 0; ch < c; ch++) W[((o * c + ch) * k + y) * k + xx] = iw.q[((o * k + y) * k + xx) * c + ch] * iw.step[o];
      } else {
        const K = lw.K;
        if (!flat && h * w > 1) throw fail(`${where}: a dense layer on a ${h}x${w}x${c} map needs a flatten before it`);
        for (let o = 0; o < O; o++) for (let yy = 0; yy < h; yy++) for (let xx = 0; xx < w; xx++) for (let ch = 0; ch < c; ch++) {
          const nhwc = (yy * w + xx) * c + ch, nchw = (ch * h + yy) * w + xx;
          W[nchw * O + o] = iw.q[o * K + nhwc] * iw.step[o];
        }
      }
      const stepT = iw.kind === 'float' ? '' : tensor(conv ? [O, 1, 1, 1] : [1, O], iw.step);
      const wq = iw.kind === 'float' ? tensor(conv ? [O, c, l.kh, l.kw] : [lw.K, O], W) : iw.kind === 'binary' ? bipolar(tensor(conv ? [O, c, l.kh, l.kw] : [lw.K, O], W), stepT) : quant(tensor(conv ? [O, c, (l as Conv2d).kh, (l as Conv2d).kw] : [lw.K, O], W), stepT, 8, true, true, 'ROUND');
      if (conv) {
        const k = (l as Conv2d).kh, p = (l as Conv2d).padding === 'same' ? (k - 1) / 2 : 0;
        if (!Number.isInteger(p)) throw fail(`${where}: 'same' padding with an even kernel does not export`);
        x = op('Conv', [x, wq, tensor([O], bias)], { kernel_shape: [k, k], pads: [p, p, p, p], strides: [1, 1] });
        if ((l as Conv2d).padding === 'valid') { h = h - k + 1; w = w - k + 1; }
      } else { x = op('MatMul', [x, wq]); x = op('Add', [x, tensor([O], bias)]); h = 1; w = 1; }
      c = O;
      return;
    }
    if (l instanceof BatchNorm) {
      const { g, shift } = bnAffine(l, c), dims = flat || h * w === 1 ? [c] : [c, 1, 1];
      x = op('Add', [op('Mul', [x, tensor(dims, g)]), tensor(dims, shift)]);
      return;
    }
    if (l instanceof QReLU) { x = quant(x, scalar(qreluAlpha(l)), l.bits, false, false, 'CEIL'); return; }
    if (l instanceof Sign) { x = bipolar(x, scalar(1)); return; }
    if (l instanceof ReLU) { x = op('Relu', [x]); return; }
    if (l instanceof MaxPool) { x = op('MaxPool', [x], { kernel_shape: [l.k, l.k], strides: [l.k, l.k] }); h = Math.floor(h / l.k); w = Math.floor(w / l.k); return; }
    throw fail(`${where}: ${l.op} does not export to QONNX yet`);
  });
  const [H, Wd, C] = model.inShape;
  return encodeOnnx({
    nodes, initializers: inits, producer: 'lowbit', opsets: { '': 13, [QONNX]: 1 },
    inputs: [{ name: 'x', dims: [1, C, H, Wd] }], outputs: [{ name: x, dims: flat || h * w === 1 ? [1, c] : [1, c, h, w] }],
  });
}
