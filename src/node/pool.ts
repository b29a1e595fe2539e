// Engine pools on Node's worker_threads: Engine.load(bytes, { threads }) from the 'lowbit' entry.
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { EnginePool, checkPoolModel, type PoolPort } from '../infer/pool.js';
import { readFile } from 'node:fs/promises';
import { LowbitError } from '../errors.js';
import { Engine, type EngineLoadOptions, type PoolMemory } from '../infer/engine.js';
import { startSharedPool } from '../infer/shared-pool.js';
import { initEngine, sharedWasmUrl } from './wasm-file.js';

// beside this module in dist/node/ (the bundled entry and tsc's output sit together); when the
// TypeScript sources run directly (the test runner), the built worker
const workerUrl = import.meta.url.endsWith('.ts') ? new URL('../../dist/node/pool-worker.js', import.meta.url) : new URL('./pool-worker.js', import.meta.url);

/** A worker thread running dist/node/pool-worker.js. */
export function spawnNodeWorker(): PoolPort {
  const w = new Worker(workerUrl);
  return {
    post: (m, transfer) => w.postMessage(m, transfer ?? []),
    onMessage: (h) => { w.removeAllListeners('message'); w.on('message', h); },
    onError: (h) => { w.removeAllListeners('error'); w.on('error', h); },
    terminate: () => { void w.terminate(); },
  };
}

export async function startNodePool(bytes: Uint8Array, options: EngineLoadOptions): Promise<EnginePool> {
  const threads = checkPoolModel(bytes, options), memory: PoolMemory = options.memory ?? 'replicated';
  const n = threads === 'auto' ? availableParallelism() : threads;
  if (memory !== 'shared' && memory !== 'replicated') throw new LowbitError('BAD_ARGUMENT', `Engine.load: memory must be 'replicated' or 'shared', got ${String(memory)}`);
  if (memory === 'shared') {
    // Engine.load has refused a bad file already, before any thread or memory is made
    return startSharedPool(spawnNodeWorker, await WebAssembly.compile(await readFile(sharedWasmUrl())), bytes, n);
  }
  const local = await Engine.load(bytes, { runtime: await initEngine() });
  return EnginePool.start(spawnNodeWorker, bytes, n, local);
}
