// Every op by its registry key: how a layer is rebuilt from the { op, config } a model's JSON
// holds (checkpoints, graph files). Adding an op is one line here plus its own file.
import { LowbitError } from '../errors.js';
import { weightQuantizers, type WeightQuantizer } from '../quantize/weights.js';
import type { AnyLayer } from './layer.js';
import { Dense } from './dense.js';
import { Conv2d } from './conv2d.js';
import { BatchNorm, Flatten, MaxPool } from './simple.js';
import { QReLU, ReLU, Sign } from './activations.js';
import { Add } from './add.js';
import { Concat } from './concat.js';
import { AvgPool } from './avgpool.js';
import { Dropout } from './dropout.js';
import { Reshape } from './reshape.js';
import { Shift } from './shift.js';
import { PReLU } from './prelu.js';
import { AffineAct } from './affine-act.js';

type Config = Record<string, any>; // values are checked by each constructor

/** A quantizer from its JSON form ({ kind, bits, perChannel, method }), through the checked factories. */
export function quantizerFromJson(q: unknown): WeightQuantizer | undefined {
  if (q === undefined || q === null) return undefined;
  const o = q as Config;
  if (typeof o !== 'object') throw new LowbitError('BAD_ARGUMENT', `a kernel quantizer must be an object, got ${JSON.stringify(q)}`);
  const perChannel = o.perChannel === true;
  switch (o.kind) {
    case 'float': return weightQuantizers.float();
    case 'binary': return weightQuantizers.binary({ perChannel });
    case 'ternary': return weightQuantizers.ternary({ perChannel, method: o.method === 'threshold' ? 'threshold' : 'exact' });
    case 'uniform': return weightQuantizers.uniform(o.bits, { perChannel });
    case 'pow2': return weightQuantizers.pow2(o.bits, { perChannel, ...(o.method === 'lbw' ? { method: 'lbw' as const, ratio: o.ratio } : {}) });
    case 'affine': return weightQuantizers.affine(o.bits, { perChannel });
    default: throw new LowbitError('BAD_ARGUMENT', `unknown kernel quantizer kind ${JSON.stringify(o.kind)}`);
  }
}

const withQuantizer = (c: Config) => (c.kernelQuantizer ? { kernelQuantizer: quantizerFromJson(c.kernelQuantizer) } : {});

export const OPS: Record<string, (c: Config) => AnyLayer> = {
  dense: (c) => new Dense(c.units, withQuantizer(c)),
  conv2d: (c) => new Conv2d(c.filters, c.kernel, { padding: c.padding, strides: c.strides, groups: c.groups, ...withQuantizer(c) }),
  batchnorm: (c) => new BatchNorm(c.eps, c.momentum),
  relu: () => new ReLU(),
  sign: () => new Sign(),
  qrelu: (c) => new QReLU(c as never),
  affineact: (c) => new AffineAct(c as never),
  maxpool: (c) => new MaxPool(c.k),
  flatten: () => new Flatten(),
  add: () => new Add(),
  concat: () => new Concat(),
  avgpool: (c) => new AvgPool(c),
  dropout: (c) => new Dropout(c.rate),
  reshape: (c) => new Reshape(c.shape),
  shift: () => new Shift(),
  prelu: (c) => new PReLU(c.init),
};

/** The layer for { op, config }; unknown ops and bad configs are LowbitErrors naming the op. */
export function layerFromJson(op: unknown, config: unknown): AnyLayer {
  if (typeof op !== 'string' || !Object.hasOwn(OPS, op)) throw new LowbitError('BAD_ARGUMENT', `unknown op ${JSON.stringify(op)}; this lowbit knows ${Object.keys(OPS).join(', ')}`);
  if (typeof config !== 'object' || config === null || Array.isArray(config)) throw new LowbitError('BAD_ARGUMENT', `op '${op}': config must be an object`);
  return OPS[op](config as Config);
}
