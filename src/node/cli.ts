#!/usr/bin/env node
// The lowbit command line: `lowbit train ...` (more commands come with the inference engine).
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { LowbitError } from '../errors.js';
import { runTraining, TRAIN_DEFAULTS, type TrainRunOptions } from './train-command.js';
import { progressBar } from './progress.js';
import { sdpCommand } from './sdp-command.js';
import { benchModel, evalModel, exportModel, importModel, inferImages, infoModel, quantizeModel } from './model-commands.js';

/**
 * node:util's parseArgs, strict; its errors become BAD_ARGUMENT pointing at the help. A negative
 * number after a flag that takes a value ("--lr -1") is joined to it first, so that it reaches the
 * range check instead of being read as an unknown flag.
 */
function parseFlags<T extends ParseArgsConfig>(config: T, help: string): ReturnType<typeof parseArgs<T>> {
  const takesValue = (a: string) => a.startsWith('--') && (config.options?.[a.slice(2)] as { type?: string } | undefined)?.type === 'string';
  const args: string[] = [];
  for (const a of config.args ?? []) {
    const prev = args.at(-1);
    if (prev !== undefined && takesValue(prev) && /^-[\d.]/.test(a)) args[args.length - 1] = `${prev}=${a}`;
    else args.push(a);
  }
  try {
    return parseArgs({ ...config, args }) as ReturnType<typeof parseArgs<T>>; // strict by default: unknown flags and missing values throw
  } catch (e) {
    throw new LowbitError('BAD_ARGUMENT', `${(e as Error).message.replace(/\. To specify .*$/s, '')}; see ${help}`);
  }
}

/** Per-command usage (lowbit COMMAND --help). */
const COMMAND_HELP: Record<string, string> = {
  export: `Usage: lowbit export CKPT --model FILE [--format lbm|qonnx]

Compile a training checkpoint (lowbit train --out) into an integer-only model file (.lbm), or with
--format qonnx write it as a QONNX model (Quant / BipolarQuant and standard ONNX ops, NCHW float input
in [0, 1]) for FINN / hls4ml tooling; lowbit import reads it back.
`,
  eval: `Usage: lowbit eval MODEL [--data DIR|subset | --images FILE --labels FILE | --png-dir DIR]

Test-set accuracy, per-class accuracy and the confusion matrix of a model file.
  --data DIR|subset     a Fashion-MNIST folder (t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz]),
                        or 'subset', the copy shipped in the package (default: Debian's copy, else the subset)
  --images FILE         any IDX image file (n x height x width u8, gzipped or not), with --labels FILE
  --png-dir DIR         PNG files in one folder per class, named by class name or index (DIR/Sandal/*.png, DIR/5/*.png)
  --pixels unit|raw     for an imported (ONNX) model: feed pixels / 255 (unit, default) or 0..255 (raw)
`,
  info: `Usage: lowbit info MODEL

The layers, bit widths, weights, file size, provenance and MACs by kind of a model file.
`,
  infer: `Usage: lowbit infer MODEL IMAGE... [--raw]

Classify PNG files (any size; converted to gray and resized by area), or with --raw files of raw
u8 pixels of the model's input size (28x28 = 784 bytes). Every file gets a line; a file that cannot
be read or decoded gets an error line and the rest go on (exit status 1 if any failed).
  --pixels unit|raw     for an imported (ONNX) model: feed pixels / 255 (unit, default) or 0..255 (raw)
`,
  import: `Usage: lowbit import MODEL.onnx -o MODEL.lbm

Import an ONNX or QONNX model (Brevitas, FINN, QKeras via tf2onnx, float ONNX) into a lowbit model
file. Prints what each layer became (integer kernel and precision, or float), then the file size.
  -o, --out FILE        the model file to write
`,
  quantize: `Usage: lowbit quantize MODEL.onnx|RUN.ckpt --calib IMAGES -o MODEL.lbm [--wbits 8|4|2|1] [--abits 8|4|2] [--method minmax|mse|multipoint] [--act-range minmax|mse|percentile] [--bias-correction on|off] [--count N] [--pixels unit|raw]

Post-training quantization of a float ONNX model, or of a float lowbit training checkpoint (lowbit
train --wbits 32 --abits 32 --out RUN.ckpt), to an integer-only lowbit model: per-channel weight
quantizers, and activation ranges (the input and every ReLU / Clip output) from calibration images.
  --calib IMAGES        an IDX image file (gzipped or not), e.g. a few hundred training images
  --count N             calibration images to use (default 500)
  --pixels unit|raw     the model takes pixels / 255 (unit, default) or 0..255 (raw)
  --wbits, --abits      8 (default), 4 or 2; --wbits 1: binary weights (signs times a per-channel scale)
  --method              minmax, mse (default) or multipoint: how ranges are chosen; multipoint adds a second
                        weight point to the 10% of channels with the largest output error on the calibration set
  --act-range minmax|mse|percentile   activation ranges: max |x|, least squared error, or the 99.99th
                        percentile of |x| (default: minmax with --method minmax, else mse)
  --bias-correction on|off   subtract each layer's expected output shift from quantizing its weights (default on)
  -o, --out FILE        the model file to write
Prints what each layer became, the activation ranges, and each weight layer's output SNR (float vs quantized).
`,
  bench: `Usage: lowbit bench MODEL

Load-to-first-prediction time, batch-1 latency and batch-64 throughput of a model file.
`,
};

