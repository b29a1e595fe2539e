// Integer-only inference: compile, the model file, the Engine, and fuzzing of the loader.
import { describe, expect, it, beforeAll } from 'vitest';
import { type Lowbit, loadFashionMnist, SUBSET_DIR, LowbitError, Sequential, Trainer, buildLayers, compile, Engine, encodeModel, decodeModel } from '../src/node/index.js';
import { Batcher } from '../src/train/sequential.js';
import { input, apply, Model, Conv2d, Dense, BatchNorm, Sign, QReLU, Add, Concat, AvgPool, globalAvgPool, weightQuantizers } from '../src/index.js';
import { crc32 } from '../src/train/checkpoint.js';
import type { FashionMnist } from '../src/node/fashion-mnist.js';
import type { ArchOptions } from '../src/train/models.js';
import { rng } from './reference.js';
import { runtime } from './helpers.js';

let lb: Lowbit;
let data: FashionMnist;
beforeAll(async () => { lb = await runtime(); data = await loadFashionMnist(SUBSET_DIR); });

/** Train briefly (so batch norm statistics and alpha are real), compile, and the fake-quant predictions. */
function trained(arch: ArchOptions, images = 640) {
  const model = new Sequential(lb.heap, buildLayers(arch), [28, 28, 1], 3);
  const t = new Trainer(model, { epochs: 1, batch: 64, lr: 0.05, optimizer: 'bcgd', seed: 3 }, images);
  t.runEpoch({ ...data.train, count: images });
  t.dispose();
  return model;
}

function fakeQuantPredictions(model: Sequential, count: number): Int32Array {
  const b = new Batcher(lb.heap, data.test), order = Uint32Array.from({ length: count }, (_, i) => i);
  const { x } = b.load(order, 0, count);
  const z = lb.heap.read(Float32Array, model.forward(x, count, false), count * 10);
  b.dispose();
  return Int32Array.from({ length: count }, (_, i) => { let best = 0; for (let c = 1; c < 10; c++) if (z[i * 10 + c] > z[i * 10 + best]) best = c; return best; });
}

const ARCHS: ArchOptions[] = [
  { arch: 'cnn', wbits: 1, abits: 4 }, { arch: 'cnn', wbits: 1, abits: 1 }, { arch: 'mlp', wbits: 1, abits: 2 },
  { arch: 'mlp', wbits: 2, abits: 4 }, { arch: 'mlp', wbits: 1, abits: 1, perChannel: true }, { arch: 'mlp', wbits: 4, abits: 8 },
];

