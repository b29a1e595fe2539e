// Models of several inputs and outputs: a builder-made net with two image inputs and two heads
// compiles to a version-3 file whose integer plan gives, through Engine.runAll, what the
// fake-quantized model gives for both heads; the file round-trips and is checked like any other;
// logits(), pools and lowbit/engine refuse it by name.
import { describe, expect, it, beforeAll } from 'vitest';
import { readFile } from 'node:fs/promises';
import type { Lowbit } from '../src/node/index.js';
import { input, apply } from '../src/graph/graph.js';
import { Model } from '../src/graph/model.js';
import { Conv2d } from '../src/ops/conv2d.js';
import { Dense } from '../src/ops/dense.js';
import { QReLU } from '../src/ops/activations.js';
import { BatchNorm, Flatten } from '../src/ops/simple.js';
import { Concat } from '../src/ops/concat.js';
import { globalAvgPool } from '../src/ops/avgpool.js';
import { compile } from '../src/infer/compile.js';
import { Engine } from '../src/infer/engine.js';
import { decodeModel, encodeModel } from '../src/infer/format.js';
import { weightQuantizers } from '../src/quantize/weights.js';
import { LowbitError } from '../src/errors.js';
import { crc32 } from '../src/crc32.js';
import { rng } from './reference.js';
import { runtime } from './helpers.js';

let lb: Lowbit;
beforeAll(async () => { lb = await runtime(); });

/** Two inputs (8x8x1 and 8x8x3), two heads: 4 logits from both inputs, 3 from the first alone. */
function twoByTwo(): Model {
  const q4 = weightQuantizers.uniform(4), q8 = weightQuantizers.uniform(8);
  const x1 = input([8, 8, 1]), x2 = input([8, 8, 3]);
  const a = apply(new QReLU({ bits: 4 }), apply(new BatchNorm(), apply(new Conv2d(6, 3, { kernelQuantizer: q4 }), x1))); // 8x8x6 codes, read twice
  const b = apply(new QReLU({ bits: 4 }), apply(new BatchNorm(), apply(new Conv2d(5, 3, { kernelQuantizer: q8 }), x2)));
  const b2 = apply(new QReLU({ bits: 4 }), apply(new BatchNorm(), apply(new Conv2d(5, 3, { kernelQuantizer: weightQuantizers.binary() }), b))); // binary x 4-bit codes
  // window sums of codes of one scale (same bits, same initial clip, same window): the integer concat joins them
  const joined = apply(new Concat(), apply(globalAvgPool(), a), apply(globalAvgPool(), b2)); // 1x1x11 stream
  const y1 = apply(new Dense(4, { kernelQuantizer: q8 }), apply(new Flatten(), apply(new QReLU({ bits: 8 }), apply(new BatchNorm(), joined))));
  const y2 = apply(new Dense(3, { kernelQuantizer: q8 }), apply(new Flatten(), a));
  return new Model(lb.heap, { inputs: [x1, x2], outputs: [y1, y2] }, 3);
}

const pixels = (n: number, seed: number) => { const r = rng(seed); return Uint8Array.from({ length: n }, () => Math.floor(r() * 256)); };