/** export / eval / info / infer / bench / import */
async function modelCommand(command: string, args: string[]): Promise<number> {
  if (!(command in COMMAND_HELP)) throw new LowbitError('BAD_ARGUMENT', `unknown command '${command}'; run lowbit --help`);
  const help = `lowbit ${command} --help`;
  const { values, positionals } = parseFlags({ args, allowPositionals: true, options: {
    data: { type: 'string' }, model: { type: 'string' }, images: { type: 'string' }, labels: { type: 'string' }, 'png-dir': { type: 'string' },
    raw: { type: 'boolean' }, out: { type: 'string', short: 'o' }, format: { type: 'string' },
    calib: { type: 'string' }, count: { type: 'string' }, pixels: { type: 'string' }, wbits: { type: 'string' }, abits: { type: 'string' }, method: { type: 'string' },
    'act-range': { type: 'string' }, 'bias-correction': { type: 'string' }, help: { type: 'boolean', short: 'h' },
  } }, help);
  if (values.help) { process.stdout.write(COMMAND_HELP[command]); return 0; }
  const usage = COMMAND_HELP[command].split('\n')[0].replace('Usage: ', '');
  const allowed: Record<string, string[]> = { export: ['model', 'format'], eval: ['data', 'images', 'labels', 'png-dir', 'pixels'], info: [], infer: ['raw', 'pixels'], bench: [], import: ['out'], quantize: ['out', 'calib', 'count', 'pixels', 'wbits', 'abits', 'method', 'act-range', 'bias-correction'] };
  for (const k of Object.keys(values)) if (!allowed[command].includes(k)) throw new LowbitError('BAD_ARGUMENT', `lowbit ${command} takes no --${k}; usage: ${usage}`);
  const log = (l: string) => console.log(l);
  const need = (n: number) => { if (positionals.length < n) throw new LowbitError('BAD_ARGUMENT', `usage: ${usage}`); };
  switch (command) {
    case 'export': {
      need(1);
      if (!values.model) throw new LowbitError('BAD_ARGUMENT', `usage: ${usage}`);
      if (values.format !== undefined && values.format !== 'lbm' && values.format !== 'qonnx') throw new LowbitError('BAD_ARGUMENT', `--format must be lbm or qonnx, got '${values.format}'`);
      await exportModel(positionals[0], values.model, log, values.format ?? 'lbm');
      return 0;
    }
    case 'eval': {
      need(1);
      if (values.pixels !== undefined && values.pixels !== 'unit' && values.pixels !== 'raw') throw new LowbitError('BAD_ARGUMENT', `--pixels must be unit or raw, got '${values.pixels}'`);
      await evalModel(positionals[0], { data: values.data, images: values.images, labels: values.labels, pngDir: values['png-dir'], pixels: values.pixels as 'unit' | 'raw' | undefined }, log);
      return 0;
    }
    case 'info': need(1); await infoModel(positionals[0], log); return 0;
    case 'quantize': {
      need(1);
      if (!values.out || !values.calib) throw new LowbitError('BAD_ARGUMENT', `usage: ${usage}`);
      const bits = (flag: string, v: string | undefined, one = false) => { const b = v === undefined ? 8 : Number(v); if (b !== 8 && b !== 4 && b !== 2 && !(one && b === 1)) throw new LowbitError('BAD_ARGUMENT', `--${flag} must be 8, 4, 2${one ? ' or 1' : ''}, got '${v}'`); return b as 8 | 4 | 2; };
      const method = values.method ?? 'mse';
      if (method !== 'minmax' && method !== 'mse' && method !== 'multipoint') throw new LowbitError('BAD_ARGUMENT', `--method must be minmax, mse or multipoint, got '${method}'`);
      const pixels = values.pixels ?? 'unit';
      if (pixels !== 'unit' && pixels !== 'raw') throw new LowbitError('BAD_ARGUMENT', `--pixels must be unit or raw, got '${pixels}'`);
      const count = values.count === undefined ? 500 : Number(values.count);
      if (!Number.isInteger(count) || count < 1) throw new LowbitError('BAD_ARGUMENT', `--count must be a positive integer, got '${values.count}'`);
      const actRange = values['act-range'];
      if (actRange !== undefined && actRange !== 'minmax' && actRange !== 'mse' && actRange !== 'percentile') throw new LowbitError('BAD_ARGUMENT', `--act-range must be minmax, mse or percentile, got '${actRange}'`);
      const bc = values['bias-correction'] ?? 'on';
      if (bc !== 'on' && bc !== 'off') throw new LowbitError('BAD_ARGUMENT', `--bias-correction must be on or off, got '${bc}'`);
      await quantizeModel(positionals[0], values.out, { calib: values.calib, count, pixels, wbits: bits('wbits', values.wbits, true), abits: bits('abits', values.abits), method, actRange, biasCorrection: bc === 'on' }, log);
      return 0;
    }
    case 'import': need(1); if (!values.out) throw new LowbitError('BAD_ARGUMENT', `usage: ${usage}`); await importModel(positionals[0], values.out, log); return 0;
    case 'infer': {
      need(2);
      if (values.pixels !== undefined && values.pixels !== 'unit' && values.pixels !== 'raw') throw new LowbitError('BAD_ARGUMENT', `--pixels must be unit or raw, got '${values.pixels}'`);
      return (await inferImages(positionals[0], positionals.slice(1), !!values.raw, log, (l) => console.error(l), (values.pixels ?? 'unit') as 'unit' | 'raw')) ? 0 : 1;
    }
    default: need(1); await benchModel(positionals[0], log); return 0;
  }
}

