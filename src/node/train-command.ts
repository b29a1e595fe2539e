// `lowbit train`: build the documented model, train it with progress, checkpoint after every
// epoch (atomically), resume, and report test accuracy. Used by the CLI, `npm start` and bench/.
import { LowbitError } from '../errors.js';
import { init } from './index.js';
import { loadFashionMnist, SUBSET_DIR, type FashionMnist } from './fashion-mnist.js';
import { checkWritable, MAX_FILE_BYTES, readFileBounded, writeFileAtomic } from './files.js';
import { Sequential } from '../train/sequential.js';
import { modelFromJson, type Model } from '../graph/model.js';
import { buildLayers, buildModel, describeArch, validateArch, type Arch } from '../train/models.js';
import { startGradientWorkers } from './train-pool.js';
import type { GradientWorkers } from '../train/parallel.js';
import { Trainer, OPTIMIZERS, type OptimizerName, type BatchProgress, type EpochSummary, type TrainOptions } from '../train/trainer.js';
import { SCHEDULES, type ScheduleKind } from '../train/schedule.js';
import { decodeCheckpoint, encodeCheckpoint, restoreCheckpoint } from '../train/checkpoint.js';
import type { RelaxSchedule } from '../train/rules.js';
import { compile } from '../infer/compile.js';
import { encodeModel } from '../infer/format.js';

export interface TrainRunOptions {
  arch: Arch; wbits: number; abits: number; firstLastBits: number; alphaGrad: '3-valued' | '2-valued';
  alphaRate: number; alphaClip: number; act: 'sign' | 'qrelu' | 'affine';
  perChannel: boolean; weightSet: 'uniform' | 'pow2' | 'affine';
  /** pow2 weights by LBW-Net's semi-analytical rule, scale = lbwRatio max|w| (undefined: Lloyd's iteration) */
  lbwRatio?: number;
  optimizer: OptimizerName; epochs: number; batch: number; lr: number; rho: number; schedule: ScheduleKind;
  /** BinaryRelax: the continuation, lambda's growth per epoch, phase 1's epochs (default 75% of the run), phase 2's lr factor */
  relaxSchedule: RelaxSchedule; relaxGrowth: number; relaxEpochs?: number; phase2Lr: number;
  /** data-parallel worker threads (1: none); batch norm statistics stay the whole batch's (summed across the threads) */
  threads: number;
  /** random flips and shifts of up to this many pixels per image and epoch (0: none) */
  augment: number;
  momentum: number; weightDecay: number; seed: number;
  /** a folder, 'subset' (the shipped subset), or undefined (Debian's package when installed, else the subset) */
  data?: string;
  /** checkpoint file written after every epoch; undefined: none */
  out?: string;
  resume: boolean;
  /** use only the first N training images (quick runs); undefined: all */
  limit?: number;
  /** after training, compile to an integer-only model file (.lbm) here */
  model?: string;
}

export const TRAIN_DEFAULTS: TrainRunOptions = {
  arch: 'cnn', wbits: 1, abits: 4, firstLastBits: 8, alphaGrad: '3-valued', alphaRate: 0.01, alphaClip: 1, act: 'sign', perChannel: false, weightSet: 'uniform',
  optimizer: 'bcgd', epochs: 10, batch: 64, lr: 0.05, rho: 1e-5, schedule: 'cosine', momentum: 0.9, weightDecay: 1e-4, seed: 1,
  relaxSchedule: 'per-epoch', relaxGrowth: 1.04, phase2Lr: 0.01, threads: 1, augment: 0,
  resume: false,
};

/** The options that define a run (a resumed run must match them). */
const RUN_KEYS = ['arch', 'wbits', 'abits', 'firstLastBits', 'alphaGrad', 'alphaRate', 'alphaClip', 'act', 'perChannel', 'weightSet', 'lbwRatio', 'optimizer', 'epochs', 'batch', 'lr', 'rho', 'schedule', 'momentum', 'weightDecay', 'seed', 'limit', 'relaxSchedule', 'relaxGrowth', 'relaxEpochs', 'phase2Lr', 'threads', 'augment'] as const;
/** What a key meant in checkpoints written before it existed. */
const LEGACY: Partial<TrainRunOptions> = { alphaRate: 0.01, alphaClip: 1, act: 'sign', relaxSchedule: 'fixed-end', relaxGrowth: 1.04, phase2Lr: 1, threads: 1, augment: 0 };

/**
 * Rebuild the model a checkpoint was written for, with its trained weights and batch-norm
 * statistics restored (for export to a model file).
 */
