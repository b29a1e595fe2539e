// Engine pools on Web Workers (Deno, browsers): module workers running dist/pool-worker.js, each
// with its own copy of the model, so no SharedArrayBuffer and no cross-origin isolation is needed.
// Hosts without a Worker constructor (Cloudflare Workers) are told so.
import { LowbitError } from './errors.js';
import { Engine, initEngine, type EngineLoadOptions, type PoolMemory } from './infer/engine.js';
import { EnginePool, checkPoolModel, type PoolPort } from './infer/pool.js';

interface WebWorker { postMessage(m: unknown, transfer?: ArrayBuffer[]): void; onmessage: ((e: { data: unknown }) => void) | null; onerror: ((e: unknown) => void) | null; terminate(): void }
type WorkerCtor = new (url: URL, options: { type: 'module' }) => WebWorker;

function spawnFrom(ctor: WorkerCtor, url: URL): () => PoolPort {
  return () => {
    const w = new ctor(url, { type: 'module' });
    return {
      post: (m, transfer) => w.postMessage(m, transfer ?? []),
      onMessage: (h) => { w.onmessage = (e) => h(e.data); },
      onError: (h) => { w.onerror = (e) => h((e as { message?: string })?.message ? new Error((e as { message: string }).message) : e); },
      terminate: () => w.terminate(),
    };
  };
}

export async function startWebPool(bytes: Uint8Array, options: EngineLoadOptions): Promise<EnginePool> {
  const threads = checkPoolModel(bytes, options), memory: PoolMemory = options.memory ?? 'replicated';
  if (memory !== 'replicated') throw new LowbitError('BAD_ARGUMENT', memory === 'shared' ? "Engine.load: memory 'shared' runs in Node (worker_threads); Deno and browsers use 'replicated'" : `Engine.load: memory must be 'replicated' or 'shared', got ${String(memory)}`);
  const ctor = (globalThis as unknown as { Worker?: WorkerCtor }).Worker;
  if (typeof ctor !== 'function') throw new LowbitError('BAD_ARGUMENT', 'this host has no Worker threads (Cloudflare Workers run one thread): load without threads');
  let url: URL;
  try { url = new URL('./pool-worker.js', import.meta.url); } catch { throw new LowbitError('BAD_ARGUMENT', 'this host gives modules no URL to start worker threads from: load without threads'); }
  const n = threads === 'auto' ? Math.max(1, (globalThis as unknown as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1) : threads;
  const local = await Engine.load(bytes, { runtime: await initEngine() });
  return EnginePool.start(spawnFrom(ctor, url), bytes, n, local);
}
