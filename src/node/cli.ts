#!/usr/bin/env node
// The lowbit command line: `lowbit train ...` (more commands come with the inference engine).
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { LowbitError } from '../errors.js';
import { runTraining, TRAIN_DEFAULTS, type TrainRunOptions } from './train-command.js';
import { progressBar } from './progress.js';
import { benchModel, evalModel, exportModel, inferImages, infoModel } from './model-commands.js';

/** node:util's parseArgs, strict; its errors become BAD_ARGUMENT pointing at the help. */
function parseFlags<T extends ParseArgsConfig>(config: T, help: string): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config); // strict by default: unknown flags and missing values throw
  } catch (e) {
    throw new LowbitError('BAD_ARGUMENT', `${(e as Error).message.replace(/\. To specify .*$/s, '')}; see ${help}`);
  }
}

/** export / eval / info / infer / bench */
async function modelCommand(command: string, args: string[]): Promise<number> {
  const { values, positionals } = parseFlags({ args, allowPositionals: true, options: { data: { type: 'string' }, model: { type: 'string' }, help: { type: 'boolean', short: 'h' } } }, 'lowbit --help');
  if (values.help) { process.stdout.write(HELP); return 0; }
  const log = (l: string) => console.log(l);
  const need = (n: number, usage: string) => { if (positionals.length < n) throw new LowbitError('BAD_ARGUMENT', `usage: lowbit ${usage}`); };
  switch (command) {
    case 'export': need(1, 'export CKPT --model FILE'); if (!values.model) throw new LowbitError('BAD_ARGUMENT', 'usage: lowbit export CKPT --model FILE'); await exportModel(positionals[0], values.model, log); return 0;
    case 'eval': need(1, 'eval MODEL [--data DIR|subset]'); await evalModel(positionals[0], values.data, log); return 0;
    case 'info': need(1, 'info MODEL'); await infoModel(positionals[0], log); return 0;
    case 'infer': need(2, 'infer MODEL IMAGE...'); await inferImages(positionals[0], positionals.slice(1), log); return 0;
    case 'bench': need(1, 'bench MODEL'); await benchModel(positionals[0], log); return 0;
    default: throw new LowbitError('BAD_ARGUMENT', `unknown command '${command}'; run lowbit --help`);
  }
}

const D = TRAIN_DEFAULTS;
const TRAIN_HELP = `Usage: lowbit train [flags]

Train a Fashion-MNIST classifier in WebAssembly; the test accuracy is reported after every epoch.

Model
  --arch mlp|cnn            architecture (default ${D.arch}; see README "Training")
  --wbits 1|2|4|8|32        hidden-layer weight bits: 1 binary, 2 ternary, 4/8 uniform, 32 float (default ${D.wbits})
  --abits 1|2|4|8|32        hidden activations: 1 sign, 2..8 quantized ReLU, 32 ReLU (default ${D.abits})
  --first-last-bits 8|32    weight bits of the first and last layers when wbits < 32 (default ${D.firstLastBits})
  --alpha-grad 3-valued|2-valued   quantized ReLU's alpha gradient (default ${D.alphaGrad})
  --weight-set uniform|pow2|affine how 2..8-bit hidden weights are quantized (default ${D.weightSet})
  --per-channel             one weight scale per output channel (default: one per layer)

Training
  --optimizer bcgd|binaryconnect|binaryrelax|sgd|adam   update rule (default ${D.optimizer}); sgd and adam on
                            quantized weights train BinaryConnect-style
  --epochs N                epochs (default ${D.epochs})
  --batch N                 batch size (default ${D.batch})
  --lr X                    peak learning rate (default ${D.lr}; adam wants ~0.001)
  --schedule cosine|step|constant  learning-rate schedule (default ${D.schedule})
  --rho X                   BCGD blending weight (default ${D.rho})
  --momentum X              SGD momentum (default ${D.momentum})
  --weight-decay X          L2 weight decay (default ${D.weightDecay})
  --seed N                  seed of the initial weights and batch order (default ${D.seed})
  --limit N                 train on the first N training images only (quick runs)

Data and files
  --data DIR|subset         Fashion-MNIST IDX files (gzipped or not) in DIR, or 'subset' for the
                            copy shipped in the package; default /usr/share/datasets/fashion-mnist
                            (Debian: apt-get install dataset-fashion-mnist) when present, else the subset
  --out FILE                checkpoint written (atomically) after every epoch
  --model FILE              after training, compile to an integer-only model file (.lbm)
  --resume                  continue the run checkpointed in --out FILE
  --quiet                   no progress bar
  -h, --help                this text
`;