export async function modelFromCheckpoint(bytes: Uint8Array, what: string): Promise<{ model: Model; config: TrainRunOptions; epochs: number; history: EpochSummary[]; source: string }> {
  const cp = decodeCheckpoint(bytes, what);
  const config = { ...TRAIN_DEFAULTS, ...LEGACY, ...(cp.header.config as Partial<TrainRunOptions>), resume: false, out: undefined };
  try { validateRun(config); } catch (e) { throw new LowbitError('BAD_CHECKPOINT', `${what}: its configuration is not valid (${(e as Error).message})`); }
  const lb = await init();
  const model = cp.header.model !== undefined ? modelFromJson(lb.heap, cp.header.model, config.seed, `${what}: its model graph`, 'BAD_CHECKPOINT') : new Sequential(lb.heap, buildLayers(config), [28, 28, 1], config.seed);
  const trainer = new Trainer(model, trainerOptions(config), config.limit ?? 60000);
  try {
    restoreCheckpoint(trainer, lb.heap, cp, what);
    for (const p of trainer.rule.quantized) p.quant!.project(); // exact quantization for export
  } finally {
    trainer.dispose();
  }
  const source = typeof cp.header.config.source === 'string' ? cp.header.config.source : String(config.data ?? 'fashion-mnist');
  return { model, config, epochs: cp.header.scalars.epoch, history: cp.header.history ?? [], source };
}

/** The Trainer's share of the run's options. */
function trainerOptions(o: TrainRunOptions): TrainOptions {
  return { epochs: o.epochs, batch: o.batch, lr: o.lr, optimizer: o.optimizer, schedule: o.schedule, momentum: o.momentum, weightDecay: o.weightDecay, rho: o.rho, seed: o.seed,
    relaxSchedule: o.relaxSchedule, relaxGrowth: o.relaxGrowth, relaxEpochs: o.relaxEpochs, phase2LrFactor: o.phase2Lr, augment: o.augment };
}

export interface TrainIO {
  /** a line of output (epoch summaries, results) */
  log(line: string): void;
  /** per-batch progress (a progress bar on a terminal) */
  progress?(p: BatchProgress): void;
}

export interface TrainRunResult {
  testAccuracy: number; history: EpochSummary[]; data: string; description: string; seconds: number;
  /** why the run counts as diverged (the last epoch's loss over 3x chance level, or not finite), else undefined */
  diverged?: string;
}

/** Softmax cross-entropy of a uniform guess over 10 classes: a loss above it learned nothing. */
const CHANCE_LOSS = Math.log(10);

export function validateRun(o: TrainRunOptions): void {
  validateArch(o);
  const pos = (name: string, v: number, int = false) => {
    if (!(Number.isFinite(v) && v > 0) || (int && !Number.isInteger(v))) throw new LowbitError('BAD_ARGUMENT', `--${name} must be a positive ${int ? 'integer' : 'number'}, got ${v}`);
  };
  pos('epochs', o.epochs, true); pos('batch', o.batch, true); pos('lr', o.lr);
  if (o.batch > 4096) throw new LowbitError('BAD_ARGUMENT', `--batch must be at most 4096, got ${o.batch}`);
  if (!OPTIMIZERS.includes(o.optimizer)) throw new LowbitError('BAD_ARGUMENT', `--optimizer must be one of ${OPTIMIZERS.join(', ')}, got '${o.optimizer}'`);
  if (!SCHEDULES.includes(o.schedule)) throw new LowbitError('BAD_ARGUMENT', `--schedule must be one of ${SCHEDULES.join(', ')}, got '${o.schedule}'`);
  if (!(o.rho >= 0 && o.rho <= 1)) throw new LowbitError('BAD_ARGUMENT', `--rho must be in [0, 1], got ${o.rho}`);
  if (!(o.momentum >= 0 && o.momentum < 1)) throw new LowbitError('BAD_ARGUMENT', `--momentum must be in [0, 1), got ${o.momentum}`);
  if (!(o.weightDecay >= 0)) throw new LowbitError('BAD_ARGUMENT', `--weight-decay must be >= 0, got ${o.weightDecay}`);
  if (!Number.isInteger(o.seed) || o.seed < 0 || o.seed > 2 ** 31) throw new LowbitError('BAD_ARGUMENT', `--seed must be an integer in [0, 2^31], got ${o.seed}`);
  if (o.limit !== undefined) pos('limit', o.limit, true);
  pos('alpha-rate', o.alphaRate); pos('alpha-clip', o.alphaClip);
  if (!Number.isInteger(o.augment) || o.augment < 0 || o.augment > 8) throw new LowbitError('BAD_ARGUMENT', `--augment must be an integer in [0, 8] (the largest shift in pixels), got ${o.augment}`);
  if (!Number.isInteger(o.threads) || o.threads < 1 || o.threads > 64) throw new LowbitError('BAD_ARGUMENT', `--threads must be an integer in [1, 64], got ${o.threads}`);
  if (!(o.relaxGrowth >= 1 && Number.isFinite(o.relaxGrowth))) throw new LowbitError('BAD_ARGUMENT', `--relax-growth must be a number >= 1, got ${o.relaxGrowth}`);
  if (!(o.phase2Lr > 0 && o.phase2Lr <= 1)) throw new LowbitError('BAD_ARGUMENT', `--phase2-lr must be in (0, 1], got ${o.phase2Lr}`);
  if (o.relaxEpochs !== undefined && !(Number.isInteger(o.relaxEpochs) && o.relaxEpochs >= 0 && o.relaxEpochs <= o.epochs)) throw new LowbitError('BAD_ARGUMENT', `--relax-epochs must be an integer in [0, --epochs = ${o.epochs}], got ${o.relaxEpochs}`);
  if (o.resume && !o.out) throw new LowbitError('BAD_ARGUMENT', '--resume needs --out FILE (the checkpoint to continue)');
  if (o.optimizer === 'bcgd' && o.wbits === 32) throw new LowbitError('BAD_ARGUMENT', 'bcgd blends float weights toward their quantized values: use --wbits 1, 2, 4 or 8 with it (or --optimizer sgd / adam for a float model)');
  if (o.optimizer === 'binaryrelax' && o.wbits === 32) throw new LowbitError('BAD_ARGUMENT', 'binaryrelax needs quantized weights: use --wbits 1, 2, 4 or 8 with it');
}

