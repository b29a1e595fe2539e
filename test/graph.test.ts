// The graph: the functional builder, autodiff with fan-out, the ops beyond a chain (add, concat,
// average pooling, strided / grouped / asymmetric convs, dropout, reshape), JSON round trips,
// checkpoints of builder-made models, and what compile refuses.
import { describe, expect, it, beforeAll } from 'vitest';
import { type Lowbit, loadFashionMnist, SUBSET_DIR } from '../src/node/index.js';
import { input, apply } from '../src/graph/graph.js';
import { Model, modelFromJson, type GraphJson } from '../src/graph/model.js';
import { Conv2d } from '../src/ops/conv2d.js';
import { Dense } from '../src/ops/dense.js';
import { ReLU, Sign } from '../src/ops/activations.js';
import { BatchNorm, Flatten } from '../src/ops/simple.js';
import { Add } from '../src/ops/add.js';
import { Concat } from '../src/ops/concat.js';
import { AvgPool, globalAvgPool } from '../src/ops/avgpool.js';
import { Dropout } from '../src/ops/dropout.js';
import { Reshape } from '../src/ops/reshape.js';
import { Shift } from '../src/ops/shift.js';
import { PReLU } from '../src/ops/prelu.js';
import { Trainer } from '../src/train/trainer.js';
import { Sequential } from '../src/train/sequential.js';
import { decodeCheckpoint, encodeCheckpoint, restoreCheckpoint } from '../src/train/checkpoint.js';
import { compile } from '../src/infer/compile.js';
import { Engine } from '../src/infer/engine.js';
import { encodeModel } from '../src/infer/format.js';
import { QReLU } from '../src/ops/activations.js';
import { weightQuantizers } from '../src/quantize/weights.js';
import { LowbitError } from '../src/errors.js';
import { rng, randomFloats } from './reference.js';
import { runtime, expectGradientsMatch, floatPredictions } from './helpers.js';

let lb: Lowbit;
beforeAll(async () => { lb = await runtime(); });
const f32 = (p: number, n: number) => lb.heap.read(Float32Array, p, n);
const put = (a: Float32Array) => { const p = lb.heap.alloc(a.byteLength + 16); lb.heap.write(p, a); return p; };

/** Every op beyond a chain in one net: fan-out, residual add, depthwise / strided / asymmetric convs, avg pooling, concat. */
function branchy(q = weightQuantizers.float()) {
  const x = input([12, 12, 3]);
  let a = apply(new Conv2d(8, 3), x);
  a = apply(new ReLU(), apply(new BatchNorm(), a));
  const b = apply(new Conv2d(8, 3, { groups: 8, kernelQuantizer: q }), a); // depthwise, a fans out
  const s = apply(new Add(), a, b);
  const d = apply(new Conv2d(6, [3, 2], { strides: 2, padding: [1, 0, 1, 0], groups: 2, kernelQuantizer: q }), s); // [6, 6, 6]
  const p = apply(new AvgPool({ pool: 2 }), s); // [6, 6, 8]
  const c = apply(new Concat(), d, p); // [6, 6, 14]
  const g = apply(globalAvgPool(), c);
  const y = apply(new Dense(5), apply(new Concat(), g, apply(new Flatten(), apply(new AvgPool({ pool: [3, 2], strides: [3, 3] }), p))));
  return { x, y };
}