describe('compile + Engine', () => {
  it.each(ARCHS)('the integer plan predicts what the fake-quantized model predicts (%j)', async (arch) => {
    const model = trained(arch);
    const bytes = encodeModel(compile(model, data.classes, { arch }));
    const engine = await Engine.load(bytes, { runtime: lb });
    const n = 300, want = fakeQuantPredictions(model, n), got = engine.predict(data.test.images.subarray(0, n * 784), n);
    let same = 0;
    for (let i = 0; i < n; i++) if (got[i] === want[i]) same++;
    expect(same / n).toBeGreaterThanOrEqual(0.99);
    // batch 1 gives the same as a batch
    for (const i of [0, 7, 299]) expect(engine.predict(data.test.images.subarray(i * 784, (i + 1) * 784), 1)[0]).toBe(got[i]);
    model.dispose();
  });

  it('the Engine API: shape, classes, logits, run, argmax, clear errors', async () => {
    const model = trained({ arch: 'mlp', wbits: 1, abits: 4 }, 128);
    const engine = await Engine.load(encodeModel(compile(model, data.classes)), { runtime: lb });
    expect(engine.inputShape).toEqual([28, 28, 1]);
    expect(engine.classes).toEqual(data.classes);
    const img = data.test.images.subarray(0, 3 * 784);
    const z = engine.logits(img, 3), p = engine.predict(img, 3);
    expect(z.length).toBe(30);
    for (let i = 0; i < 3; i++) expect(p[i]).toBe(Array.from(z.subarray(i * 10, i * 10 + 10)).indexOf(Math.max(...z.subarray(i * 10, i * 10 + 10))));
    expect(() => engine.predict(img, 2)).toThrow(/pixels has 2352 bytes but 2 image\(s\) of 28x28x1 need 1568/);
    expect(() => engine.predict(new Float32Array(784) as never, 1)).toThrow(/pixels must be a Uint8Array/);
    expect(() => engine.predict(img, 0)).toThrow(/count must be an integer/);
    expect(engine.run(img, 3)).toEqual(z);
    expect(engine.run(Float32Array.from(img, (v) => v / 255), 3)).toEqual(z); // float pixels in [0, 1], quantized back to the same bytes
    const nan = new Float32Array(784); nan[5] = NaN;
    expect(() => engine.run(nan, 1)).toThrow(/input value 5 is NaN/);
    engine.dispose();
    expect(() => engine.predict(img, 1)).toThrow(/disposed/);
    model.dispose();
  });

  it('compile refuses what cannot run integer-only, naming the layer', () => {
    const float = new Sequential(lb.heap, buildLayers({ arch: 'mlp', wbits: 32, abits: 32 }), [28, 28, 1], 1);
    expect(() => compile(float, data.classes)).toThrow(/float32 weights have no integer form|float ReLU cannot run integer-only/);
    float.dispose();
  });
});

/** Rewrite a model's header JSON (and the checksum), keeping the tensor bytes in place. */
function withHeader(bytes: Uint8Array, edit: (h: Record<string, unknown>) => void): Uint8Array {
  const dv = new DataView(bytes.buffer, bytes.byteOffset), len = dv.getUint32(8, true);
  const h = JSON.parse(new TextDecoder().decode(bytes.subarray(16, 16 + len)));
  edit(h);
  let json = new TextEncoder().encode(JSON.stringify(h));
  if (json.length > len) return bytes; // keep the layout: only same-or-shorter headers
  json = Uint8Array.from([...json, ...new Array(len - json.length).fill(0x20)]);
  const out = bytes.slice();
  out.set(json, 16);
  new DataView(out.buffer).setUint32(12, crc32(out.subarray(16)), true);
  return out;
}

/** Rewrite a model's header JSON to any length: the tensor sections move by a multiple of 16 bytes. */
function withLongHeader(bytes: Uint8Array, edit: (h: Record<string, unknown>) => void, text: (json: string) => string = (j) => j): Uint8Array {
  const dv = new DataView(bytes.buffer, bytes.byteOffset), len = dv.getUint32(8, true);
  const h = JSON.parse(new TextDecoder().decode(bytes.subarray(16, 16 + len)));
  const first = (16 + len + 15) & ~15;
  edit(h);
  for (let shift = 0, need = 0; ; shift = need) {
    const moved = structuredClone(h) as { steps: { tensors: Record<string, [string, number, number]> }[] };
    for (const st of moved.steps ?? []) for (const t of Object.values(st.tensors ?? {})) if (Array.isArray(t)) t[1] += shift;
    const json = new TextEncoder().encode(text(JSON.stringify(moved)));
    need = Math.max(shift + 16, (16 + json.length - first + 15) & ~15);
    if (16 + json.length > first + shift) continue;
    const out = new Uint8Array(bytes.length + shift);
    out.set(bytes.subarray(0, 16));
    out.set(json, 16);
    out.fill(0x20, 16 + json.length, first + shift);
    out.set(bytes.subarray(first), first + shift);
    const odv = new DataView(out.buffer);
    odv.setUint32(8, first + shift - 16, true);
    odv.setUint32(12, crc32(out.subarray(16)), true);
    return out;
  }
}

