// A seeded, deterministic training run: model + optimizer + quantized update rule + schedule,
// epoch by epoch, with per-batch progress and the state a checkpoint needs.
import { checkOptions, LowbitError } from '../errors.js';
import type { ImageSet } from '../data/idx.js';
import type { StateBuffer } from '../ops/layer.js';
import { Slot } from '../ops/layer.js';
import { Batcher, batchGradients, evaluate, permutation } from './sequential.js';
import type { Model } from '../graph/model.js';
import { checkImageSet } from './check-data.js';
import { withShardSync, type GradientWorkers, type ShardResult } from './parallel.js';
import { ShardSync, shardSyncBytes, type ShardSyncJob } from './shard-sync.js';
import { BatchNorm } from '../ops/simple.js';
import { shareSizes } from '../infer/batch.js';
import { Adam, Sgd, type Optimizer, type WasmTensor } from './optimizers.js';
import { QuantRule, type RelaxSchedule, type RuleKind } from './rules.js';
import { learningRate, type ScheduleKind } from './schedule.js';
import { copyImage, type Augment } from './augment.js';

export const OPTIMIZERS = ['bcgd', 'binaryconnect', 'binaryrelax', 'sgd', 'adam'] as const;
export type OptimizerName = (typeof OPTIMIZERS)[number];

export interface TrainOptions {
  epochs: number;
  batch: number;
  lr: number;
  /** 'bcgd' | 'binaryconnect' | 'binaryrelax' (momentum SGD inside) or 'sgd' | 'adam' (on quantized
   * weights these train BinaryConnect-style: gradients at proj_Q(w_f) update w_f) */
  optimizer: OptimizerName;
  schedule?: ScheduleKind;
  momentum?: number;
  weightDecay?: number;
  rho?: number;
  /** BinaryRelax: fraction of the run in phase 1 (default 0.75, the paper's 150 of 200 epochs) */
  relaxFraction?: number;
  /** BinaryRelax: epochs in phase 1 (overrides relaxFraction) */
  relaxEpochs?: number;
  /** BinaryRelax: 'per-epoch' (default; the papers') or 'fixed-end' continuation of lambda */
  relaxSchedule?: RelaxSchedule;
  /** BinaryRelax 'per-epoch': lambda's factor per epoch (default 1.04) */
  relaxGrowth?: number;
  /** BinaryRelax 'per-epoch': the learning rate in phase 2 is the schedule's times this (default 0.01) */
  phase2LrFactor?: number;
  /** data augmentation: random left-right flips and shifts of up to this many pixels, per image and epoch (default 0: none) */
  augment?: number;
  seed: number;
}

export interface BatchProgress {
  epoch: number; batch: number; batches: number; loss: number; accuracy: number; imagesPerSecond: number; etaSeconds: number; lr: number;
}

export interface EpochSummary {
  epoch: number; loss: number; trainAccuracy: number; testAccuracy?: number; seconds: number; imagesPerSecond: number; lr: number;
}

export class Trainer {
  readonly optimizer: Optimizer;
  readonly rule: QuantRule;
  /** completed epochs */
  epoch = 0;
  history: EpochSummary[] = [];
  private readonly stepsPerEpoch: number;
  /** BinaryRelax phase 2's learning-rate factor (1 otherwise) */
  private readonly phase2Factor: number;

