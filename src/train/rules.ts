// The quantized-training update rules of docs/algorithms.md, around any optimizer step:
//   BinaryConnect  w_f <- w_f - eta g(w);                 w <- proj_Q(w_f)
//   BCGD           w_f <- (1 - rho) w_f + rho w - eta g;  w <- proj_Q(w_f)     (blend before the step)
//   BinaryRelax    phase 1: w_f <- w_f - eta g;  w <- (lambda proj_Q(w_f) + w_f) / (lambda + 1),
//                  lambda growing geometrically; phase 2: w <- proj_Q(w_f) (exact, as BinaryConnect).
// g is always the coarse gradient taken at the weights the forward pass used (w).
import { LowbitError } from '../errors.js';
import type { Heap } from '../memory.js';
import type { Param } from '../layers/layer.js';

export type RuleKind = 'binaryconnect' | 'bcgd' | 'binaryrelax';

export interface RuleOptions {
  /** BCGD's blending weight (default 1e-5, the paper's value) */
  rho?: number;
  /** BinaryRelax: steps in phase 1 (relaxed); after them, exact quantization */
  relaxSteps?: number;
  /** BinaryRelax: lambda at the start (1) and at the end of phase 1 */
  lambdaStart?: number;
  lambdaEnd?: number;
}

/**
 * BinaryRelax's continuation, compressed to the run: the paper's code grows lambda from 1 by 1.04
 * per epoch for the 150 epochs of phase 1 (of 200), i.e. to 1.04^150 ~= 360; we reach the same end
 * value geometrically over `relaxSteps`, and start phase 2 after 75% of the run by default.
 */
export const DEFAULT_LAMBDA_END = 1.04 ** 150;

export class QuantRule {
  readonly quantized: Param[];
  /** BinaryRelax state: steps done and the current lambda */
  scalars: Record<string, number>;
  private readonly growth: number;

  constructor(private readonly heap: Heap, readonly kind: RuleKind, params: Param[], readonly options: RuleOptions = {}) {
    if (!['binaryconnect', 'bcgd', 'binaryrelax'].includes(kind)) {
      throw new LowbitError('BAD_ARGUMENT', `unknown update rule '${String(kind)}': use binaryconnect, bcgd or binaryrelax`);
    }
    const rho = options.rho ?? 1e-5;
    if (!(rho >= 0 && rho <= 1)) throw new LowbitError('BAD_ARGUMENT', `rho must be in [0, 1], got ${rho}`);
    this.quantized = params.filter((p) => p.quant);
    const start = options.lambdaStart ?? 1, end = options.lambdaEnd ?? DEFAULT_LAMBDA_END;
    const steps = Math.max(1, options.relaxSteps ?? 1);
    this.growth = (end / start) ** (1 / steps);
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
    if (this.relaxing) this.scalars.lambda *= this.growth;
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