async function loadData(o: TrainRunOptions): Promise<FashionMnist> {
  const data = await loadFashionMnist(o.data);
  if (o.limit !== undefined && o.limit < data.train.count) data.train = { ...data.train, count: o.limit };
  return data;
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

/** How a model file names its training data: the shipped subset, or Fashion-MNIST from a folder. */
const dataLabel = (source: string) => (source === SUBSET_DIR || source.includes('fashion-mnist-subset') ? 'fashion-mnist subset' : 'fashion-mnist');

/** What a model file records about how it was trained. */
export function provenance(o: TrainRunOptions, testAccuracy: number, epochs: number, source: string): Record<string, unknown> {
  return {
    arch: o.arch, wbits: o.wbits, abits: o.abits, firstLastBits: o.firstLastBits, weightSet: o.weightSet, perChannel: o.perChannel, ...(o.lbwRatio !== undefined ? { lbwRatio: o.lbwRatio } : {}),
    ...(o.abits === 1 || o.act === 'affine' ? { act: o.act } : {}),
    training: { optimizer: o.optimizer, epochs, batch: o.batch, lr: o.lr, schedule: o.schedule, rho: o.rho, seed: o.seed, ...(o.augment ? { augment: o.augment } : {}), data: dataLabel(source), limit: o.limit ?? null, testAccuracy, date: new Date().toISOString().slice(0, 10),
      ...(o.optimizer === 'binaryrelax' ? { relaxSchedule: o.relaxSchedule, relaxGrowth: o.relaxGrowth, relaxEpochs: o.relaxEpochs ?? null, phase2Lr: o.phase2Lr } : {}) },
    producer: 'lowbit',
  };
}

export async function runTraining(opts: TrainRunOptions, io: TrainIO): Promise<TrainRunResult> {
  validateRun(opts);
  const t0 = performance.now();
  let o = opts;
  let checkpoint: ReturnType<typeof decodeCheckpoint> | undefined;
  let extending = 0;
  if (o.resume) {
    let bytes: Uint8Array;
    try { bytes = await readFileBounded(o.out!, MAX_FILE_BYTES.checkpoint, 'checkpoint'); } catch (e) {
      throw new LowbitError('BAD_CHECKPOINT', `--resume: ${(e as Error).message}; run without --resume to start a new run`);
    }
    checkpoint = decodeCheckpoint(bytes, o.out);
    const saved = checkpoint.header.config as Partial<TrainRunOptions>;
    for (const k of RUN_KEYS) {
      if (k === 'epochs') continue;
      const was = k in saved ? saved[k] : LEGACY[k];
      if (was !== o[k]) throw new LowbitError('BAD_CHECKPOINT', `--resume: ${o.out} was trained with ${k} = ${String(was)}, this run asks ${String(o[k])}; use the same flags (or a new --out)`);
    }
    if (typeof saved.epochs !== 'number' || o.epochs < saved.epochs) throw new LowbitError('BAD_CHECKPOINT', `--resume: ${o.out} is a run of ${saved.epochs} epochs; pass --epochs ${saved.epochs} to finish it, or more to extend it`);
    extending = o.epochs > saved.epochs ? saved.epochs : 0;
  }
  // the files written later must be writable now, not after an epoch of work
  if (o.out) await checkWritable(o.out, '--out');
  if (o.model) await checkWritable(o.model, '--model');
  const lb = await init();
  const data = await loadData(o);
  const description = describeArch(o);
  const model = buildModel(lb.heap, o, [data.train.height, data.train.width, 1], o.seed);
  const trainer = new Trainer(model, trainerOptions(o), data.train.count);
  const config = { ...Object.fromEntries(RUN_KEYS.map((k) => [k, o[k]])), source: data.source };
  let workers: GradientWorkers | undefined;
  try {
    if (checkpoint) {
      restoreCheckpoint(trainer, lb.heap, checkpoint, o.out);
      io.log(extending ? `resumed ${o.out} after epoch ${trainer.epoch}, extending the run from ${extending} to ${o.epochs} epochs (the learning-rate schedule is recomputed for ${o.epochs})` : `resumed ${o.out} after epoch ${trainer.epoch} of ${o.epochs}`);
    }
    io.log(`${description}, ${o.optimizer}${o.optimizer === 'bcgd' ? ` (rho ${o.rho})` : ''}, lr ${o.lr} ${o.schedule}, batch ${o.batch}, seed ${o.seed}${o.augment ? `, augmented (flips, shifts up to ${o.augment} px)` : ''}`);
    io.log(`weights by precision: ${model.summary()}`);
    io.log(`data: ${data.source === SUBSET_DIR ? 'the shipped Fashion-MNIST subset' : data.source} (${data.train.count} training, ${data.test.count} test images); wasm ${lb.relaxedSimd ? 'relaxed-SIMD' : 'SIMD128'} build`);
    if (o.threads > 1) {
      workers = await startGradientWorkers(model.toJSON(), o.seed, o.threads);
      io.log(`data-parallel on ${o.threads} threads (${workers.count} workers and this one; batch norm statistics of the whole batch)`);
    }
    while (trainer.epoch < o.epochs) {
      const s = workers ? await trainer.runEpochParallel(data.train, workers, io.progress) : trainer.runEpoch(data.train, io.progress);
      s.testAccuracy = trainer.evaluate(data.test);
      let line = `epoch ${s.epoch}/${o.epochs}: loss ${s.loss.toFixed(4)}, train ${pct(s.trainAccuracy)}, test ${pct(s.testAccuracy)}, ${s.imagesPerSecond.toFixed(0)} images/s, ${s.seconds.toFixed(1)} s`;
      if (o.out) {
        await writeFileAtomic(o.out, encodeCheckpoint(trainer, config));
        line += `; checkpoint ${o.out}`;
      }
      io.log(line);
    }
    const testAccuracy = trainer.history.at(-1)?.testAccuracy ?? trainer.evaluate(data.test);
    if (o.model) {
      const bytes = trainer.rule.exact(() => encodeModel(compile(model, data.classes, provenance(o, testAccuracy, trainer.epoch, data.source))));
      await writeFileAtomic(o.model, bytes);
      io.log(`model ${o.model} (${bytes.length.toLocaleString('en-US')} bytes, integer-only)`);
    }
    const loss = trainer.history.at(-1)?.loss;
    const diverged = loss === undefined ? undefined : !Number.isFinite(loss) || loss > 3 * CHANCE_LOSS ? `the last epoch's loss is ${loss.toPrecision(3)}, far above chance level (${CHANCE_LOSS.toFixed(2)})` : undefined;
    return { testAccuracy, history: trainer.history, data: data.source, description, seconds: (performance.now() - t0) / 1000, diverged };
  } catch (e) {
    if (e instanceof LowbitError && e.code === 'NAN_LOSS') {
      const kept = o.out && trainer.epoch > 0 ? ` The last good checkpoint (epoch ${trainer.epoch}) is kept in ${o.out}.` : '';
      throw new LowbitError('NAN_LOSS', e.message + kept);
    }
    throw e;
  } finally {
    workers?.dispose();
    trainer.dispose();
    model.dispose();
  }
}