  constructor(readonly model: Model, readonly options: TrainOptions, readonly trainCount: number) {
    const o = options;
    checkOptions('Trainer', o, ['epochs', 'batch', 'lr', 'optimizer', 'schedule', 'momentum', 'weightDecay', 'rho', 'relaxFraction', 'relaxEpochs', 'relaxSchedule', 'relaxGrowth', 'phase2LrFactor', 'augment', 'seed']);
    if (!OPTIMIZERS.includes(o.optimizer)) throw new LowbitError('BAD_ARGUMENT', `optimizer must be one of ${OPTIMIZERS.join(', ')}, got '${o.optimizer}'`);
    this.stepsPerEpoch = Math.ceil(trainCount / o.batch);
    const ps = model.params(), heap = model.heap;
    this.optimizer = o.optimizer === 'adam'
      ? new Adam(heap, ps, o.lr, o.weightDecay ?? 0)
      : new Sgd(heap, ps, o.lr, o.momentum ?? 0.9, o.weightDecay ?? 1e-4);
    const kind: RuleKind = o.optimizer === 'bcgd' || o.optimizer === 'binaryrelax' ? o.optimizer : 'binaryconnect';
    const total = this.stepsPerEpoch * o.epochs;
    const relaxSteps = o.relaxEpochs !== undefined ? o.relaxEpochs * this.stepsPerEpoch : Math.round(total * (o.relaxFraction ?? 0.75));
    this.rule = new QuantRule(heap, kind, ps, { rho: o.rho ?? 1e-5, relaxSteps, relaxSchedule: o.relaxSchedule, lambdaGrowth: o.relaxGrowth, stepsPerEpoch: this.stepsPerEpoch });
    this.phase2Factor = kind === 'binaryrelax' && (o.relaxSchedule ?? 'per-epoch') === 'per-epoch' ? (o.phase2LrFactor ?? 0.01) : 1;
    if (o.augment !== undefined && !(Number.isInteger(o.augment) && o.augment >= 0 && o.augment <= 8)) throw new LowbitError('BAD_ARGUMENT', `augment is the largest shift in pixels, an integer in [0, 8], got ${String(o.augment)}`);
    if (!(this.phase2Factor > 0 && this.phase2Factor <= 1)) throw new LowbitError('BAD_ARGUMENT', `phase2LrFactor must be in (0, 1], got ${o.phase2LrFactor}`);
  }

  /** One epoch in the seeded order for this epoch; onBatch after every batch. */
  runEpoch(data: ImageSet, onBatch?: (p: BatchProgress) => void): EpochSummary {
    const { model, options: o } = this, { order, batcher, grad } = this.startEpoch(data);
    const batches = Math.ceil(data.count / o.batch), tally = new EpochTally(this.epoch + 1, batches, data.count, o.lr, onBatch);
    try {
      for (let b = 0; b < batches; b++) {
        const from = b * o.batch, count = Math.min(o.batch, data.count - from);
        const { loss, hits } = batchGradients(model, batcher, order, from, count, grad);
        this.checkLoss(loss, b);
        tally.add(b, loss * count, hits, count, this.optimizerStep(b));
      }
    } finally {
      batcher.dispose();
      grad.free();
    }
    return this.finishEpoch(tally);
  }

  /** Check the data against the model; this epoch's seeded order, a batch loader and a gradient buffer. */
  private startEpoch(data: ImageSet): { order: Uint32Array; batcher: Batcher; grad: Slot } {
    const model = this.model;
    if (model.inputShapes.length !== 1 || model.outputs.length !== 1) throw new LowbitError('BAD_ARGUMENT', `the Trainer trains one-input, one-output models (images to logits); this one has ${model.inputShapes.length} inputs and ${model.outputs.length} outputs`);
    if (model.outShape.length !== 1) throw new LowbitError('BAD_SHAPE', `the model must end in logits, got output shape [${model.outShape.join(', ')}]`);
    checkImageSet(data, model.inShape, model.outShape[0], 'training data');
    return { order: permutation(data.count, this.options.seed * 1000 + this.epoch), batcher: new Batcher(model.heap, data, this.augmentation()), grad: new Slot(model.heap) };
  }

  /** This epoch's augmentation, or undefined when the run has none. */
  private augmentation(): Augment | undefined {
    const shift = this.options.augment ?? 0;
    return shift > 0 ? { seed: this.options.seed, epoch: this.epoch, shift } : undefined;
  }

  /** Stop on a NaN or infinite loss, naming the epoch and batch. */
  private checkLoss(loss: number, b: number): void {
    if (!Number.isFinite(loss)) {
      throw new LowbitError('NAN_LOSS', `the loss became ${loss} in epoch ${this.epoch + 1}, batch ${b + 1}: training stopped; lower the learning rate (--lr ${this.options.lr} now)`);
    }
  }

  /** The learning rate of step b of this epoch, then the update rule and the optimizer step. */
  private optimizerStep(b: number): number {
    const o = this.options, total = this.stepsPerEpoch * o.epochs;
    const lr = learningRate(o.schedule ?? 'cosine', o.lr, this.epoch * this.stepsPerEpoch + b, total) * (this.rule.kind === 'binaryrelax' && !this.rule.relaxing ? this.phase2Factor : 1);
    this.optimizer.lr = lr;
    this.rule.beforeStep();
    this.optimizer.step();
    this.rule.afterStep();
    return lr;
  }

  private finishEpoch(tally: EpochTally): EpochSummary {
    this.epoch++;
    const summary = tally.summary(this.epoch);
    this.history.push(summary);
    return summary;
  }

