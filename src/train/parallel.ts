// Data-parallel training: each batch is split into shards by images; the calling thread computes
// the first shard's gradients and worker threads (each with a replica of the model) the others.
// The gradients are combined in a fixed order, weighted by shard size, so a run with a given seed
// and thread count is deterministic; batch norm's batch statistics are per shard ("ghost" batch
// norm), and its running statistics the size-weighted mean of the shards'.

export interface ShardJob {
  /** per parameter: the weights the forward pass reads (the quantized ones for quantized parameters) */
  forward: Float32Array[];
  /** per parameter: the float weights where the backward pass needs them too (trained affine maps), else null */
  floats: (Float32Array | null)[];
  /** batch norm running statistics, in model order */
  running: Float32Array[];
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
}

export interface ShardResult { grads: Float32Array[]; running: Float32Array[]; loss: number; hits: number }

/** Worker threads that compute shard gradients (src/node/train-pool.ts in Node). */
export interface GradientWorkers {
  /** worker threads, besides the caller */
  readonly count: number;
  shard(worker: number, job: ShardJob): Promise<ShardResult>;
  dispose(): void;
}
