// Data-parallel training: each batch is split into shards by images; the calling thread computes
// the first shard's gradients and worker threads (each with a replica of the model) the others.
// The gradients are combined in a fixed order, weighted by shard size, so a run with a given seed
// and thread count is deterministic. Batch norm uses the whole batch's statistics, as one thread
// does: the shards add their per-channel sums up through a shared block at each batch norm, forward
// (mean, then variance) and backward (the sums dx needs), see ./shard-sync.ts.
import { ShardSync, type ShardSyncJob } from './shard-sync.js';
import type { BatchNorm } from '../ops/simple.js';

export interface ShardJob {
  /** per parameter: the weights the forward pass reads (the quantized ones for quantized parameters); views of a SharedArrayBuffer the caller refills each step */
  forward: Float32Array[];
  /** per parameter: where the shard writes its gradients (views of a SharedArrayBuffer of this worker's) */
  grads: Float32Array[];
  /** per parameter: the float weights where the backward pass needs them too (trained affine maps), else null */
  floats: (Float32Array | null)[];
  /** batch norm running statistics, in model order */
  running: Float32Array[];
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
  /** where this shard meets the others at each batch norm (absent: the model has none) */
  sync?: ShardSyncJob;
}

/**
 * Run one shard's `work` with its batch norms synced as `job` says; if it throws, the other shards
 * are told (they stop waiting) and `pending` (their results) may reject unobserved.
 */
export function withShardSync<T>(norms: BatchNorm[], job: ShardSyncJob | undefined, work: () => T, pending: Promise<unknown>[] = []): T {
  const sync = job && new ShardSync(job);
  for (const n of norms) n.sync = sync;
  try {
    return work();
  } catch (e) {
    sync?.abort();
    for (const p of pending) p.catch(() => {});
    throw e;
  } finally {
    for (const n of norms) n.sync = undefined;
  }
}

/** A shard's result; its gradients are in the job's `grads`. */
export interface ShardResult { running: Float32Array[]; loss: number; hits: number }

/** Worker threads that compute shard gradients (src/node/train-pool.ts in Node). */
export interface GradientWorkers {
  /** worker threads, besides the caller */
  readonly count: number;
  shard(worker: number, job: ShardJob): Promise<ShardResult>;
  dispose(): void;
}
