// Gradient workers for data-parallel training on Node's worker_threads (src/train/parallel.ts).
import { Worker } from 'node:worker_threads';
import { LowbitError } from '../errors.js';
import type { GraphJson } from '../graph/model.js';
import type { GradientWorkers, ShardJob, ShardResult } from '../train/parallel.js';

// beside this module in dist/node/; from the TypeScript sources (the test runner), the built one
const workerUrl = import.meta.url.endsWith('.ts') ? new URL('../../dist/node/train-worker.js', import.meta.url) : new URL('./train-worker.js', import.meta.url);

/** `threads - 1` workers, each with a replica of the model `graph` describes, built with `seed` (the caller is the first thread). */
export async function startGradientWorkers(graph: GraphJson, seed: number, threads: number): Promise<GradientWorkers> {
  const workers = Array.from({ length: threads - 1 }, () => new Worker(workerUrl));
  const pending = new Map<number, { resolve: (r: ShardResult) => void; reject: (e: unknown) => void }>();
  let nextId = 1;
  const fail = (e: unknown) => { for (const p of pending.values()) p.reject(e); pending.clear(); };
  try {
    await Promise.all(workers.map((w) => new Promise<void>((resolve, reject) => {
      w.once('message', (m: { type: string; message?: string }) => (m.type === 'ready' ? resolve() : reject(new Error(m.message))));
      w.once('error', reject);
      w.postMessage({ type: 'init', graph, seed });
    })));
  } catch (e) {
    for (const w of workers) void w.terminate();
    throw new LowbitError('BAD_ARGUMENT', `a training worker thread failed to start: ${(e as Error).message}`);
  }
  for (const w of workers) {
    w.on('message', (m: { type: string; id: number; message?: string; code?: string } & ShardResult) => {
      const job = pending.get(m.id);
      if (!job) return;
      pending.delete(m.id);
      if (m.type === 'result') job.resolve(m); else job.reject(new LowbitError((m.code ?? 'BAD_ARGUMENT') as never, m.message ?? 'a training worker failed'));
    });
    w.on('error', fail);
  }
  return {
    count: workers.length,
    shard(worker: number, job: ShardJob): Promise<ShardResult> {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        workers[worker].postMessage({ type: 'shard', id, ...job }, [job.images.buffer as ArrayBuffer, job.labels.buffer as ArrayBuffer]);
      });
    },
    dispose() { for (const w of workers) void w.terminate(); fail(new LowbitError('DISPOSED', 'the training workers were stopped')); },
  };
}
