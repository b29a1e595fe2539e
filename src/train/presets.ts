// The graph presets: plain builder functions over input() / apply(). Both take 28x28x1 images and
// give 10 logits; hidden layers get `hidden` weights and `act()` activations, the first and last
// weight layers `edge` weights.
//   resnet (Bi-Real style): a real-valued stream s; each block adds BN(conv3x3(act(BN(s)))) to it
//     (binary 3x3 convs with a shortcut around each), then with sign activations RPReLU (ReActNet);
//     downsampling is 2x2 average pooling, the shortcut's channels doubled by concatenating the
//     pooled stream with itself; the classifier is act(BN(s)) flattened - dense 256 - BN - act -
//     dense 10, as in the cnn.
//   mobilenet: depthwise 3x3 + pointwise 1x1 pairs, each followed by BN and the activation;
//     stride-2 depthwise convs downsample.
// mobilenet ends in global average pooling, BN, an 8-bit quantized ReLU and the classifier.
import { input, apply, type Value } from '../graph/graph.js';
import type { WeightQuantizer } from '../quantize/weights.js';
import type { Layer } from '../ops/layer.js';
import { Conv2d } from '../ops/conv2d.js';
import { Dense } from '../ops/dense.js';
import { QReLU } from '../ops/activations.js';
import { BatchNorm, Flatten } from '../ops/simple.js';
import { Add } from '../ops/add.js';
import { Concat } from '../ops/concat.js';
import { AvgPool, globalAvgPool } from '../ops/avgpool.js';
import { Shift } from '../ops/shift.js';
import { PReLU } from '../ops/prelu.js';

export interface PresetParts {
  edge: WeightQuantizer;
  hidden: WeightQuantizer;
  act: () => Layer;
  /** resnet: RPReLU after each residual add (ReActNet's fix for sign activations; the CLI sets it for sign) */
  rprelu?: boolean;
}

const seq = (x: Value, ...layers: Layer[]) => layers.reduce((v, l) => apply(l, v), x);

/** GAP, BN, 8-bit quantized ReLU, the classifier. */
function head(s: Value, edge: WeightQuantizer): Value {
  return seq(s, globalAvgPool(), new BatchNorm(), new QReLU({ bits: 8 }), new Dense(10, { kernelQuantizer: edge }));
}

export function resnet(p: PresetParts, inShape: number[]): { inputs: Value[]; outputs: Value[] } {
  const x = input(inShape);
  let s = seq(x, new Conv2d(32, 3, { kernelQuantizer: p.edge }), new BatchNorm(), new AvgPool({ pool: 2 })); // 14x14x32
  // batch norm before each activation: a learned per-channel threshold (ReActNet's RSign) and scale;
  // with sign activations, ReActNet's RPReLU (shift, PReLU, shift) after each add bends the real-valued
  // stream (quantized ReLUs already give the blocks a nonlinearity)
  const rprelu = (v: Value) => (p.rprelu ? seq(v, new Shift(), new PReLU(0.25), new Shift()) : v);
  const block = (v: Value, c: number) => rprelu(apply(new Add(), v, seq(v, new BatchNorm(), p.act(), new Conv2d(c, 3, { kernelQuantizer: p.hidden }), new BatchNorm())));
  const down = (v: Value, c: number) => {
    const pooled = apply(new AvgPool({ pool: 2 }), v);
    return rprelu(apply(new Add(), apply(new Concat(), pooled, pooled), seq(pooled, new BatchNorm(), p.act(), new Conv2d(2 * c, 3, { kernelQuantizer: p.hidden }), new BatchNorm())));
  };
  s = block(block(s, 32), 32);
  s = block(block(down(s, 32), 64), 64); // 7x7x64
  // the classifier reads every position (as the cnn's dense 256 does), not only their average
  const y = seq(s, new BatchNorm(), p.act(), new Flatten(), new Dense(256, { kernelQuantizer: p.hidden }), new BatchNorm(), p.act(), new Dense(10, { kernelQuantizer: p.edge }));
  return { inputs: [x], outputs: [y] };
}

export function mobilenet(p: PresetParts, inShape: number[]): { inputs: Value[]; outputs: Value[] } {
  const x = input(inShape);
  let h = seq(x, new Conv2d(32, 3, { kernelQuantizer: p.edge }), new BatchNorm(), p.act()); // 28x28x32
  const pair = (v: Value, c: number, out: number, stride: number) => seq(v,
    new Conv2d(c, 3, { groups: c, strides: stride, kernelQuantizer: p.hidden }), new BatchNorm(), p.act(),
    new Conv2d(out, 1, { kernelQuantizer: p.hidden }), new BatchNorm(), p.act());
  h = pair(h, 32, 64, 2); // 14x14x64
  h = pair(h, 64, 128, 1);
  h = pair(h, 128, 128, 2); // 7x7x128
  h = pair(h, 128, 256, 1);
  return { inputs: [x], outputs: [head(h, p.edge)] };
}
