// A worker thread of the Node engine pool: loads the model into its own wasm instance (or builds its
// engine over the calling thread's shared memory, src/infer/shared-pool.ts) and answers
// batches (src/infer/pool.ts has the protocol).
import { parentPort } from 'node:worker_threads';
import { initEngine } from './wasm-file.js';
import { Engine } from '../infer/engine.js';
import { servePool } from '../infer/pool.js';
import { loadSharedEngine } from '../infer/shared-pool.js';

const port = parentPort!;
const handle = servePool(async (m) => m.shared ? loadSharedEngine(m as Required<typeof m>) : Engine.load(m.model, { runtime: await initEngine() }),
  (m, transfer) => port.postMessage(m, transfer ?? []));
port.on('message', (m) => { void handle(m); });