/** Change the bytes of one tensor (of steps[step] or, with where 'graph', of graph[step]) in place and fix the checksum. */
function withTensor(bytes: Uint8Array, step: number, name: string, edit: (view: DataView) => void, where: 'steps' | 'graph' = 'steps'): Uint8Array {
  const out = bytes.slice(), dv = new DataView(out.buffer), len = dv.getUint32(8, true);
  const h = JSON.parse(new TextDecoder().decode(out.subarray(16, 16 + len)));
  const [, offset] = h[where][step].tensors[name];
  edit(new DataView(out.buffer, offset));
  dv.setUint32(12, crc32(out.subarray(16)), true);
  return out;
}

describe('model file', () => {
  let good: Uint8Array;
  beforeAll(() => {
    const m = trained({ arch: 'cnn', wbits: 1, abits: 2 }, 128);
    good = encodeModel(compile(m, data.classes, { note: 'fuzz seed' }));
    m.dispose();
  });

  it('round-trips, and names what is wrong in a bad file', () => {
    expect(encodeModel(decodeModel(good))).toEqual(good);
    const cases: [Uint8Array, RegExp][] = [
      [good.slice(0, 10), /truncated: 10 bytes/],
      [Uint8Array.from([0x50, 0x4b, 3, 4, ...good.slice(4)]), /not a lowbit model \(bad magic/],
      [Uint8Array.from([...good.slice(0, 4), 9, 0, 0, 0, ...good.slice(8)]), /format version 9/],
      [good.slice(0, good.length - 100), /checksum mismatch/],
      [(() => { const b = good.slice(); b[b.length - 1] ^= 1; return b; })(), /checksum mismatch/],
      [withHeader(good, (h) => { (h.steps as Record<string, unknown>[])[1].c = 31; }), /step 1 \(conv\): input 14x14x31 does not match 14x14x32/],
      [withHeader(good, (h) => { (h.steps as Record<string, unknown>[])[0].kind = 'lstm'; }), /step 0.kind must be one of "conv", "dense", got "lstm"/],
      [withHeader(good, (h) => { (h.steps as Record<string, unknown>[])[0].outBits = 9; }), /step 0 \(conv\): code outputs take 1..8 bits, got 9/],
      [withHeader(good, (h) => { (h.steps as Record<string, unknown>[])[0].h = -1; }), /step 0.h must be an integer in \[1, 4096\], got -1/],
      [withHeader(good, (h) => { h.inputShape = [28, 28]; }), /inputShape must be \[height, width, channels\]/],
      [withHeader(good, (h) => { (h.classes as string[]).pop(); }), /10 logits but 9 class names/],
      [withHeader(good, (h) => { ((h.steps as Record<string, Record<string, unknown[]>>[])[0].tensors.wInt8)[1] = 17; }), /not 16-byte aligned|offset/],
      // a tensor one element short of what the shapes need, for each kind of tensor
      ...(['wInt8', 'thresholds', 'flip'] as const).map((t): [Uint8Array, RegExp] => [withHeader(good, (h) => { ((h.steps as Record<string, Record<string, number[]>>[])[0].tensors[t])[2] -= 1; }), new RegExp(`step 0 \\(conv\\): ${t === 'wInt8' ? 'wInt8 must hold' : t === 'thresholds' ? 'thresholds must hold' : 'flip must hold'}`)]),
      [withHeader(good, (h) => { ((h.steps as Record<string, Record<string, number[]>>[])[1].tensors.wBinary)[2] -= 1; }), /step 1 \(conv\): wBinary must hold/],
      [withHeader(good, (h) => { ((h.steps as Record<string, Record<string, number[]>>[])[3].tensors.scale)[2] -= 1; }), /step 3 \(dense\): scale and bias must hold/],
      // nesting too deep for a recursive parser
      [withLongHeader(good, () => {}, (j) => j.replace('"meta":{', `"meta":{"deep":${'['.repeat(100_000)}${']'.repeat(100_000)},`)), /nests deeper than 32 levels/],
      // binary weights with a bit set past the last channel (the conv on 32 channels keeps 64-bit pixels)
      [withTensor(good, 1, 'wBinary', (v) => v.setUint32(4, 1 << 7, true)), /step 1 \(conv\): wBinary has bits set past channel 32/],
      // a finite but huge logit scale
      [withTensor(good, 3, 'scale', (v) => v.setFloat32(0, 3.4e38, true)), /logits can overflow float32/],
    ];
    for (const [bytes, msg] of cases) {
      expect(bytes, String(msg)).not.toEqual(good);
      let err: unknown;
      try { decodeModel(bytes); } catch (e) { err = e; }
      expect(err, String(msg)).toBeInstanceOf(LowbitError);
      expect((err as LowbitError).code).toBe('BAD_MODEL');
      expect((err as Error).message).toMatch(msg);
    }
  });

  it('10,000 random corruptions each load to a model that runs, or throw a LowbitError', async () => {
    await fuzzModel(good, 2026, data.test.images.subarray(0, 2 * 784));
  }, 120_000);

  it('10,000 random corruptions of a graph (version 2) model: residual streams, adds, pooling sums, depthwise steps', async () => {
    const x = input([28, 28, 1]), q8 = weightQuantizers.uniform(8);
    let sv = apply(new AvgPool({ pool: 2 }), apply(new BatchNorm(), apply(new Conv2d(8, 3, { kernelQuantizer: q8 }), x)));
    const r = apply(new BatchNorm(), apply(new Conv2d(8, 3, { kernelQuantizer: weightQuantizers.binary() }), apply(new Sign(), sv)));
    sv = apply(new Add(), sv, r);
    const dw = apply(new QReLU({ bits: 4 }), apply(new BatchNorm(), apply(new Conv2d(8, 3, { groups: 8, strides: 2, kernelQuantizer: weightQuantizers.uniform(4) }), apply(new QReLU({ bits: 4 }), sv))));
    const a = apply(new Add(), apply(new AvgPool({ pool: 2 }), sv), apply(new BatchNorm(), apply(new Conv2d(8, 1, { kernelQuantizer: q8 }), dw))); // 7x7x8
    const y = apply(new Dense(10, { kernelQuantizer: q8 }), apply(new QReLU({ bits: 8 }), apply(new BatchNorm(), apply(globalAvgPool(), apply(new Concat(), a, a)))));
    const m = new Model(lb.heap, { inputs: [x], outputs: [y] }, 3);
    const t = new Trainer(m, { epochs: 1, batch: 64, lr: 0.05, optimizer: 'bcgd', seed: 3 }, 128);
    t.runEpoch({ ...data.train, count: 128 });
    const graphModel = t.rule.exact(() => encodeModel(compile(m, data.classes)));
    t.dispose(); m.dispose();
    expect(decodeModel(graphModel).graph!.map((n) => n.op)).toEqual(expect.arrayContaining(['add', 'avgpool', 'concat', 'threshold', 'step']));
    expect(encodeModel(decodeModel(graphModel))).toEqual(graphModel);
    await fuzzModel(graphModel, 2027, data.test.images.subarray(0, 2 * 784), 40);
  }, 120_000);
});

/**
 * 10,000 corruptions of a good model file (random bytes, truncation, header fields set to strange
 * values with the checksum fixed, extreme tensor words, deep nesting): each loads to a model whose
 * logits are finite, or throws a LowbitError, within a minute.
 */
async function fuzzModel(good: Uint8Array, seed: number, img: Uint8Array, minLoaded = 100): Promise<void> {
    const r = rng(seed);
    const pick = (n: number) => Math.floor(r() * n);
    const header = JSON.parse(new TextDecoder().decode(good.subarray(16, 16 + new DataView(good.buffer).getUint32(8, true))));
    const paths: (string | number)[][] = [];
    const walk = (v: unknown, p: (string | number)[]) => {
      if (v && typeof v === 'object') for (const [k, c] of Object.entries(v)) walk(c, [...p, Array.isArray(v) ? Number(k) : k]);
      else paths.push(p);
    };
    walk(header, []);
    const weird = [0, -1, 1, 2, 3, 7, 8, 9, 64, 4096, 4097, 65536, 2 ** 31, -(2 ** 31), 2 ** 53, 1.5, 1e308, -3.4e38, NaN, null, 'x', 'same', 'bits', 'codes', 'logits', [], {}, true];
    const nested = (depth: number): unknown => (depth === 0 ? 1 : [nested(depth - 1)]);
    type Tensors = { tensors: Record<string, unknown> }[];
    const tensorsOf = (h: { steps: Tensors; graph?: Tensors }) => (['steps', 'graph'] as const).flatMap((where) => (h[where] ?? []).flatMap((st, i) => Object.keys(st.tensors).map((name) => [where, i, name] as const)));
    const specialWords = [0xffffffff, 0x7f7fffff, 0xff7fffff, 0x7fc00000, 0x80000000, 0x7fffffff, 1, 0x100];
    let loaded = 0, refused = 0;
    const t0 = performance.now();
    for (let it = 0; it < 10_000; it++) {
      let b: Uint8Array;
      const mode = it % 5;
      if (mode === 0) { b = good.slice(); for (let j = 0, n = 1 + pick(8); j < n; j++) b[pick(b.length)] = pick(256); }
      else if (mode === 1) b = good.slice(0, pick(good.length));
      else if (mode === 4) {
        // structure-aware on the tensors: a word of a tensor set to an extreme value (NaN or huge
        // floats, padding bits, int32 limits); or a field nested 1..64 levels deep
        if (r() < 0.2) {
          const path = paths[pick(paths.length)], depth = 1 + pick(64);
          b = withHeader(good, (h) => { let o: Record<string | number, unknown> = h; for (const k of path.slice(0, -1)) o = o[k] as Record<string | number, unknown>; o[path.at(-1)!] = nested(depth); });
        } else {
          const tensors = tensorsOf(header), [where, step, name] = tensors[pick(tensors.length)], length = header[where][step].tensors[name][2];
          const bytesPer = name === 'wInt8' || name === 'flip' || name === 'wPacked' ? 1 : name === 'addend' ? 8 : 4, at = pick(Math.max(1, Math.floor((length * bytesPer) / 4))) * 4;
          b = withTensor(good, step, name, (v) => { if (at + 4 <= length * bytesPer) v.setUint32(at, specialWords[pick(specialWords.length)], true); }, where);
        }
      } else {
        // structure-aware: a header field set to a strange value, checksum recomputed, so the validation behind the checksum is exercised
        const path = paths[pick(paths.length)], value = mode === 2 ? weird[pick(weird.length)] : pick(2 ** 20);
        b = withHeader(good, (h) => { let o: Record<string | number, unknown> = h; for (const k of path.slice(0, -1)) o = o[k] as Record<string | number, unknown>; o[path.at(-1)!] = value; });
        if (mode === 3 && r() < 0.5) { const at = 16 + new DataView(b.buffer).getUint32(8, true) + pick(b.length - 16); b[Math.min(at, b.length - 1)] ^= 1 << pick(8); new DataView(b.buffer).setUint32(12, crc32(b.subarray(16)), true); }
      }
      try {
        const e = await Engine.load(b, { runtime: lb });
        const z = e.logits(img, 2);
        e.dispose();
        if (!z.every(Number.isFinite)) throw new Error(`iteration ${it} (mode ${mode}) loaded a model whose logits are not finite`);
        loaded++;
      } catch (e) {
        if (!(e instanceof LowbitError)) throw new Error(`iteration ${it} (mode ${mode}) threw a non-LowbitError: ${(e as Error).stack}`);
        refused++;
      }
    }
    expect(loaded + refused).toBe(10_000);
    expect(loaded).toBeGreaterThan(minLoaded); // tensor-byte flips with a fixed checksum load and run
    expect(refused).toBeGreaterThan(1000);
    expect(performance.now() - t0).toBeLessThan(60_000);
}
