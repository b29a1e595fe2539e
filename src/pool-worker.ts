// A worker of the web-standard engine pool (Deno, browsers): loads the model into its own wasm
// instance (fetched beside this module) and answers batches; src/infer/pool.ts has the protocol.
import { Engine, initEngine } from './infer/engine.js';
import { servePool } from './infer/pool.js';

interface WorkerScope { postMessage(m: unknown, transfer?: ArrayBuffer[]): void; onmessage: ((e: { data: unknown }) => void) | null }
const scope = globalThis as unknown as WorkerScope;
const handle = servePool(async (m) => Engine.load(m.model, { runtime: await initEngine() }), (m, transfer) => scope.postMessage(m, transfer ?? []));
scope.onmessage = (e) => { void handle(e.data); };
