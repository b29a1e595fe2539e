// Engine pools on Node's worker_threads: Engine.load(bytes, { threads }) from the 'lowbit' entry.
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { EnginePool, type PoolPort } from '../infer/pool.js';
import { Engine } from '../infer/engine.js';
import { initEngine } from './wasm-file.js';

// beside this module in dist/node/ (the bundled entry and tsc's output sit together); when the
// TypeScript sources run directly (the test runner), the built worker
const workerUrl = import.meta.url.endsWith('.ts') ? new URL('../../dist/node/pool-worker.js', import.meta.url) : new URL('./pool-worker.js', import.meta.url);

function spawn(): PoolPort {
  const w = new Worker(workerUrl);
  return {
    post: (m, transfer) => w.postMessage(m, transfer ?? []),
    onMessage: (h) => { w.removeAllListeners('message'); w.on('message', h); },
    onError: (h) => { w.removeAllListeners('error'); w.on('error', h); },
    terminate: () => { void w.terminate(); },
  };
}

export async function startNodePool(bytes: Uint8Array, threads: number | 'auto'): Promise<EnginePool> {
  const local = await Engine.load(bytes, { runtime: await initEngine() });
  return EnginePool.start(spawn, bytes, threads === 'auto' ? availableParallelism() : threads, local);
}
