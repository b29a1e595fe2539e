// Bad ONNX input: corrupt files, unsupported ops and attributes, and 10,000 random corruptions of a
// real model. Each gives a LowbitError naming what is wrong (BAD_MODEL for a broken file,
// CANNOT_COMPILE naming the node, op and attribute that cannot run), or a model that loads and
// runs; never another exception, never a hang.
import { describe, expect, it, beforeAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Lowbit, Engine, LowbitError, importOnnx } from '../src/node/index.js';
import { onnxModel, DT } from '../bench/onnx.mjs';
import { runtime } from './helpers.js';

const MODELS = join(dirname(fileURLToPath(import.meta.url)), 'models', 'onnx');
const jet = new Uint8Array(readFileSync(join(MODELS, 'qkeras_jettagging.onnx')));
let lb: Lowbit;
beforeAll(async () => { lb = await runtime(); });

const code = (f: () => unknown): string => { try { f(); return 'ok'; } catch (e) { if (!(e instanceof LowbitError)) throw e; return `${e.code}: ${e.message}`; } };

/** A one-node float model around `node` on input x [1, 4, 6, 6]. */
function oneNode(node: { op: string; inputs: string[]; attrs?: Record<string, unknown> }, extra: { name: string; type: number; dims: number[]; data: Float32Array }[] = []) {
  return onnxModel({ nodes: [{ ...node, outputs: ['y'] }], inputs: [{ name: 'x', type: DT.FLOAT, dims: [1, 4, 6, 6] }], outputs: [{ name: 'y', type: DT.FLOAT, dims: [1, 4, 6, 6] }], initializers: extra });
}

/** input [1, 16] -> Quant 8-bit -> MatMul (4-bit Quant weights) -> BatchNorm -> Relu -> Quant 4-bit -> Gemm (bipolar weights) -> Softmax */
function smallQonnx(): Uint8Array {
  const f = (name: string, dims: number[], fn: (i: number) => number) => ({ name, type: DT.FLOAT, dims, data: Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, (_, i) => fn(i)) });
  const Q = 'qonnx.custom_op.general';
  return onnxModel({
    nodes: [
      { op: 'Quant', domain: Q, inputs: ['x', 'si', 'z', 'b8'], outputs: ['xq'], attrs: { signed: 1, narrow: 1, rounding_mode: 'ROUND' } },
      { op: 'Quant', domain: Q, inputs: ['w1', 'sw', 'z', 'b4'], outputs: ['w1q'], attrs: { signed: 1, narrow: 1, rounding_mode: 'ROUND' } },
      { op: 'MatMul', inputs: ['xq', 'w1q'], outputs: ['h'] },
      { op: 'BatchNormalization', inputs: ['h', 'g', 'be', 'mu', 'va'], outputs: ['hb'], attrs: { epsilon: 0.001 } },
      { op: 'Relu', inputs: ['hb'], outputs: ['hr'] },
      { op: 'Quant', domain: Q, inputs: ['hr', 'sa', 'z', 'b4'], outputs: ['hq'], attrs: { signed: 0, narrow: 0, rounding_mode: 'HALF_UP' } },
      { op: 'BipolarQuant', domain: Q, inputs: ['w2', 'one'], outputs: ['w2q'] },
      { op: 'Gemm', inputs: ['hq', 'w2q', 'b2'], outputs: ['o'], attrs: { transB: 1 } },
      { op: 'Softmax', inputs: ['o'], outputs: ['y'], attrs: { axis: 1 } },
    ],
    inputs: [{ name: 'x', type: DT.FLOAT, dims: [1, 16] }], outputs: [{ name: 'y', type: DT.FLOAT, dims: [1, 4] }],
    initializers: [
      f('si', [], () => 0.05), f('z', [], () => 0), f('b8', [], () => 8), f('b4', [], () => 4), f('sw', [1, 8], (i) => 0.1 + i / 50), f('sa', [], () => 0.3), f('one', [], () => 1),
      f('w1', [16, 8], (i) => Math.sin(i * 1.7)), f('g', [8], (i) => (i % 3 ? 1 : -0.5)), f('be', [8], (i) => i / 10), f('mu', [8], () => 0.1), f('va', [8], () => 2),
      f('w2', [4, 8], (i) => Math.cos(i * 2.3)), f('b2', [4], (i) => i / 4),
    ],
  });
}

