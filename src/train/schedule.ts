// Learning-rate schedules, evaluated per batch: t = steps done, T = total steps of the run.
import { LowbitError } from '../errors.js';

export type ScheduleKind = 'constant' | 'step' | 'cosine';
export const SCHEDULES: readonly ScheduleKind[] = ['constant', 'step', 'cosine'];

/**
 * lr at step t of T. 'step': x0.1 at 40% and again at 70% of the run (BCGD's CIFAR schedule,
 * epochs 80 and 140 of 200); 'cosine': lr (1 + cos(pi t / T)) / 2; 'constant': lr.
 */
export function learningRate(kind: ScheduleKind, lr: number, t: number, T: number): number {
  const f = T > 0 ? Math.min(1, t / T) : 0;
  switch (kind) {
    case 'constant': return lr;
    case 'step': return lr * (f >= 0.7 ? 0.01 : f >= 0.4 ? 0.1 : 1);
    case 'cosine': return lr * 0.5 * (1 + Math.cos(Math.PI * f));
    default: throw new LowbitError('BAD_ARGUMENT', `unknown schedule '${String(kind)}': use ${SCHEDULES.join(', ')}`);
  }
}
