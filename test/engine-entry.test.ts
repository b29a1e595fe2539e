// lowbit/engine as shipped (the minified bundles): inference only, no training code or kernel
// table, small, and its errors are LowbitErrors for the main entry too.
import { describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';

const root = new URL('..', import.meta.url).pathname;

describe('lowbit/engine', () => {
  it('carries no training code and no kernel wrappers, and its JavaScript is at most 12 KB gzipped', async () => {
    for (const f of ['dist/engine.bundle.js', 'dist/node/engine.bundle.js']) {
      const js = await readFile(`${root}${f}`, 'utf8');
      for (const marker of ['softmaxCrossEntropy', 'batchNormBackward', 'Trainer', 'Sequential', 'sgemmPackB', 'projectTernary', 'checkpoint']) expect(js, `${f}: ${marker}`).not.toContain(marker);
      expect(gzipSync(js, { level: 9 }).length, f).toBeLessThanOrEqual(12 * 1024);
    }
  });

  it('runs a shipped model; lb.kernels says to use lowbit; instanceof LowbitError holds across entries', async () => {
    const engineEntry = await import(`${root}dist/node/engine.bundle.js`);
    const main = await import(`${root}dist/node/lowbit.js`);
    const bytes = await readFile(`${root}models/fashion-cnn-1w1a.lbm`);
    const e = await engineEntry.Engine.load(bytes);
    expect(e.predict(new Uint8Array(784), 1)).toHaveLength(1);
    // every shipped model, graph ones too, gives the main entry's logits
    const px = Uint8Array.from({ length: 5 * 784 }, (_, i) => (i * 37) & 255);
    for (const name of ['fashion-cnn-1w1a', 'fashion-cnn-1w4a', 'fashion-resnet-1w1a', 'fashion-mobilenet-4w4a']) {
      const b = await readFile(`${root}models/${name}.lbm`);
      expect(Array.from((await engineEntry.Engine.load(b)).logits(px, 5)), name).toEqual(Array.from((await main.Engine.load(b)).logits(px, 5)));
    }
    const lb = await engineEntry.init();
    expect(() => lb.kernels).toThrow(/lowbit\/engine, which carries no kernel API/);
    let err: unknown;
    try { await engineEntry.Engine.load(new Uint8Array(8)); } catch (x) { err = x; }
    expect(err).toBeInstanceOf(engineEntry.LowbitError);
    expect(err).toBeInstanceOf(main.LowbitError); // another copy of the class
    expect(engineEntry.LowbitError).not.toBe(main.LowbitError);
    expect(new Error('x')).not.toBeInstanceOf(main.LowbitError);
  });
});

describe('lowbit/engine and imported models', () => {
  it('refuses an imported (ONNX) model plainly; the main entry runs it', async () => {
    const engineEntry = await import(`${root}dist/node/engine.bundle.js`);
    const main = await import(`${root}dist/node/lowbit.js`);
    const lbm = main.importOnnx(new Uint8Array(await readFile(`${root}test/models/onnx/qkeras_jettagging.onnx`)));
    await expect(engineEntry.Engine.load(lbm)).rejects.toThrow(/node 0\.op "fstep": not in lowbit-trained models \(load imported ONNX models with the 'lowbit' entry\)/);
    const e = await main.Engine.load(lbm);
    expect(e.run(new Float32Array(16), 1)).toHaveLength(5);
  });
});
