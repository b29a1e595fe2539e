// The documented architectures (README "Training"), parameterised by bit widths. Hidden layers
// get `wbits` weights and `abits` activations; the first and last layers' weights get
// `firstLastBits` (8 or 32) when the hidden layers are quantized.
//   cnn: conv 3x3 32 - BN - act - maxpool 2 - conv 3x3 64 - BN - act - maxpool 2 - dense 256 - BN - act - dense 10
//   mlp: dense 256 - BN - act - dense 256 - BN - act - dense 10
//   resnet, mobilenet: graphs, see ./presets.ts
import { LowbitError } from '../errors.js';
import { weightQuantizers, type WeightQuantizer } from '../quantize/weights.js';
import type { Layer } from '../ops/layer.js';
import { Conv2d } from '../ops/conv2d.js';
import { Dense } from '../ops/dense.js';
import { QReLU, ReLU, Sign } from '../ops/activations.js';
import { AffineAct } from '../ops/affine-act.js';
import { BatchNorm, Flatten, MaxPool } from '../ops/simple.js';
import type { Heap } from '../memory.js';
import { Model } from '../graph/model.js';
import { Sequential } from './sequential.js';
import { mobilenet, resnet, type PresetParts } from './presets.js';

export const ARCHS = ['mlp', 'cnn', 'resnet', 'mobilenet'] as const;
export type Arch = (typeof ARCHS)[number];
export const WEIGHT_BITS = [1, 2, 3, 4, 5, 6, 8, 32] as const;
export const ACT_BITS = [1, 2, 4, 8, 32] as const;

export interface ArchOptions {
  arch: Arch;
  /** hidden-layer weight bits: 1 binary, 2 ternary, 3..8 uniform (or pow2 / affine), 32 float */
  wbits: number;
  /** hidden activations: 1 sign, 2..8 quantized ReLU, 32 ReLU */
  abits: number;
  /** first and last layers' weight bits when wbits < 32: 8 (default) or 32 */
  firstLastBits?: number;
  /** quantized ReLU's alpha gradient */
  alphaGrad?: '3-valued' | '2-valued';
  /** quantized ReLU's alpha-gradient scale and clip (defaults 0.01 and 1) */
  alphaRate?: number;
  alphaClip?: number;
  /** the activation quantizer: at 1 bit 'sign' (+-1, default) or 'qrelu' (levels {0, alpha}); at 2..8 bits
   * 'qrelu' (default) or 'affine' (the trained affine map, codes s (q - z)) */
  act?: 'sign' | 'qrelu' | 'affine';
  /** one weight scale per output channel */
  perChannel?: boolean;
  /** hidden weights with 2..8 bits: 'uniform' (default; ternary at 2), 'pow2' or 'affine' */
  weightSet?: 'uniform' | 'pow2' | 'affine';
  /** pow2 weights by LBW-Net's semi-analytical rule with scale lbwRatio max|w| (default: Lloyd's iteration) */
  lbwRatio?: number;
}

function hiddenQuantizer(o: ArchOptions): WeightQuantizer {
  const perChannel = !!o.perChannel;
  if (o.wbits >= 2 && o.wbits <= 8 && o.weightSet === 'pow2') return weightQuantizers.pow2(o.wbits, { perChannel, ...(o.lbwRatio !== undefined ? { method: 'lbw', ratio: o.lbwRatio } : {}) });
  if (o.wbits >= 2 && o.wbits <= 8 && o.weightSet === 'affine') return weightQuantizers.affine(o.wbits, { perChannel });
  return weightQuantizers.forBits(o.wbits, { perChannel });
}