  /**
   * One epoch, data-parallel: every batch split into workers.count + 1 shards by images, the first
   * computed here and the others on `workers` (src/train/parallel.ts); the optimizer and the update
   * rule run here once per batch on the combined gradients; batch norms use the whole batch's
   * statistics (./shard-sync.ts). Deterministic for a seed and thread count.
   */
  async runEpochParallel(data: ImageSet, workers: GradientWorkers, onBatch?: (p: BatchProgress) => void): Promise<EpochSummary> {
    const { model, options: o } = this, heap = model.heap, { order, batcher, grad } = this.startEpoch(data);
    const aug = this.augmentation(), batches = Math.ceil(data.count / o.batch), pixels = data.height * data.width, tally = new EpochTally(this.epoch + 1, batches, data.count, o.lr, onBatch);
    const ps = model.params(), bufs = model.layers.flatMap((l) => l.buffers?.() ?? []);
    // batch norm's statistics are the whole batch's: per-channel sums meet in a shared block
    const norms = model.layers.filter((l): l is BatchNorm => l instanceof BatchNorm), length = 2 * Math.max(0, ...norms.map((l) => l.channels));
    const block = norms.length ? new SharedArrayBuffer(shardSyncBytes(workers.count + 1, length)) : undefined;
    // the weights go out and the gradients come back through shared buffers made once per epoch
    // (fresh 3 MB arrays every step cost more in allocation than the copies themselves)
    const views = (buffer: SharedArrayBuffer) => { let at = 0; return ps.map((p) => { const v = new Float32Array(buffer, at, p.size) as unknown as Float32Array<ArrayBuffer>; at += 4 * p.size; return v; }); };
    const paramBytes = 4 * ps.reduce((a, p) => a + p.size, 0), forward = views(new SharedArrayBuffer(paramBytes));
    const grads = Array.from({ length: workers.count }, () => views(new SharedArrayBuffer(paramBytes)));
    try {
      for (let b = 0; b < batches; b++) {
        const from = b * o.batch, count = Math.min(o.batch, data.count - from), parts = Math.min(workers.count + 1, count);
        const sync = (shard: number, images: number): ShardSyncJob | undefined => block && { block, shard, shards: parts, length, images, total: count };
        if (block) ShardSync.reset(block);
        const sizes = shareSizes(count, parts);
        const jobs: Promise<ShardResult>[] = [];
        if (parts > 1) ps.forEach((p, i) => heap.read(Float32Array, p.quant ? p.quant.wq : p.w, p.size, forward[i]));
        for (let s = 1, at = from + sizes[0]; s < parts; s++) {
          const floats = ps.map((p) => (p.quant?.q.kind === 'affine' ? heap.read(Float32Array, p.w, p.size) : null));
          const n = sizes[s], images = new Uint8Array(n * pixels), labels = new Uint8Array(n);
          for (let i = 0; i < n; i++) {
            const j = order[at + i];
            copyImage(data, j, images.subarray(i * pixels, (i + 1) * pixels), aug);
            labels[i] = data.labels[j];
          }
          jobs.push(workers.shard(s - 1, { forward, grads: grads[s - 1], floats, running: bufs.map((x) => x.data.slice()), images, labels, count: n, sync: sync(s, n) }));
          at += n;
        }
        // shard 0 here, while the workers run theirs
        const n0 = sizes[0], local = withShardSync(norms, sync(0, n0), () => batchGradients(model, batcher, order, from, n0, grad), jobs);
        const results = await Promise.all(jobs);
        // combine in shard order: gradient of the batch mean = sum_s (n_s / n) g_s, as a running
        // blend in wasm: after shard s, g = (1 - rho) g + rho g_s with rho = n_s / (n_0 + .. + n_s)
        const staged = grad.get(Math.max(...ps.map((p) => p.size)) * 4);
        results.forEach((r, s) => {
          const done = sizes.slice(0, s + 2).reduce((a, v) => a + v, 0), rho = sizes[s + 1] / done;
          ps.forEach((p, i) => { heap.write(staged, grads[s][i]); heap.wasm.blend(p.g, staged, p.size, rho); });
        });
        bufs.forEach((buf, i) => {
          const mix = buf.data.map((v) => v * (n0 / count));
          results.forEach((r, s) => { const w = sizes[s + 1] / count; for (let k = 0; k < mix.length; k++) mix[k] += w * r.running[i][k]; });
          buf.data.set(mix);
        });
        const hits = results.reduce((a, r) => a + r.hits, local.hits);
        const loss = results.reduce((a, r, s) => a + r.loss * sizes[s + 1], local.loss * n0); // summed over the batch's images
        this.checkLoss(loss / count, b);
        tally.add(b, loss, hits, count, this.optimizerStep(b));
      }
    } finally {
      batcher.dispose();
      grad.free();
    }
    return this.finishEpoch(tally);
  }

