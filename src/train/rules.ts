// The quantized-training update rules of docs/algorithms.md, around any optimizer step:
//   BinaryConnect  w_f <- w_f - eta g(w);                 w <- proj_Q(w_f)
//   BCGD           w_f <- (1 - rho) w_f + rho w - eta g;  w <- proj_Q(w_f)     (blend before the step)
//   BinaryRelax    phase 1: w_f <- w_f - eta g;  w <- (lambda proj_Q(w_f) + w_f) / (lambda + 1),
//                  lambda growing geometrically; phase 2: w <- proj_Q(w_f) (exact, as BinaryConnect).
//                  As the papers and their code: lambda *= growth (1.04) after every epoch of phase 1,
//                  and the Trainer runs phase 2 at a smaller learning rate ('per-epoch'); or, as
//                  lowbit first did, lambda reaching a fixed end value over phase 1 ('fixed-end').
// g is always the coarse gradient taken at the weights the forward pass used (w).
import { LowbitError } from '../errors.js';
import type { Heap } from '../memory.js';
import type { Param } from '../ops/layer.js';

export type RuleKind = 'binaryconnect' | 'bcgd' | 'binaryrelax';

export type RelaxSchedule = 'per-epoch' | 'fixed-end';
export const RELAX_SCHEDULES: readonly RelaxSchedule[] = ['per-epoch', 'fixed-end'];

export interface RuleOptions {
  /** BCGD's blending weight (default 1e-5, the paper's value) */
  rho?: number;
  /** BinaryRelax: steps in phase 1 (relaxed); after them, exact quantization */
  relaxSteps?: number;
  /** BinaryRelax: 'per-epoch' (default: lambda *= lambdaGrowth after every epoch, as the papers) or
   * 'fixed-end' (lambda grows per step to reach lambdaEnd at the end of phase 1) */
  relaxSchedule?: RelaxSchedule;
  /** BinaryRelax 'per-epoch': the factor per epoch (default 1.04, the authors' code) */
  lambdaGrowth?: number;
  /** BinaryRelax 'per-epoch': optimizer steps per epoch */
  stepsPerEpoch?: number;
  /** BinaryRelax: lambda at the start (1); 'fixed-end': at the end of phase 1 */
  lambdaStart?: number;
  lambdaEnd?: number;
}

/**
 * BinaryRelax's 'fixed-end' continuation: the paper's code grows lambda from 1 by 1.04 per epoch
 * for the 150 epochs of phase 1 (of 200), i.e. to 1.04^150 ~= 360; 'fixed-end' reaches that value
 * geometrically over `relaxSteps` whatever the run's length.
 */
export const DEFAULT_LAMBDA_END = 1.04 ** 150;

export class QuantRule {
  readonly quantized: Param[];
  /** BinaryRelax state: steps done and the current lambda */
  scalars: Record<string, number>;
  private readonly growth: number;
  /** steps per epoch under the 'per-epoch' schedule (lambda grows after each), 0 for 'fixed-end' */
  private readonly perEpoch: number;

  constructor(private readonly heap: Heap, readonly kind: RuleKind, params: Param[], readonly options: RuleOptions = {}) {
    if (!['binaryconnect', 'bcgd', 'binaryrelax'].includes(kind)) {
      throw new LowbitError('BAD_ARGUMENT', `unknown update rule '${String(kind)}': use binaryconnect, bcgd or binaryrelax`);
    }
    const rho = options.rho ?? 1e-5;
    if (!(rho >= 0 && rho <= 1)) throw new LowbitError('BAD_ARGUMENT', `rho must be in [0, 1], got ${rho}`);
    this.quantized = params.filter((p) => p.quant);
    const start = options.lambdaStart ?? 1, end = options.lambdaEnd ?? DEFAULT_LAMBDA_END;
    const schedule = options.relaxSchedule ?? 'per-epoch';
    if (!RELAX_SCHEDULES.includes(schedule)) throw new LowbitError('BAD_ARGUMENT', `relaxSchedule must be one of ${RELAX_SCHEDULES.join(', ')}, got '${String(schedule)}'`);
    const growth = options.lambdaGrowth ?? 1.04;
    if (!(growth >= 1 && Number.isFinite(growth))) throw new LowbitError('BAD_ARGUMENT', `lambdaGrowth must be a finite number >= 1, got ${growth}`);
    this.perEpoch = schedule === 'per-epoch' ? Math.max(1, options.stepsPerEpoch ?? 1) : 0;
    this.growth = this.perEpoch ? growth : (end / start) ** (1 / Math.max(1, options.relaxSteps ?? 1));
    this.scalars = { step: 0, lambda: start };
    this.reproject();
  }

  get rho(): number { return this.options.rho ?? 1e-5; }
  /** true while BinaryRelax trains on relaxed weights */
  get relaxing(): boolean { return this.kind === 'binaryrelax' && this.scalars.step < (this.options.relaxSteps ?? 0); }

  /** Before the optimizer step: BCGD's blend w_f <- (1 - rho) w_f + rho w. */
  beforeStep(): void {
    if (this.kind !== 'bcgd' || this.rho === 0) return;
    for (const p of this.quantized) this.heap.wasm.blend(p.w, p.quant!.wq, p.size, this.rho);
  }

  /** After the optimizer step: the weights the next forward pass uses. */
  afterStep(): void {
    if (this.relaxing && (!this.perEpoch || (this.scalars.step + 1) % this.perEpoch === 0)) this.scalars.lambda *= this.growth;
    this.scalars.step++;
    this.reproject();
  }

  /** w from w_f under the current state (also after a checkpoint restore). */
  reproject(): void {
    for (const p of this.quantized) {
      p.quant!.project();
      if (this.relaxing) this.heap.wasm.relax(p.w, p.quant!.wq, p.quant!.wq, p.size, this.scalars.lambda);
    }
  }

  /** Run fn with exactly quantized weights (evaluation during BinaryRelax's phase 1), then restore. */
  exact<T>(fn: () => T): T {
    if (!this.relaxing) return fn();
    for (const p of this.quantized) p.quant!.project();
    try { return fn(); } finally { this.reproject(); }
  }
}