describe('graph models', () => {
  it('works out shapes, orders nodes and turns off the input gradient of the first weighted layer', () => {
    const { x, y } = branchy();
    const m = new Model(lb.heap, { inputs: [x], outputs: [y] }, 3);
    expect(m.outShape).toEqual([5]);
    const names = m.layers.map((l) => l.op);
    expect(names).toEqual(['conv2d', 'batchnorm', 'relu', 'conv2d', 'add', 'conv2d', 'avgpool', 'concat', 'avgpool', 'avgpool', 'flatten', 'concat', 'dense']);
    expect(m.shapes.at(-2)).toEqual([14 + 32]); // 14 channels pooled globally, 2x2x8 flattened
    expect((m.layers[0] as Conv2d).inputGrad).toBe(false);
    expect((m.layers[3] as Conv2d).inputGrad).toBe(true);
    m.dispose();
  });

  it('backward matches finite differences through fan-out, add, concat, avg pooling and grouped / strided convs', () => {
    for (const q of [weightQuantizers.float(), weightQuantizers.uniform(4)]) {
      const { x, y } = branchy(q);
      const m = new Model(lb.heap, { inputs: [x], outputs: [y] }, 5);
      const checked = expectGradientsMatch(lb, m, [12, 12, 3], 9, 12, (p) => (p.quant ? p.quant.wq : p.w));
      expect(checked).toBeGreaterThan(80);
      m.dispose();
    }
  });

  it('Shift and PReLU (ReActNet RSign / RPReLU): backward matches finite differences', () => {
    const x = input([5, 4, 6]);
    const h = apply(new Conv2d(6, 3), x);
    const y = apply(new Dense(4), apply(new Flatten(), apply(new Shift(), apply(new PReLU(-0.3), apply(new Shift(), apply(new BatchNorm(), h))))));
    const m = new Model(lb.heap, { inputs: [x], outputs: [y] }, 2);
    expect(expectGradientsMatch(lb, m, [5, 4, 6], 4, 10, (p) => p.w)).toBeGreaterThan(40);
    expect(m.params().map((p) => p.name)).toEqual(expect.arrayContaining(['shift.b', 'prelu.a']));
    m.dispose();
  });

  it('a model with two outputs sums the gradients of both', () => {
    const x = input([6]);
    const h = apply(new Dense(4), x);
    const y1 = apply(new Dense(3), h), y2 = apply(new Dense(3), apply(new ReLU(), h));
    const m = new Model(lb.heap, { inputs: [x], outputs: [y1, y2] }, 1);
    const xs = put(randomFloats(12, rng(2))), d1 = put(randomFloats(6, rng(3))), d2 = put(randomFloats(6, rng(4)));
    const loss = () => { const [o1, o2] = m.forwardAll([xs], 2, true); const a = f32(o1, 6), b = f32(o2, 6), g1 = f32(d1, 6), g2 = f32(d2, 6); let s = 0; for (let i = 0; i < 6; i++) s += a[i] * g1[i] + b[i] * g2[i]; return s; };
    loss();
    m.backwardAll([d1, d2], 2);
    const w = m.params()[0], grad = f32(w.g, w.size), w0 = f32(w.w, w.size);
    for (const j of [0, 5, 11, 23]) {
      const at = (v: number) => { const ww = w0.slice(); ww[j] = v; lb.heap.write(w.w, ww); return loss(); };
      const num = (at(w0[j] + 1e-2) - at(w0[j] - 1e-2)) / 2e-2;
      expect(Math.abs(grad[j] - num), `w[${j}]`).toBeLessThan(1e-2 * (1 + Math.abs(num)));
    }
    lb.heap.write(w.w, w0);
    m.dispose();
  });

  it('refuses graphs it cannot build, naming what is wrong', () => {
    const x = input([4, 4, 2]), other = input([4, 4, 2]);
    const code = (f: () => unknown) => { try { f(); } catch (e) { expect(e).toBeInstanceOf(LowbitError); return (e as LowbitError).message; } return 'no error'; };
    expect(code(() => apply(new Add(), x))).toMatch(/two or more inputs/);
    expect(code(() => apply(new ReLU(), x, x))).toMatch(/one input/);
    expect(code(() => new Model(lb.heap, { inputs: [x], outputs: [apply(new Add(), x, other)] }))).toMatch(/not in the model's inputs/);
    expect(code(() => new Model(lb.heap, { inputs: [x], outputs: [apply(new Add(), x, apply(new Conv2d(3, 1), x))] }))).toMatch(/one shape/);
    expect(code(() => new Model(lb.heap, { inputs: [x], outputs: [apply(new Concat(), x, apply(new Flatten(), x))] }))).toMatch(/last axis/);
    const shared = new ReLU();
    expect(code(() => new Model(lb.heap, { inputs: [x], outputs: [apply(shared, apply(shared, x))] }))).toMatch(/applied twice/);
    expect(code(() => new Conv2d(4, 3, { groups: 3 }))).toMatch(/dividing filters/);
    expect(code(() => new Model(lb.heap, { inputs: [x], outputs: [apply(new Conv2d(4, 3, { groups: 4 }), x)] }))).toMatch(/do not split into 4 groups/);
    expect(code(() => new Conv2d(4, 3, { padding: [1, 1, 1] as never }))).toMatch(/top, bottom, left, right/);
    expect(code(() => new Model(lb.heap, { inputs: [x], outputs: [apply(new Reshape([3, -1]), x)] }))).toMatch(/cannot hold/);
  });
});

describe('op kernels against plain references', () => {
  it('grouped, strided, asymmetric-padded conv forward matches a direct loop', () => {
    const cases = [
      { h: 7, w: 6, c: 4, f: 6, kh: 3, kw: 2, sh: 2, sw: 1, pads: [1, 0, 0, 1] as [number, number, number, number], groups: 2 },
      { h: 5, w: 5, c: 6, f: 6, kh: 3, kw: 3, sh: 1, sw: 1, pads: [1, 1, 1, 1] as [number, number, number, number], groups: 6 },
      { h: 9, w: 4, c: 3, f: 5, kh: 1, kw: 3, sh: 3, sw: 2, pads: [0, 2, 2, 0] as [number, number, number, number], groups: 1 },
    ];
    for (const s of cases) {
      const n = 2, conv = new Conv2d(s.f, [s.kh, s.kw], { strides: [s.sh, s.sw], padding: s.pads, groups: s.groups });
      const [oh, ow] = conv.build(lb.heap, [s.h, s.w, s.c], 4);
      const x = randomFloats(n * s.h * s.w * s.c, rng(s.h)), px = put(x);
      const [wp, bp] = conv.params(), w = f32(wp.w, wp.size), bias = randomFloats(s.f, rng(9));
      lb.heap.write(bp.w, bias);
      const y = f32(conv.forward(px, n), n * oh * ow * s.f);
      const cg = s.c / s.groups, fg = s.f / s.groups;
      expect(oh).toBe(Math.floor((s.h + s.pads[0] + s.pads[1] - s.kh) / s.sh) + 1);
      for (let b = 0; b < n; b++) for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) for (let f = 0; f < s.f; f++) {
        let acc = bias[f];
        const g = Math.floor(f / fg);
        for (let ky = 0; ky < s.kh; ky++) for (let kx = 0; kx < s.kw; kx++) {
          const iy = oy * s.sh - s.pads[0] + ky, ix = ox * s.sw - s.pads[2] + kx;
          if (iy < 0 || iy >= s.h || ix < 0 || ix >= s.w) continue;
          for (let ch = 0; ch < cg; ch++) acc += x[((b * s.h + iy) * s.w + ix) * s.c + g * cg + ch] * w[((f * s.kh + ky) * s.kw + kx) * cg + ch];
        }
        const got = y[((b * oh + oy) * ow + ox) * s.f + f];
        expect(Math.abs(got - acc), `${JSON.stringify(s)} at ${b},${oy},${ox},${f}`).toBeLessThan(1e-4 * (1 + Math.abs(acc)));
      }
      conv.dispose(); lb.heap.free(px);
    }
  });

  it('average pooling, concat and add match plain loops; odd channel counts', () => {
    const n = 2, h = 7, w = 5, c = 7, x = randomFloats(n * h * w * c, rng(1)), px = put(x);
    const pool = new AvgPool({ pool: [3, 2], strides: [2, 2] });
    const [oh, ow] = pool.build(lb.heap, [h, w, c]);
    const y = f32(pool.forward(px, n), n * oh * ow * c);
    for (let b = 0; b < n; b++) for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) for (let ch = 0; ch < c; ch++) {
      let s = 0;
      for (let ky = 0; ky < 3; ky++) for (let kx = 0; kx < 2; kx++) s += x[((b * h + oy * 2 + ky) * w + ox * 2 + kx) * c + ch];
      expect(y[((b * oh + oy) * ow + ox) * c + ch]).toBeCloseTo(s / 6, 5);
    }
    const cat = new Concat(), x2 = randomFloats(n * h * w * 3, rng(2)), px2 = put(x2);
    cat.build(lb.heap, [[h, w, c], [h, w, 3]]);
    const z = f32(cat.forward([px, px2], n), n * h * w * 10);
    for (let r = 0; r < n * h * w; r++) {
      expect(Array.from(z.subarray(r * 10, r * 10 + 7))).toEqual(Array.from(x.subarray(r * c, r * c + 7)));
      expect(Array.from(z.subarray(r * 10 + 7, r * 10 + 10))).toEqual(Array.from(x2.subarray(r * 3, r * 3 + 3)));
    }
    const sum = new Add();
    sum.build(lb.heap, [[h, w, c], [h, w, c], [h, w, c]]);
    const s3 = f32(sum.forward([px, px, px], n), x.length);
    s3.forEach((v, i) => expect(v).toBeCloseTo(3 * x[i], 5));
    for (const l of [pool, cat, sum]) l.dispose();
    lb.heap.free(px); lb.heap.free(px2);
  });

  it('dropout zeroes about `rate` of the values, scales the rest, passes gradients through the same mask, and is the identity at inference', () => {
    const n = 4000, d = new Dropout(0.3);
    d.build(lb.heap, [n], 11);
    const x = randomFloats(n, rng(5)), px = put(x);
    const y = f32(d.forward(px, 1, true), n);
    const zeros = y.filter((v) => v === 0).length;
    expect(Math.abs(zeros / n - 0.3)).toBeLessThan(0.03);
    y.forEach((v, i) => { if (v !== 0) expect(v).toBeCloseTo(x[i] / 0.7, 5); });
    const dy = randomFloats(n, rng(6)), pdy = put(dy), dx = f32(d.backward(pdy, 1), n);
    dx.forEach((v, i) => expect(v).toBeCloseTo(y[i] === 0 ? 0 : dy[i] / 0.7, 5));
    const y2 = f32(d.forward(px, 1, true), n);
    expect(y2).not.toEqual(y); // a new mask per call
    expect(d.forward(px, 1, false)).toBe(px);
    d.dispose(); lb.heap.free(px); lb.heap.free(pdy);
  });
});

