// ONNX's own backend node tests (test/models/onnx-backend, from the ONNX repository; Apache-2.0):
// one-node models with inputs and expected outputs. Every input but the first becomes an
// initializer, as weights are in real models; the first runs through engine.run. Integer outputs
// must be exact, QLinear outputs within one code, float outputs within 1e-4 of the largest.
import { describe, expect, it, beforeAll } from 'vitest';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Lowbit, Engine, LowbitError, decodeOnnx, decodeTensor, importOnnxGraph } from '../src/node/index.js';
import { runtime } from './helpers.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), 'models', 'onnx-backend');
const dirs = ['onnx-node', 'onnx-pt'].flatMap((d) => readdirSync(join(ROOT, d)).filter((t) => existsSync(join(ROOT, d, t, 'model.onnx'))).map((t) => join(d, t)));
const read = (p: string) => new Uint8Array(readFileSync(p));

/** What lowbit does not run, by test, with the reason (the importer refuses each with CANNOT_COMPILE). */
export const UNSUPPORTED: Record<string, RegExp> = {
  test_einsum_batch_matmul: /element type 11 is not supported/, // float64 input (and Einsum)
};

let lb: Lowbit;
beforeAll(async () => { lb = await runtime(); });

/** Run one backend test: the max error against the expected output, and the tolerance. */
export async function runBackendTest(dir: string): Promise<{ err: number; tol: number; n: number }> {
  const model = decodeOnnx(read(join(ROOT, dir, 'model.onnx'))), g = model.graph;
  const data = join(ROOT, dir, 'test_data_set_0');
  const inputs = readdirSync(data).filter((f) => f.startsWith('input_')).sort().map((f) => decodeTensor(read(join(data, f))));
  const expected = decodeTensor(read(join(data, 'output_0.pb')));
  const names = g.inputs.filter((v) => !g.initializers.has(v.name)).map((v) => v.name);
  names.slice(1).forEach((name, i) => g.initializers.set(name, { ...inputs[i + 1], name }));
  // the first input's leading dims are the batch where the rows of a matmul are independent (2-D
  // weights); otherwise the importer takes the whole tensor as one sample
  const x = inputs[0], info = g.inputs.find((v) => v.name === names[0])!;
  const matmul = /MatMul/.test(g.nodes[0].op), weights = inputs[g.nodes[0].op === 'QLinearMatMul' ? 3 : 1];
  if (matmul && x.dims.length > 2 && weights?.dims.length === 2) info.dims = [x.dims.slice(0, -1).reduce((a, b) => a * b, 1), x.dims.at(-1)!];
  else if (x.dims.length === 1 && !matmul) info.dims = [1, x.dims[0]]; // a vector: one sample
  else info.dims = [...x.dims];
  const eng = await Engine.load(importOnnxGraph(model).model, { runtime: lb });
  const count = x.data.length / eng.inputShape.reduce((a, b) => a * b, 1);
  expect(Number.isInteger(count)).toBe(true);
  const y = eng.run(Float32Array.from(x.data), count);
  eng.dispose();
  expect(y.length).toBe(expected.data.length);
  let err = 0, top = 0;
  for (let i = 0; i < y.length; i++) { err = Math.max(err, Math.abs(y[i] - expected.data[i])); top = Math.max(top, Math.abs(expected.data[i])); }
  const integer = expected.dtype !== 1 && expected.dtype !== 10 && expected.dtype !== 11;
  const qlinear = /QLinear|QuantizeLinear/.test(g.nodes[0].op);
  return { err, tol: !integer ? 1e-4 * Math.max(1, top) : qlinear ? 1 : 0, n: y.length };
}

describe('ONNX backend node tests', () => {
  for (const dir of dirs) {
    const name = dir.split('/')[1];
    it(name, async () => {
      let r: Awaited<ReturnType<typeof runBackendTest>> | undefined;
      try { r = await runBackendTest(dir); } catch (e) {
        if (e instanceof LowbitError && UNSUPPORTED[name]?.test(e.message)) return;
        throw e;
      }
      expect(UNSUPPORTED[name], `${name} now runs: take it off the unsupported list`).toBeUndefined();
      expect(r.err, `max error over ${r.n} outputs`).toBeLessThanOrEqual(r.tol);
    });
  }
});
