// lowbit -> QONNX -> import -> Engine: a trained model exported as QONNX (Quant / BipolarQuant and
// standard ops) runs, after importOnnx, to the same classes as the model compiled directly; the
// exported graph, run by the independent float64 evaluator, gives the fake-quantized model's classes.
import { describe, expect, it, beforeAll } from 'vitest';
import { type Lowbit, loadFashionMnist, SUBSET_DIR, Sequential, Trainer, buildLayers, compile, Engine, encodeModel, exportQonnx, importOnnxModel } from '../src/node/index.js';
import type { FashionMnist } from '../src/node/fashion-mnist.js';
import type { ArchOptions } from '../src/train/models.js';
import { loadReference, runReference } from './onnx-reference.js';
import { runtime, floatPredictions } from './helpers.js';
import { decodeOnnx } from '../src/onnx/decode.js';
import { quantizeOnnx } from '../src/onnx/ptq.js';

let lb: Lowbit;
let data: FashionMnist;
beforeAll(async () => { lb = await runtime(); data = await loadFashionMnist(SUBSET_DIR); });

const argmax = (v: ArrayLike<number>) => { let b = 0; for (let j = 1; j < v.length; j++) if (v[j] > v[b]) b = j; return b; };

describe('QONNX export round trip', () => {
  const ARCHS: ArchOptions[] = [{ arch: 'cnn', wbits: 1, abits: 4 }, { arch: 'cnn', wbits: 1, abits: 1 }, { arch: 'mlp', wbits: 2, abits: 2 }, { arch: 'mlp', wbits: 4, abits: 8 }];
  it.each(ARCHS)('%j: the imported QONNX predicts what the compiled model predicts, logits within float rounding', async (arch) => {
    const model = new Sequential(lb.heap, buildLayers(arch), [28, 28, 1], 3);
    const t = new Trainer(model, { epochs: 1, batch: 64, lr: 0.05, optimizer: 'bcgd', seed: 3 }, 640);
    t.runEpoch({ ...data.train, count: 640 });
    t.dispose();
    const direct = await Engine.load(encodeModel(compile(model, data.classes)), { runtime: lb });
    const qonnx = exportQonnx(model);
    const imp = importOnnxModel(qonnx);
    const viaOnnx = await Engine.load(imp.model, { runtime: lb });
    const n = 300, px = data.test.images.subarray(0, n * 784);
    const a = direct.logits(px, n), b = viaOnnx.run(Float32Array.from(px, (v) => v / 255), n);
    let same = 0, maxRel = 0;
    for (let i = 0; i < n; i++) {
      const za = a.subarray(i * 10, (i + 1) * 10), zb = b.subarray(i * 10, (i + 1) * 10), top = Math.max(...Array.from(za, Math.abs));
      same += argmax(za) === argmax(zb) ? 1 : 0;
      for (let j = 0; j < 10; j++) maxRel = Math.max(maxRel, Math.abs(za[j] - zb[j]) / top);
    }
    console.log(`${JSON.stringify(arch)}: ${same}/${n} classes equal, logits within ${maxRel.toExponential(2)} (relative); ${qonnx.length} B QONNX; float: ${imp.floatNodes.join('; ') || 'none'}`);
    expect(same).toBe(n);
    expect(maxRel).toBeLessThan(1e-5);
    // the exported graph, evaluated independently, classifies as the compiled model does
    const ref = loadReference(qonnx), k = 40;
    const out = runReference(ref, { dims: [k, 1, 28, 28], data: Float64Array.from(px.subarray(0, k * 784), (v) => v / 255) }).data;
    let agree = 0;
    for (let i = 0; i < k; i++) agree += argmax(out.subarray(i * 10, (i + 1) * 10)) === argmax(a.subarray(i * 10, (i + 1) * 10)) ? 1 : 0;
    expect(agree).toBe(k);
    direct.dispose(); viaOnnx.dispose(); model.dispose();
  }, 120_000);

  it.each([{ arch: 'cnn', wbits: 32, abits: 32 }, { arch: 'mlp', wbits: 32, abits: 32 }] as ArchOptions[])('%j: a float model exports as float ONNX (no quantizers) that the evaluator runs to its classes, and post-training quantization keeps them', async (arch) => {
    const model = new Sequential(lb.heap, buildLayers(arch), [28, 28, 1], 5);
    const t = new Trainer(model, { epochs: 1, batch: 64, lr: 0.05, optimizer: 'sgd', seed: 5 }, 640);
    t.runEpoch({ ...data.train, count: 640 });
    t.dispose();
    const onnx = exportQonnx(model), ops = decodeOnnx(onnx).graph.nodes.map((n) => n.op);
    expect(ops.filter((o) => /Quant/.test(o))).toEqual([]);
    expect(ops).toContain('Relu');
    const n = 300, test = { ...data.test, count: n }, want = floatPredictions(lb, model, test);
    const k = 40, out = runReference(loadReference(onnx), { dims: [k, 1, 28, 28], data: Float64Array.from(data.test.images.subarray(0, k * 784), (v) => v / 255) }).data;
    let agree = 0;
    for (let i = 0; i < k; i++) agree += argmax(out.subarray(i * 10, (i + 1) * 10)) === want[i] ? 1 : 0;
    expect(agree).toBe(k);
    const calib = Float32Array.from(data.train.images.subarray(0, 200 * 784), (v) => v / 255);
    const q = await quantizeOnnx(onnx, { calibration: calib, count: 200, wbits: 8, abits: 8, method: 'mse' }, lb);
    const e = await Engine.load(q.model, { runtime: lb }), z = e.run(Float32Array.from(data.test.images.subarray(0, n * 784), (v) => v / 255), n);
    let same = 0;
    for (let i = 0; i < n; i++) same += argmax(z.subarray(i * 10, (i + 1) * 10)) === want[i] ? 1 : 0;
    console.log(`${JSON.stringify(arch)}: PTQ 8/8 keeps ${same}/${n} float classes`);
    expect(same / n).toBeGreaterThanOrEqual(0.97);
    expect(q.summary.filter((l) => /float (conv|dense)/.test(l))).toEqual([]);
    e.dispose(); model.dispose();
  }, 120_000);
});