describe('ONNX import: bad input', () => {
  it('an empty file, random bytes, a truncated model and a lowbit file are BAD_MODEL', () => {
    expect(code(() => importOnnx(new Uint8Array(0)))).toMatch(/^BAD_MODEL: the ONNX file is empty/);
    expect(code(() => importOnnx(Uint8Array.from({ length: 300 }, (_, i) => (i * 97 + 13) & 255)))).toMatch(/^BAD_MODEL/);
    expect(code(() => importOnnx(jet.subarray(0, jet.length - 1000)))).toMatch(/^BAD_MODEL: .*(past the end|no graph)/);
    expect(code(() => importOnnx(new TextEncoder().encode('LBM\0 not onnx')))).toMatch(/^BAD_MODEL: this is a lowbit model file/);
    expect(code(() => importOnnx('x' as unknown as Uint8Array))).toMatch(/^BAD_ARGUMENT/);
  });

  it('an op lowbit cannot run names the node and the op; an attribute names the attribute', () => {
    expect(code(() => importOnnx(oneNode({ op: 'LSTM', inputs: ['x'] })))).toMatch(/^CANNOT_COMPILE: node n0 \(LSTM\): the op LSTM is not supported/);
    const w = { name: 'w', type: DT.FLOAT, dims: [4, 4, 3, 3], data: new Float32Array(144).fill(0.1) };
    expect(code(() => importOnnx(oneNode({ op: 'Conv', inputs: ['x', 'w'], attrs: { auto_pad: 'SAME_MIDDLE' } }, [w])))).toMatch(/^CANNOT_COMPILE: node n0 \(Conv\): auto_pad SAME_MIDDLE is not supported/);
    expect(code(() => importOnnx(oneNode({ op: 'Conv', inputs: ['x', 'w'], attrs: { dilations: [0, 1] } }, [w])))).toMatch(/^CANNOT_COMPILE: node n0 \(Conv\): dilations \[0, 1\] must be two values in 1\.\.64/);
    expect(code(() => importOnnx(oneNode({ op: 'Quant', inputs: ['x', 's', 'z', 'b'], attrs: { rounding_mode: 'STOCHASTIC' } }, [
      { name: 's', type: DT.FLOAT, dims: [], data: Float32Array.of(0.1) }, { name: 'z', type: DT.FLOAT, dims: [], data: Float32Array.of(0) }, { name: 'b', type: DT.FLOAT, dims: [], data: Float32Array.of(4) }])))).toMatch(/^CANNOT_COMPILE: .*(domain|rounding_mode)/);
  });

  it('engine.run on an imported model: NaN named by its index in the caller\'s layout, wrong lengths and types refused', async () => {
    const eng = await Engine.load(importOnnx(new Uint8Array(readFileSync(join(MODELS, 'residual_block_clean.onnx')))), { runtime: lb });
    const x = new Float32Array(2 * 40000);
    x[40000 + 123] = NaN;
    expect(code(() => eng.run(x, 2))).toBe('BAD_ARGUMENT: Engine.run: input value 40123 is NaN');
    expect(code(() => eng.run(new Float32Array(5), 1))).toMatch(/^BAD_SHAPE: input has 5 values but 1 sample\(s\) of 1x200x200 need 40000/);
    expect(code(() => eng.run(new Uint8Array(40000), 1))).toMatch(/^BAD_ARGUMENT: run takes a Float32Array/);
    expect(code(() => eng.logits(new Uint8Array(40000), 1))).toMatch(/^BAD_ARGUMENT: an imported model: use run\(\)/);
    eng.dispose();
  });

  it('a cycle and a missing input are BAD_MODEL', () => {
    const cyc = onnxModel({ nodes: [{ op: 'Relu', inputs: ['b'], outputs: ['a'] }, { op: 'Relu', inputs: ['a'], outputs: ['b'] }, { op: 'Relu', inputs: ['x'], outputs: ['y'] }],
      inputs: [{ name: 'x', type: DT.FLOAT, dims: [1, 4] }], outputs: [{ name: 'y', type: DT.FLOAT, dims: [1, 4] }] });
    expect(code(() => importOnnx(cyc))).toMatch(/^BAD_MODEL: the graph has a cycle/);
    const missing = onnxModel({ nodes: [{ op: 'Add', inputs: ['x', 'nowhere'], outputs: ['y'] }], inputs: [{ name: 'x', type: DT.FLOAT, dims: [1, 4] }], outputs: [{ name: 'y', type: DT.FLOAT, dims: [1, 4] }] });
    expect(code(() => importOnnx(missing))).toMatch(/^BAD_MODEL: node .* reads "nowhere", which no node, input or initializer provides/);
  });

  /** n corruptions of `source`: each a LowbitError or a model that loads and runs. */
  async function fuzz(source: Uint8Array, n: number, seed: number) {
    const rand = (n: number) => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed % n; };
    const outcomes = new Map<string, number>();
    let ran = 0, slowest = 0;
    for (let i = 0; i < n; i++) {
      const b = new Uint8Array(source);
      const kind = i % 4;
      if (kind === 0) for (let k = 0, n = 1 + rand(8); k < n; k++) b[rand(b.length)] = rand(256);
      else if (kind === 1) b[rand(b.length)] ^= 1 << rand(8);
      else if (kind === 2) { const at = rand(b.length); b.set(Uint8Array.from({ length: 8 }, () => rand(256)).subarray(0, Math.min(8, b.length - at)), at); }
      const bytes = kind === 3 ? b.subarray(0, rand(b.length)) : b;
      const t0 = performance.now();
      let model: Uint8Array | undefined;
      try { model = importOnnx(bytes); } catch (e) {
        if (!(e instanceof LowbitError)) throw new Error(`corruption ${i} (kind ${kind}) threw ${String(e)}`);
        outcomes.set(e.code, (outcomes.get(e.code) ?? 0) + 1);
      }
      if (model) {
        try {
          const eng = await Engine.load(model, { runtime: lb });
          const per = eng.inputShape.reduce((a, x) => a * x, 1);
          const y = eng.run(new Float32Array(per).fill(0.5), 1);
          expect(y.length).toBe(eng.outputShape.reduce((a, x) => a * x, 1));
          eng.dispose();
          ran++;
        } catch (e) {
          if (!(e instanceof LowbitError)) throw new Error(`corruption ${i}: the imported model failed with ${String(e)}`);
          outcomes.set(`load ${e.code}`, (outcomes.get(`load ${e.code}`) ?? 0) + 1);
        }
      }
      slowest = Math.max(slowest, performance.now() - t0);
    }
    console.log(`${n} corruptions: ${ran} imported and ran; errors ${JSON.stringify(Object.fromEntries(outcomes))}; slowest ${slowest.toFixed(0)} ms`);
    expect(slowest).toBeLessThan(1000);
    expect(ran).toBeGreaterThan(n / 100);
  }

  it('10,000 random corruptions of a small QONNX MLP (every quantizer kind, batch norm, Gemm, softmax): no other exception, no hang', async () => {
    await fuzz(smallQonnx(), 10000, 12345);
  }, 300_000);

  it('500 random corruptions of a real QONNX model (the QKeras jet tagger)', async () => {
    await fuzz(jet, 500, 777);
  }, 300_000);
});