const HELP = `Usage: lowbit <command> [flags]

Commands
  train                 train a low-bit Fashion-MNIST classifier (lowbit train --help)
  export CKPT --model FILE   compile a training checkpoint into an integer-only model file (.lbm)
  eval MODEL [--data DIR|subset]   test-set accuracy, per-class accuracy and the confusion matrix
  info MODEL            layers, bit widths, weights, file size, MACs by kind
  infer MODEL IMAGE...  classify PNG files or raw 28x28 u8 images
  bench MODEL           load-to-first-prediction time, batch-1 latency, batch-64 throughput

Models shipped with lowbit: models/fashion-cnn-1w1a.lbm and models/fashion-cnn-1w4a.lbm.

lowbit trains and runs binary and low-bit neural networks in WebAssembly SIMD.
`;

function num(flag: string, v: string | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new LowbitError('BAD_ARGUMENT', `--${flag} must be a number, got '${v}'`);
  return n;
}

function oneOf<T extends string>(flag: string, v: string | undefined, allowed: readonly T[], fallback: T): T {
  if (v === undefined) return fallback;
  if (!allowed.includes(v as T)) throw new LowbitError('BAD_ARGUMENT', `--${flag} must be one of ${allowed.join(', ')}, got '${v}'`);
  return v as T;
}

export function parseTrainArgs(args: string[]): (TrainRunOptions & { quiet: boolean }) | 'help' {
  const { values } = parseFlags({
      args, allowPositionals: false, options: {
        arch: { type: 'string' }, wbits: { type: 'string' }, abits: { type: 'string' }, 'first-last-bits': { type: 'string' },
        'alpha-grad': { type: 'string' }, 'weight-set': { type: 'string' }, 'per-channel': { type: 'boolean' },
        optimizer: { type: 'string' }, epochs: { type: 'string' }, batch: { type: 'string' }, lr: { type: 'string' },
        schedule: { type: 'string' }, rho: { type: 'string' }, momentum: { type: 'string' }, 'weight-decay': { type: 'string' },
        seed: { type: 'string' }, limit: { type: 'string' }, data: { type: 'string' }, out: { type: 'string' }, model: { type: 'string' },
        resume: { type: 'boolean' }, quiet: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      },
    }, 'lowbit train --help');
  if (values.help) return 'help';
  const s = (k: string) => (values as Record<string, unknown>)[k] as string | undefined;
  const limit = s('limit');
  return {
    arch: oneOf('arch', s('arch'), ['mlp', 'cnn'], D.arch),
    wbits: num('wbits', s('wbits'), D.wbits),
    abits: num('abits', s('abits'), D.abits),
    firstLastBits: num('first-last-bits', s('first-last-bits'), D.firstLastBits),
    alphaGrad: oneOf('alpha-grad', s('alpha-grad'), ['3-valued', '2-valued'], D.alphaGrad),
    weightSet: oneOf('weight-set', s('weight-set'), ['uniform', 'pow2', 'affine'], D.weightSet),
    perChannel: !!values['per-channel'],
    optimizer: oneOf('optimizer', s('optimizer'), ['bcgd', 'binaryconnect', 'binaryrelax', 'sgd', 'adam'], D.optimizer),
    epochs: num('epochs', s('epochs'), D.epochs),
    batch: num('batch', s('batch'), D.batch),
    lr: num('lr', s('lr'), D.lr),
    schedule: oneOf('schedule', s('schedule'), ['cosine', 'step', 'constant'], D.schedule),
    rho: num('rho', s('rho'), D.rho),
    momentum: num('momentum', s('momentum'), D.momentum),
    weightDecay: num('weight-decay', s('weight-decay'), D.weightDecay),
    seed: num('seed', s('seed'), D.seed),
    limit: limit === undefined ? undefined : num('limit', limit, 0),
    data: s('data'), out: s('out'), model: s('model'), resume: !!values.resume, quiet: !!values.quiet,
  };
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
      process.stdout.write(HELP);
      return command === undefined ? 2 : 0;
    }
    if (command !== 'train') return await modelCommand(command, rest);
    const opts = parseTrainArgs(rest);
    if (opts === 'help') { process.stdout.write(TRAIN_HELP); return 0; }
    const bar = opts.quiet ? undefined : progressBar(process.stderr);
    const r = await runTraining(opts, { log: (l) => { bar?.clear(); console.log(l); }, progress: bar?.update });
    bar?.clear();
    console.log(`test accuracy ${(100 * r.testAccuracy).toFixed(2)}% (${r.description}, ${r.history.length} epochs, ${r.seconds.toFixed(0)} s)`);
    return 0;
  } catch (e) {
    if (e instanceof LowbitError) {
      process.stderr.write(`\nlowbit: ${e.message}\n`);
      return e.code === 'BAD_ARGUMENT' ? 2 : 1;
    }
    throw e;
  }
}

const invoked = process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*[\\/]/, '/'));
if (invoked || process.argv[1]?.endsWith('/lowbit')) process.exitCode = await main(process.argv.slice(2));