describe('models of several inputs and outputs', () => {
  it('compile to a version-3 file that runAll runs as the fake-quantized model does, for both heads', async () => {
    const m = twoByTwo(), n = 300;
    const plan = compile(m, ['a', 'b', 'c', 'd']);
    expect(plan.inputs).toEqual([[8, 8, 1], [8, 8, 3]]);
    expect(plan.outputs).toHaveLength(2);
    const bytes = encodeModel(plan);
    expect(new DataView(bytes.buffer).getUint32(4, true)).toBe(3);
    expect(encodeModel(decodeModel(bytes))).toEqual(bytes);
    const engine = await Engine.load(bytes, { runtime: lb });
    expect(engine.inputShapes).toEqual([[8, 8, 1], [8, 8, 3]]);
    expect(engine.outputShapes).toEqual([[4], [3]]);
    const p1 = pixels(n * 64, 1), p2 = pixels(n * 192, 2);
    const [z1, z2] = engine.runAll([p1, p2], n);
    // the fake-quantized model on the same pixels (x / 255)
    const put = (p: Uint8Array) => { const f = Float32Array.from(p, (v) => v / 255), at = lb.heap.alloc(f.byteLength); lb.heap.write(at, f); return at; };
    const x1 = put(p1), x2 = put(p2);
    const [o1, o2] = m.forwardAll([x1, x2], n, false);
    const f1 = lb.heap.read(Float32Array, o1, n * 4), f2 = lb.heap.read(Float32Array, o2, n * 3);
    for (const [z, f, k] of [[z1, f1, 4], [z2, f2, 3]] as const) {
      expect(z).toHaveLength(n * k);
      const scale = Math.max(...f.map(Math.abs));
      let close = 0, same = 0;
      for (let i = 0; i < n; i++) {
        const row = (a: Float32Array) => Array.from(a.subarray(i * k, (i + 1) * k));
        const zi = row(z), fi = row(f);
        if (zi.every((v, j) => Math.abs(v - fi[j]) <= 1e-4 * scale)) close++;
        if (zi.indexOf(Math.max(...zi)) === fi.indexOf(Math.max(...fi))) same++;
      }
      // a float32 rounding in the training model moves a code across a threshold now and then
      // (untrained, quantized weights and pixels: many exact ties); measured 0.89 / 0.96 close, 1.0 same
      expect(close / n).toBeGreaterThanOrEqual(0.85);
      expect(same / n).toBeGreaterThanOrEqual(0.98);
    }
    // chunks: a batch larger than one pass gives the rows of smaller batches
    const big = engine.chunk + 3, q1 = pixels(big * 64, 3), q2 = pixels(big * 192, 4);
    const [w1] = engine.runAll([q1, q2], big), [v1] = engine.runAll([q1.subarray(64 * (big - 2)), q2.subarray(192 * (big - 2))], 2);
    expect(Array.from(w1.subarray(4 * (big - 2)))).toEqual(Array.from(v1));
    lb.heap.free(x1); lb.heap.free(x2);
    engine.dispose(); m.dispose();
  });

  it('are refused where they cannot run, with errors that say what to do', async () => {
    const m = twoByTwo(), bytes = encodeModel(compile(m, ['a', 'b', 'c', 'd']));
    m.dispose();
    const engine = await Engine.load(bytes, { runtime: lb });
    const code = (f: () => unknown) => { try { f(); } catch (e) { expect(e).toBeInstanceOf(LowbitError); return (e as Error).message; } return 'no error'; };
    expect(code(() => engine.logits(new Uint8Array(64), 1))).toMatch(/several inputs: use runAll\(\)/);
    expect(code(() => engine.runAll([new Uint8Array(64)], 1))).toMatch(/takes 2 input\(s\)/);
    expect(code(() => engine.runAll([new Uint8Array(64), new Uint8Array(191)], 1))).toMatch(/191 bytes but 1 image\(s\) of 8x8x3 need 192/);
    engine.dispose();
    await expect(Engine.load(bytes, { threads: 2 })).rejects.toThrow(/several inputs or outputs, run on one thread/);
    const lean = await import('../dist/node/engine.bundle.js' as string);
    await expect(lean.Engine.load(bytes)).rejects.toThrow(/several inputs or outputs: load it with the 'lowbit' entry/);
    // outputs that name an input, a value twice or one past the end; inputs that do not start with inputShape
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(16, 16 + new DataView(bytes.buffer).getUint32(8, true))));
    const edited = (h: Record<string, unknown>) => {
      const json = new TextEncoder().encode(JSON.stringify(h)), body = bytes.subarray(16 + new DataView(bytes.buffer).getUint32(8, true));
      // keep the sections where they are: pad the header with spaces to its old length
      const old = new DataView(bytes.buffer).getUint32(8, true);
      if (json.length > old) throw new Error('edited header too long');
      const out = new Uint8Array(bytes.length);
      out.set(bytes.subarray(0, 16)); out.set(json, 16); out.fill(32, 16 + json.length, 16 + old); out.set(body, 16 + old);
      new DataView(out.buffer).setUint32(12, crc32(out.subarray(16)), true);
      return out;
    };
    const [o1, o2] = header.outputs as number[];
    for (const [change, msg] of [
      [{ outputs: [0, o2] }, /outputs must name distinct values of nodes/],
      [{ outputs: [o1, o1] }, /outputs must name distinct values of nodes/],
      [{ outputs: [o1, header.graph.length + 2] }, /outputs must name distinct values of nodes/],
      [{ inputs: [[8, 8, 2], [8, 8, 3]] }, /inputs must start with inputShape/],
      [{ inputs: [[8, 8, 1]] }, /inputs must be an array of 2..16 shapes/],
    ] as [Record<string, unknown>, RegExp][]) {
      expect(code(() => decodeModel(edited({ ...header, ...change }))), JSON.stringify(change)).toMatch(msg);
    }
  });
});