export function validateArch(o: ArchOptions): void {
  if (!ARCHS.includes(o.arch)) throw new LowbitError('BAD_ARGUMENT', `arch must be one of ${ARCHS.join(', ')}, got '${o.arch}'`);
  if (!(WEIGHT_BITS as readonly number[]).includes(o.wbits)) throw new LowbitError('BAD_ARGUMENT', `wbits must be one of ${WEIGHT_BITS.join(', ')}, got ${o.wbits}`);
  if (!(ACT_BITS as readonly number[]).includes(o.abits)) throw new LowbitError('BAD_ARGUMENT', `abits must be one of ${ACT_BITS.join(', ')}, got ${o.abits}`);
  if (o.weightSet === 'pow2' && o.wbits > 6 && o.wbits !== 32) throw new LowbitError('BAD_ARGUMENT', `power-of-two weights (--weight-set pow2) take 2..6 bits, got --wbits ${o.wbits}; use --wbits 2 or 4, or --weight-set uniform for 8 bits`);
  if (o.act !== undefined && o.act !== 'sign' && o.act !== 'qrelu' && o.act !== 'affine') throw new LowbitError('BAD_ARGUMENT', `act must be 'sign', 'qrelu' or 'affine', got '${String(o.act)}'`);
  if (o.act === 'affine' && !(o.abits >= 2 && o.abits <= 8)) throw new LowbitError('BAD_ARGUMENT', `affine activations (--act affine) take 2..8 bits, got --abits ${o.abits}`);
  if (o.lbwRatio !== undefined && (o.weightSet !== 'pow2' || !(o.lbwRatio > 0 && o.lbwRatio <= 1))) throw new LowbitError('BAD_ARGUMENT', `--lbw-ratio is for --weight-set pow2 and must be in (0, 1], got ${o.lbwRatio}${o.weightSet !== 'pow2' ? ` with --weight-set ${o.weightSet ?? 'uniform'}` : ''}`);
  const fl = o.firstLastBits ?? 8;
  if (fl !== 8 && fl !== 32) throw new LowbitError('BAD_ARGUMENT', `first-last-bits must be 8 or 32, got ${fl}`);
}

/** Edge and hidden weight quantizers and the activation of an architecture's options. */
function parts(o: ArchOptions): PresetParts {
  validateArch(o);
  const quantized = o.wbits !== 32;
  const edge = quantized ? weightQuantizers.forBits(o.firstLastBits ?? 8) : weightQuantizers.float();
  const qrelu = () => new QReLU({ bits: o.abits, alphaGrad: o.alphaGrad, alphaRate: o.alphaRate, alphaClip: o.alphaClip });
  const sign = o.abits === 1 && (o.act ?? 'sign') === 'sign';
  const act = (): Layer => (o.abits === 32 ? new ReLU() : sign ? new Sign() : o.act === 'affine' ? new AffineAct({ bits: o.abits }) : qrelu());
  return { edge, hidden: hiddenQuantizer(o), act, rprelu: sign };
}

/** Any architecture as a model: the chains through Sequential, resnet and mobilenet as graphs. */
export function buildModel(heap: Heap, o: ArchOptions, inShape: number[] = [28, 28, 1], seed = 1): Model {
  if (o.arch === 'resnet') return new Model(heap, resnet(parts(o), inShape), seed);
  if (o.arch === 'mobilenet') return new Model(heap, mobilenet(parts(o), inShape), seed);
  return new Sequential(heap, buildLayers(o), inShape, seed);
}

/** The layers of a chain architecture, cnn or mlp (input [28, 28, 1], 10 classes). */
export function buildLayers(o: ArchOptions): Layer[] {
  const { edge, hidden, act } = parts(o);
  if (o.arch === 'resnet' || o.arch === 'mobilenet') throw new LowbitError('BAD_ARGUMENT', `${o.arch} is a graph, not a chain of layers; build it with buildModel`);
  if (o.arch === 'cnn') {
    return [
      new Conv2d(32, 3, { kernelQuantizer: edge }), new BatchNorm(), act(), new MaxPool(2),
      new Conv2d(64, 3, { kernelQuantizer: hidden }), new BatchNorm(), act(), new MaxPool(2),
      new Flatten(), new Dense(256, { kernelQuantizer: hidden }), new BatchNorm(), act(),
      new Dense(10, { kernelQuantizer: edge }),
    ];
  }
  return [
    new Flatten(), new Dense(256, { kernelQuantizer: edge }), new BatchNorm(), act(),
    new Dense(256, { kernelQuantizer: hidden }), new BatchNorm(), act(),
    new Dense(10, { kernelQuantizer: edge }),
  ];
}

/** A one-line description: "cnn 1W4A (first/last 8-bit)". */
export function describeArch(o: ArchOptions): string {
  const w = o.wbits === 32 ? 'float' : `${o.wbits}W`;
  const a = o.abits === 32 ? (o.wbits === 32 ? '' : '32A') : `${o.abits}A${o.abits === 1 && o.act === 'qrelu' ? ' (qrelu)' : o.act === 'affine' ? ' (affine)' : ''}`;
  const edge = o.wbits === 32 ? '' : ` (first/last layer weights ${(o.firstLastBits ?? 8) === 32 ? 'float' : `${o.firstLastBits ?? 8}-bit`})`;
  return `${o.arch} ${w}${a}${edge}`;
}
