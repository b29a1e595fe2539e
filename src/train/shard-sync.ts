// Sums across the shards of one data-parallel batch, for batch norm's statistics: every shard
// writes its per-channel vector into its own slot of a SharedArrayBuffer, waits at a barrier until
// all shards have written, and then adds the slots up in shard order, so every shard gets the same
// sum bit for bit, whatever the timing. Slots alternate between two banks by call parity: a shard
// may start writing call k + 1 while another still reads call k, never call k + 2 (it cannot pass
// the barrier of k + 1 before the slow one arrives there).
import { LowbitError } from '../errors.js';

const COUNT = 0, ABORT = 1, HEADER_INTS = 4;
/** How long a shard waits for the others before giving up (a thread that died without saying so). */
const TIMEOUT_MS = 120_000;

/** Bytes of a block for `shards` shards exchanging vectors of up to `length` floats. */
export function shardSyncBytes(shards: number, length: number): number { return 4 * (HEADER_INTS + 2 * shards * length); }

/** What one shard of a batch knows of the batch: its place, and the images of the shard and of the whole batch. */
export interface ShardSyncJob { block: SharedArrayBuffer; shard: number; shards: number; length: number; images: number; total: number }

export class ShardSync {
  private readonly ctl: Int32Array;
  private readonly data: Float32Array;
  private calls = 0;
  constructor(readonly job: ShardSyncJob) {
    this.ctl = new Int32Array(job.block, 0, HEADER_INTS);
    this.data = new Float32Array(job.block, 4 * HEADER_INTS, 2 * job.shards * job.length);
  }

  /** Make a block ready for a new batch (before any shard of it starts). */
  static reset(block: SharedArrayBuffer): void { new Int32Array(block, 0, HEADER_INTS).fill(0); }

  /** This shard's share of the batch's images. */
  get share(): number { return this.job.images / this.job.total; }

  /** The sum over all shards, in shard order, of each shard's `local` (every shard passes the same length). */
  sum(local: Float32Array): Float32Array {
    const { shard, shards, length } = this.job, n = local.length, bank = (this.calls & 1) * shards * length;
    if (n > length) throw new LowbitError('BAD_ARGUMENT', `shard sync: a vector of ${n} values does not fit slots of ${length}`);
    this.data.set(local, bank + shard * length);
    Atomics.add(this.ctl, COUNT, 1);
    Atomics.notify(this.ctl, COUNT);
    const target = shards * ++this.calls, start = Date.now();
    for (let k = 0, seen = 0; (seen = Atomics.load(this.ctl, COUNT)) < target;) {
      if (Atomics.load(this.ctl, ABORT)) throw new LowbitError('BAD_ARGUMENT', 'shard sync: another thread of this batch failed');
      if (++k > 10_000) {
        Atomics.wait(this.ctl, COUNT, seen, 50);
        if (Date.now() - start > TIMEOUT_MS) throw new LowbitError('BAD_ARGUMENT', `shard sync: the other threads of this batch did not arrive within ${TIMEOUT_MS / 1000} s`);
      }
    }
    const out = new Float32Array(n);
    for (let s = 0; s < shards; s++) {
      const at = bank + s * length;
      for (let i = 0; i < n; i++) out[i] += this.data[at + i];
    }
    return out;
  }

  /** Tell the other shards this one failed (they stop waiting and fail too). */
  abort(): void {
    Atomics.store(this.ctl, ABORT, 1);
    Atomics.notify(this.ctl, COUNT);
  }
}
