// Integer-only inference (issue 5): compile, the model file, the Engine, and fuzzing of the loader.
import { describe, expect, it, beforeAll } from 'vitest';
import { type Lowbit, loadFashionMnist, SUBSET_DIR, LowbitError, Sequential, Trainer, buildLayers, compile, Engine, encodeModel, decodeModel } from '../src/node/index.js';
import { Batcher } from '../src/train/sequential.js';
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

  it('the Engine API: shape, classes, logits, argmax, clear errors', async () => {
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
      [withHeader(good, (h) => { (h.steps as Record<string, unknown>[])[1].c = 31; }), /step 1 \(conv\): input 14x14x31 does not match the previous output 14x14x32/],
      [withHeader(good, (h) => { (h.steps as Record<string, unknown>[])[0].kind = 'lstm'; }), /step 0.kind must be one of "conv", "dense", got "lstm"/],
      [withHeader(good, (h) => { (h.steps as Record<string, unknown>[])[0].outBits = 9; }), /step 0 \(conv\): code outputs take 1..8 bits, got 9/],
      [withHeader(good, (h) => { (h.steps as Record<string, unknown>[])[0].h = -1; }), /step 0.h must be an integer in \[1, 4096\], got -1/],
      [withHeader(good, (h) => { h.inputShape = [28, 28]; }), /inputShape must be \[height, width, channels\]/],
      [withHeader(good, (h) => { (h.classes as string[]).pop(); }), /10 logits but 9 class names/],
      [withHeader(good, (h) => { ((h.steps as Record<string, Record<string, unknown[]>>[])[0].tensors.wInt8)[1] = 17; }), /not 16-byte aligned|offset/],
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
    const r = rng(2026), img = data.test.images.subarray(0, 2 * 784);
    const pick = (n: number) => Math.floor(r() * n);
    const header = JSON.parse(new TextDecoder().decode(good.subarray(16, 16 + new DataView(good.buffer).getUint32(8, true))));
    const paths: (string | number)[][] = [];
    const walk = (v: unknown, p: (string | number)[]) => {
      if (v && typeof v === 'object') for (const [k, c] of Object.entries(v)) walk(c, [...p, Array.isArray(v) ? Number(k) : k]);
      else paths.push(p);
    };
    walk(header, []);
    const weird = [0, -1, 1, 2, 3, 7, 8, 9, 64, 4096, 4097, 65536, 2 ** 31, -(2 ** 31), 2 ** 53, 1.5, NaN, null, 'x', 'same', 'bits', 'codes', 'logits', [], {}, true];
    let loaded = 0, refused = 0;
    const t0 = performance.now();
    for (let it = 0; it < 10_000; it++) {
      let b: Uint8Array;
      const mode = it % 4;
      if (mode === 0) { b = good.slice(); for (let j = 0, n = 1 + pick(8); j < n; j++) b[pick(b.length)] = pick(256); }
      else if (mode === 1) b = good.slice(0, pick(good.length));
      else {
        // structure-aware: a header field set to a strange value, checksum recomputed, so the validation behind the checksum is exercised
        const path = paths[pick(paths.length)], value = mode === 2 ? weird[pick(weird.length)] : pick(2 ** 20);
        b = withHeader(good, (h) => { let o: Record<string | number, unknown> = h; for (const k of path.slice(0, -1)) o = o[k] as Record<string | number, unknown>; o[path.at(-1)!] = value; });
        if (mode === 3 && r() < 0.5) { const at = 16 + new DataView(b.buffer).getUint32(8, true) + pick(b.length - 16); b[Math.min(at, b.length - 1)] ^= 1 << pick(8); new DataView(b.buffer).setUint32(12, crc32(b.subarray(16)), true); }
      }
      try {
        const e = await Engine.load(b, { runtime: lb });
        e.predict(img, 2);
        loaded++;
      } catch (e) {
        if (!(e instanceof LowbitError)) throw new Error(`iteration ${it} (mode ${mode}) threw a non-LowbitError: ${(e as Error).stack}`);
        refused++;
      }
    }
    expect(loaded + refused).toBe(10_000);
    expect(loaded).toBeGreaterThan(100); // tensor-byte flips with a fixed checksum load and run
    expect(performance.now() - t0).toBeLessThan(60_000);
  }, 120_000);
});
