// A worker thread of data-parallel training: a replica of the model (built from the same graph
// and seed) that computes one shard's gradients per message.
import { parentPort } from 'node:worker_threads';
import { init } from './wasm-file.js';
import { Batcher, batchGradients } from '../train/sequential.js';
import { modelFromJson, type GraphJson, type Model } from '../graph/model.js';
import { Slot } from '../ops/layer.js';
import { withShardSync, type ShardJob } from '../train/parallel.js';
import { BatchNorm } from '../ops/simple.js';

const port = parentPort!;
let model: Model | undefined;
port.on('message', async (m: { type: 'init'; graph: GraphJson; seed: number } | ({ type: 'shard'; id: number } & ShardJob)) => {
  try {
    if (m.type === 'init') {
      const lb = await init();
      model = modelFromJson(lb.heap, m.graph, m.seed);
      port.postMessage({ type: 'ready' });
      return;
    }
    const md = model!, heap = md.heap, ps = md.params(), bufs = md.layers.flatMap((l) => l.buffers?.() ?? []);
    ps.forEach((p, i) => { heap.write(p.quant ? p.quant.wq : p.w, m.forward[i]); if (m.floats[i]) heap.write(p.w, m.floats[i]!); });
    bufs.forEach((b, i) => b.data.set(m.running[i]));
    const batcher = new Batcher(heap, { images: m.images, labels: m.labels, count: m.count, height: md.inShape[0], width: md.inShape[1] }), grad = new Slot(heap);
    try {
      const norms = md.layers.filter((l): l is BatchNorm => l instanceof BatchNorm);
      const { loss, hits } = withShardSync(norms, m.sync, () => batchGradients(md, batcher, Uint32Array.from({ length: m.count }, (_, i) => i), 0, m.count, grad));
      ps.forEach((p, i) => heap.read(Float32Array, p.g, p.size, m.grads[i]));
      const running = bufs.map((b) => b.data.slice());
      port.postMessage({ type: 'result', id: m.id, running, loss, hits }, running.map((a) => a.buffer as ArrayBuffer));
    } finally {
      batcher.dispose();
      grad.free();
    }
  } catch (e) {
    port.postMessage({ type: 'error', id: (m as { id?: number }).id, message: (e as Error).message, code: (e as { code?: string }).code ?? 'BAD_ARGUMENT' });
  }
});