describe('graph JSON and checkpoints', () => {
  it('toJSON / modelFromJson rebuild the same model, and the same outputs for the same weights', () => {
    const { x, y } = branchy(weightQuantizers.binary({ perChannel: true }));
    const a = new Model(lb.heap, { inputs: [x], outputs: [y] }, 4);
    const json = JSON.parse(JSON.stringify(a.toJSON())) as GraphJson;
    const b = modelFromJson(lb.heap, json, 4);
    expect(b.toJSON()).toEqual(json);
    expect(b.layers.map((l) => l.name)).toEqual(a.layers.map((l) => l.name));
    const px = put(randomFloats(2 * 12 * 12 * 3, rng(3)));
    expect(f32(b.forward(px, 2, false), 10)).toEqual(f32(a.forward(px, 2, false), 10)); // same seed, same init
    a.dispose(); b.dispose(); lb.heap.free(px);
  });

  it('modelFromJson refuses corrupt graphs with BAD_MODEL naming the node', () => {
    const { x, y } = branchy();
    const m = new Model(lb.heap, { inputs: [x], outputs: [y] }, 4);
    const good = m.toJSON();
    m.dispose();
    const variants: [string, (j: GraphJson) => void, RegExp][] = [
      ['cycle', (j) => { j.nodes[2].inputs = [5]; }, /node 2 must read 1 to 64 earlier values/],
      ['unknown op', (j) => { j.nodes[1].op = 'softmax2'; }, /node 1 .*unknown op "softmax2"/],
      ['bad config', (j) => { j.nodes[0].config.filters = -3; }, /node 0 \(conv2d\).*filters/],
      ['merge arity', (j) => { j.nodes[4].inputs = [3]; }, /node 4 \(add\) takes two or more inputs/],
      ['output range', (j) => { j.outputs = [99]; }, /outputs must be/],
      ['input shape', (j) => { j.inputs = [[0, 3]]; }, /input shape/],
      ['shape clash', (j) => { j.nodes[4].inputs = [3, 0]; }, /one shape/],
      ['not a graph', (j) => { (j as { format: string }).format = 'x'; }, /not a lowbit graph/],
    ];
    for (const [what, mutate, msg] of variants) {
      const j = JSON.parse(JSON.stringify(good)) as GraphJson;
      mutate(j);
      let err: unknown;
      try { modelFromJson(lb.heap, j).dispose(); } catch (e) { err = e; }
      expect(err, what).toBeInstanceOf(LowbitError);
      expect((err as LowbitError).code, what).toBe('BAD_MODEL');
      expect((err as LowbitError).message, what).toMatch(msg);
    }
  });

  it('a builder-made residual net trains, checkpoints with its graph, resumes bit-identically, and runs in the Engine as the float model does', async () => {
    const data = await loadFashionMnist(SUBSET_DIR), train = { ...data.train, count: 192 };
    const q8 = weightQuantizers.uniform(8);
    const net = () => {
      const x = input([28, 28, 1]);
      const s = apply(new BatchNorm(), apply(new Conv2d(8, 3, { strides: 2, kernelQuantizer: q8 }), x)); // 14x14x8, read twice
      const r = apply(new BatchNorm(), apply(new Conv2d(8, 3, { kernelQuantizer: weightQuantizers.binary() }), apply(new Sign(), s)));
      const s2 = apply(new Add(), s, r);
      const dw = apply(new QReLU({ bits: 4 }), apply(new BatchNorm(), apply(new Conv2d(8, 3, { groups: 8, strides: 2, kernelQuantizer: weightQuantizers.uniform(4) }), apply(new QReLU({ bits: 4 }), s2))));
      const a = apply(new Add(), apply(new AvgPool({ pool: 2 }), s2), apply(new BatchNorm(), apply(new Conv2d(8, 1, { kernelQuantizer: q8 }), dw))); // 7x7x8
      const g = apply(new Dropout(0.1), apply(globalAvgPool(), apply(new Concat(), a, a)));
      const y = apply(new Dense(10, { kernelQuantizer: q8 }), apply(new QReLU({ bits: 8 }), apply(new BatchNorm(), g)));
      return new Model(lb.heap, { inputs: [x], outputs: [y] }, 7);
    };
    const opts = { epochs: 2, batch: 64, lr: 0.05, optimizer: 'bcgd' as const, seed: 7 };
    const a = net(), ta = new Trainer(a, opts, train.count);
    ta.runEpoch(train); ta.runEpoch(train);
    const b = net(), tb = new Trainer(b, opts, train.count);
    tb.runEpoch(train);
    const bytes = encodeCheckpoint(tb, { note: 'builder' });
    tb.dispose(); b.dispose();
    const cp = decodeCheckpoint(bytes);
    const c = modelFromJson(lb.heap, cp.header.model, 7), tc = new Trainer(c, opts, train.count);
    restoreCheckpoint(tc, lb.heap, cp);
    tc.runEpoch(train);
    const wa = ta.tensors(), wc = tc.tensors();
    expect(wc.map((t) => t.name)).toEqual(wa.map((t) => t.name));
    wa.forEach((t, i) => expect(f32(wc[i].ptr, t.size), t.name).toEqual(f32(t.ptr, t.size)));
    expect(tc.history.map((h) => h.loss)).toEqual(ta.history.map((h) => h.loss));
    // the integer plan: same classes as the fake-quantized model
    const plan = compile(c, data.classes);
    expect(plan.graph!.map((n) => n.op)).toEqual(expect.arrayContaining(['add', 'avgpool', 'concat', 'threshold']));
    const engine = await Engine.load(encodeModel(plan), { runtime: lb }), n = 500;
    const ints = engine.predict(data.test.images.subarray(0, n * 784), n);
    engine.dispose();
    const float = floatPredictions(lb, c, { ...data.test, count: n });
    expect(ints.filter((v, i) => v === float[i]).length / n).toBeGreaterThanOrEqual(0.99);
    for (const t of [ta, tc]) t.dispose();
    a.dispose(); c.dispose();
  });

  it('ReActNet blocks (RSign, RPReLU, batch norm on a stream before an add) lower to requant and prelu nodes and agree with the float model', async () => {
    const data = await loadFashionMnist(SUBSET_DIR), q8 = weightQuantizers.uniform(8);
    const x = input([28, 28, 1]);
    let s = apply(new AvgPool({ pool: 2 }), apply(new BatchNorm(), apply(new Conv2d(8, 3, { kernelQuantizer: q8 }), x)));
    for (let b = 0; b < 2; b++) {
      const r = apply(new BatchNorm(), apply(new Conv2d(8, 3, { kernelQuantizer: weightQuantizers.binary() }), apply(new Sign(), apply(new Shift(), s))));
      s = apply(new Shift(), apply(new PReLU(), apply(new Shift(), apply(new Add(), s, r)))); // RPReLU
      s = apply(new BatchNorm(), s);
    }
    const y = apply(new Dense(10, { kernelQuantizer: q8 }), apply(new Flatten(), apply(new QReLU({ bits: 8 }), apply(new AvgPool({ pool: 2 }), s))));
    const m = new Model(lb.heap, { inputs: [x], outputs: [y] }, 4), t = new Trainer(m, { epochs: 1, batch: 64, lr: 0.05, optimizer: 'bcgd', seed: 4 }, 640);
    t.runEpoch({ ...data.train, count: 640 });
    const plan = compile(m, data.classes);
    expect(plan.graph!.map((n) => n.op)).toEqual(expect.arrayContaining(['requant', 'prelu', 'add', 'threshold']));
    const engine = await Engine.load(encodeModel(plan), { runtime: lb }), n = 500;
    const ints = engine.predict(data.test.images.subarray(0, n * 784), n);
    engine.dispose();
    const float = floatPredictions(lb, m, { ...data.test, count: n });
    expect(ints.filter((v, i) => v === float[i]).length / n).toBeGreaterThanOrEqual(0.998);
    t.dispose(); m.dispose();
  });

  it('compile names the node it cannot lower', () => {
    const x = input([8, 8, 1]);
    const h = apply(new Sign(), apply(new BatchNorm(), apply(new Conv2d(4, 3, { kernelQuantizer: weightQuantizers.uniform(8) }), x)));
    const bad = apply(new Add(), h, apply(new Sign(), apply(new BatchNorm(), apply(new Conv2d(4, 3, { kernelQuantizer: weightQuantizers.binary() }), h))));
    const m = new Model(lb.heap, { inputs: [x], outputs: [apply(new Dense(3, { kernelQuantizer: weightQuantizers.uniform(8) }), apply(new Flatten(), bad))] }, 1);
    let err: unknown;
    try { compile(m, ['a', 'b', 'c']); } catch (e) { err = e; }
    expect((err as LowbitError).code).toBe('CANNOT_COMPILE');
    expect((err as LowbitError).message).toMatch(/node 6 \(add\): reads bits/);
    m.dispose();
  });

  it('Sequential is a chain graph: its JSON rebuilds it, and compile still takes it', () => {
    const s = new Sequential(lb.heap, [new Flatten(), new Dense(8, { kernelQuantizer: weightQuantizers.uniform(8) }), new BatchNorm(), new Sign(), new Dropout(0.2), new Dense(10, { kernelQuantizer: weightQuantizers.uniform(8) })], [28, 28, 1], 2);
    const j = s.toJSON();
    expect(j.nodes.map((n) => n.inputs[0])).toEqual([0, 1, 2, 3, 4, 5]);
    const plan = compile(s, Array.from({ length: 10 }, (_, i) => `c${i}`));
    expect(plan.steps.length).toBe(2);
    s.dispose();
  });
});
