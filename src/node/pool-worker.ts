// A worker thread of the Node engine pool: loads the model into its own wasm instance and answers
// batches (src/infer/pool.ts has the protocol).
import { parentPort } from 'node:worker_threads';
import { initEngine } from './wasm-file.js';
import { Engine } from '../infer/engine.js';
import { servePool } from '../infer/pool.js';

const port = parentPort!;
const handle = servePool(async (bytes) => Engine.load(bytes, { runtime: await initEngine() }), (m, transfer) => port.postMessage(m, transfer ?? []));
port.on('message', (m) => { void handle(m); });