  /** Accuracy with exactly quantized weights, batch statistics off. */
  evaluate(data: ImageSet): number {
    return this.rule.exact(() => evaluate(this.model, data));
  }

  /** Every wasm tensor of the run's state, with names unique in the model (layer index prefix). */
  tensors(): WasmTensor[] {
    const names = this.model.layers.flatMap((l, i) => l.params().map((p) => `${i}:${p.name}`));
    const ps = this.model.params();
    const out: WasmTensor[] = ps.map((p, i) => ({ name: names[i], ptr: p.w, size: p.size }));
    for (const t of this.optimizer.state()) {
      const [index, what] = t.name.split('#');
      out.push({ ...t, name: `${names[Number(index)]}#${what}` });
    }
    return out;
  }

  /**
   * State a checkpoint may lack (files written before it existed): the scales the weight
   * projections warm-start from. Restored when present; else the next projection starts cold.
   */
  optionalTensors(): (WasmTensor & { restored(found: boolean): void })[] {
    const names = this.model.layers.flatMap((l, i) => l.params().map((p) => `${i}:${p.name}`));
    return this.model.params().flatMap((p, i) => {
      const st = p.quant?.warmState();
      return st ? [{ name: `${names[i]}#qscale`, ptr: st.ptr, size: st.size, restored: (found: boolean) => p.quant!.restoredWarm(found) }] : [];
    });
  }

  /** JavaScript-side state (batch norm running statistics), named like tensors(). */
  buffers(): StateBuffer[] {
    return this.model.layers.flatMap((l, i) => (l.buffers?.() ?? []).map((b) => ({ name: `${i}:${b.name}`, data: b.data })));
  }

  /** Scalars to checkpoint: epoch, the optimizer's and the rule's counters. */
  scalars(): Record<string, number> {
    return { epoch: this.epoch, ...prefix('optimizer.', this.optimizer.scalars), ...prefix('rule.', this.rule.scalars) };
  }

  /** After tensors and buffers were restored: set the scalars and recompute the quantized weights. */
  restoreScalars(s: Record<string, number>, history: EpochSummary[]): void {
    this.epoch = s.epoch;
    for (const k of Object.keys(this.optimizer.scalars)) this.optimizer.scalars[k] = s[`optimizer.${k}`];
    for (const k of Object.keys(this.rule.scalars)) this.rule.scalars[k] = s[`rule.${k}`];
    this.history = history;
    this.rule.reproject();
  }

  dispose(): void { this.optimizer.dispose(); }
}

function prefix(p: string, r: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(r).map(([k, v]) => [p + k, v]));
}


/** The running sums of an epoch: per-batch progress reports and the epoch's summary. */
class EpochTally {
  private loss = 0; private hits = 0; private seen = 0; private lr: number;
  private readonly t0 = performance.now();
  constructor(private readonly epoch: number, private readonly batches: number, private readonly images: number, lr: number,
              private readonly onBatch?: (p: BatchProgress) => void) { this.lr = lr; }

  /** After batch b: its summed loss, hits and images, and the learning rate it used. */
  add(b: number, lossSum: number, hits: number, count: number, lr: number): void {
    this.loss += lossSum; this.hits += hits; this.seen += count; this.lr = lr;
    if (!this.onBatch) return;
    const secs = (performance.now() - this.t0) / 1000, ips = this.seen / Math.max(secs, 1e-9);
    this.onBatch({ epoch: this.epoch, batch: b + 1, batches: this.batches, loss: this.loss / this.seen, accuracy: this.hits / this.seen, imagesPerSecond: ips, etaSeconds: (this.images - this.seen) / ips, lr });
  }

  summary(epoch: number): EpochSummary {
    const seconds = (performance.now() - this.t0) / 1000;
    return { epoch, loss: this.loss / this.seen, trainAccuracy: this.hits / this.seen, seconds, imagesPerSecond: this.seen / seconds, lr: this.lr };
  }
}