/** The package version (package.json beside dist/). */
async function version(): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  return (JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

const D = TRAIN_DEFAULTS;
const TRAIN_HELP = `Usage: lowbit train [flags]

Train a Fashion-MNIST classifier in WebAssembly; the test accuracy is reported after every epoch.

Model
  --arch mlp|cnn|resnet|mobilenet  architecture (default ${D.arch}; see README "Training")
  --wbits 1|2|3|4|5|6|8|32  hidden-layer weight bits: 1 binary, 2 ternary, 3..8 uniform, 32 float (default ${D.wbits})
  --abits 1|2|4|8|32        hidden activations: 1 sign, 2..8 quantized ReLU, 32 ReLU (default ${D.abits})
  --first-last-bits 8|32    weight bits of the first and last layers when wbits < 32 (default ${D.firstLastBits})
  --act sign|qrelu|affine   the activation quantizer: at 1 bit sign (+-1, default) or the quantized ReLU's {0, alpha};
                            at 2..8 bits the quantized ReLU (default) or affine: codes s (q - z) with s and z trained
  --alpha-grad 3-valued|2-valued   quantized ReLU's alpha gradient (default ${D.alphaGrad})
  --alpha-rate X            the alpha gradient is scaled by X ... (default ${D.alphaRate}; BCGD's reference code)
  --alpha-clip X            ... then clipped to [-X, X] (default ${D.alphaClip})
  --weight-set uniform|pow2|affine how 2..8-bit hidden weights are quantized (default ${D.weightSet})
  --lbw-ratio X             pow2 weights by LBW-Net's semi-analytical rule: scale X max|w| (X in (0, 1]),
                            nearest levels in one pass (default: Lloyd's iteration to convergence)
  --per-channel             one weight scale per output channel (default: one per layer)

Training
  --optimizer bcgd|binaryconnect|binaryrelax|sgd|adam   update rule (default ${D.optimizer}); sgd and adam on
                            quantized weights train BinaryConnect-style
  --epochs N                epochs (default ${D.epochs})
  --batch N                 batch size (default ${D.batch})
  --lr X                    peak learning rate (default ${D.lr}; adam wants ~0.001)
  --schedule cosine|step|constant  learning-rate schedule (default ${D.schedule})
  --rho X                   BCGD blending weight (default ${D.rho})
  --relax-schedule per-epoch|fixed-end   BinaryRelax's continuation: lambda *= --relax-growth after
                            every epoch of phase 1, as the papers (default), or to a fixed end (~360)
  --relax-growth X          BinaryRelax: lambda's factor per epoch (default ${D.relaxGrowth})
  --relax-epochs N          BinaryRelax: epochs of phase 1 (relaxed weights; default 75% of --epochs)
  --phase2-lr X             BinaryRelax per-epoch: phase 2's learning rate is the schedule's times X (default ${D.phase2Lr})
  --momentum X              SGD momentum (default ${D.momentum})
  --weight-decay X          L2 weight decay (default ${D.weightDecay})
  --seed N                  seed of the initial weights and batch order (default ${D.seed})
  --augment K               flip each training image left-right at random and shift it by up to K
                            pixels, drawn anew every epoch (default 0: none)
  --limit N                 train on the first N training images only (quick runs)

Data and files
  --data DIR|subset         Fashion-MNIST IDX files (gzipped or not) in DIR, or 'subset' for the
                            copy shipped in the package; default /usr/share/datasets/fashion-mnist
                            (Debian: apt-get install dataset-fashion-mnist) when present, else the subset
  --out FILE                checkpoint written (atomically) after every epoch
  --model FILE              after training, compile to an integer-only model file (.lbm)
  --resume                  continue the run checkpointed in --out FILE; with a larger --epochs than
                            it was started with, extend it (fine-tuning: the schedule is recomputed)
  --threads N               data-parallel training on N threads (default 1): each batch is split by
                            images; batch norm statistics are the whole batch's (summed across threads)
  --quiet                   no progress bar
  -h, --help                this text

Exit status: 0 trained; 1 an error; 2 a bad flag; 3 trained, but the loss diverged (over 3x chance level).
`;

const HELP = `Usage: lowbit <command> [flags]

Commands
  train                 train a low-bit Fashion-MNIST classifier (lowbit train --help)
  export CKPT --model FILE [--format qonnx]   compile a training checkpoint into a model file (.lbm), or QONNX
  eval MODEL [--data DIR|subset | --images F --labels F | --png-dir DIR]   test-set accuracy, per class, confusion matrix
  info MODEL            layers, bit widths, weights, file size, MACs by kind
  infer MODEL IMAGE... [--raw]   classify PNG files (or raw 28x28 u8 images with --raw)
  bench MODEL           load-to-first-prediction time, batch-1 latency, batch-64 throughput
  import MODEL.onnx -o MODEL.lbm   import an ONNX / QONNX model (Brevitas, FINN, QKeras) to run on lowbit's kernels
  quantize MODEL.onnx --calib IMAGES -o MODEL.lbm   post-training quantization of a float ONNX model (8/4/2 bits)
  sdp [--data DIR | --csv F] [-o MODEL.lbm]   train a two-layer quantized net by semidefinite programming

  lowbit COMMAND --help   a command's flags;  lowbit --version   the version

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
        'alpha-grad': { type: 'string' }, 'weight-set': { type: 'string' }, 'lbw-ratio': { type: 'string' }, 'per-channel': { type: 'boolean' },
        act: { type: 'string' }, 'alpha-rate': { type: 'string' }, 'alpha-clip': { type: 'string' },
        'relax-schedule': { type: 'string' }, 'relax-growth': { type: 'string' }, 'relax-epochs': { type: 'string' }, 'phase2-lr': { type: 'string' },
        optimizer: { type: 'string' }, epochs: { type: 'string' }, batch: { type: 'string' }, lr: { type: 'string' },
        schedule: { type: 'string' }, rho: { type: 'string' }, momentum: { type: 'string' }, 'weight-decay': { type: 'string' },
        seed: { type: 'string' }, limit: { type: 'string' }, data: { type: 'string' }, out: { type: 'string' }, model: { type: 'string' },
        resume: { type: 'boolean' }, quiet: { type: 'boolean' }, help: { type: 'boolean', short: 'h' }, threads: { type: 'string' }, augment: { type: 'string' },
      },
    }, 'lowbit train --help');
  if (values.help) return 'help';
  const s = (k: string) => (values as Record<string, unknown>)[k] as string | undefined;
  const limit = s('limit');
  return {
    arch: oneOf('arch', s('arch'), ['mlp', 'cnn', 'resnet', 'mobilenet'], D.arch),
    wbits: num('wbits', s('wbits'), D.wbits),
    abits: num('abits', s('abits'), D.abits),
    firstLastBits: num('first-last-bits', s('first-last-bits'), D.firstLastBits),
    alphaGrad: oneOf('alpha-grad', s('alpha-grad'), ['3-valued', '2-valued'], D.alphaGrad),
    alphaRate: num('alpha-rate', s('alpha-rate'), D.alphaRate),
    alphaClip: num('alpha-clip', s('alpha-clip'), D.alphaClip),
    act: oneOf('act', s('act'), ['sign', 'qrelu', 'affine'], D.act),
    relaxSchedule: oneOf('relax-schedule', s('relax-schedule'), ['per-epoch', 'fixed-end'], D.relaxSchedule),
    relaxGrowth: num('relax-growth', s('relax-growth'), D.relaxGrowth),
    relaxEpochs: s('relax-epochs') === undefined ? undefined : num('relax-epochs', s('relax-epochs'), 0),
    phase2Lr: num('phase2-lr', s('phase2-lr'), D.phase2Lr),
    threads: num('threads', s('threads'), D.threads),
    augment: num('augment', s('augment'), D.augment),
    weightSet: oneOf('weight-set', s('weight-set'), ['uniform', 'pow2', 'affine'], D.weightSet),
    lbwRatio: s('lbw-ratio') === undefined ? undefined : num('lbw-ratio', s('lbw-ratio'), 1),
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
    if (command === '--version' || command === '-v' || command === 'version') { console.log(`lowbit ${await version()}`); return 0; }
    if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
      process.stdout.write(HELP);
      return command === undefined ? 2 : 0;
    }
    if (command === 'sdp') return await sdpCommand(rest, (l) => console.log(l));
    if (command !== 'train') return await modelCommand(command, rest);
    const opts = parseTrainArgs(rest);
    if (opts === 'help') { process.stdout.write(TRAIN_HELP); return 0; }
    const bar = opts.quiet ? undefined : progressBar(process.stderr);
    const r = await runTraining(opts, { log: (l) => { bar?.clear(); console.log(l); }, progress: bar?.update });
    bar?.clear();
    console.log(`test accuracy ${(100 * r.testAccuracy).toFixed(2)}% (${r.description}, ${r.history.length} epochs, ${r.seconds.toFixed(0)} s)`);
    if (r.diverged) {
      process.stderr.write(`\nlowbit: the run diverged: ${r.diverged}; lower --lr\n`);
      return 3;
    }
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
