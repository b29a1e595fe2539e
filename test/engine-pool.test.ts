// Engine.load(bytes, { threads }) in Node: a pool of worker threads giving the single-thread
// Engine's results exactly, with the same errors.
import { describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { Engine, EnginePool, LowbitError, loadFashionMnist, SUBSET_DIR } from '../src/node/index.js';

describe('Engine pools on worker threads', () => {
  it('2 threads give the logits and classes of one thread, for both shipped models and awkward batch sizes', async () => {
    const data = await loadFashionMnist(SUBSET_DIR);
    for (const name of ['fashion-cnn-1w1a', 'fashion-cnn-1w4a']) {
      const bytes = await readFile(new URL(`../models/${name}.lbm`, import.meta.url));
      const one = await Engine.load(bytes), pool = await Engine.load(bytes, { threads: 2 });
      expect(pool).toBeInstanceOf(EnginePool);
      const p = pool as EnginePool;
      expect(p.threads).toBe(2);
      expect(p.inputShape).toEqual([28, 28, 1]);
      expect(p.classes).toEqual(one.classes);
      for (const n of [1, 7, 17, 300]) {
        const px = data.test.images.subarray(0, n * 784);
        expect(await p.logits(px, n), `${name} n=${n}`).toEqual(one.logits(px, n));
        expect(await p.predict(px, n)).toEqual(one.predict(px, n));
      }
      await expect(p.logits(data.test.images.subarray(0, 100), 1)).rejects.toThrow(/pixels has 100 bytes but 1 image\(s\) of 28x28x1 need 784/);
      p.dispose();
      await expect(p.predict(data.test.images.subarray(0, 784), 1)).rejects.toMatchObject({ code: 'DISPOSED' });
      one.dispose();
    }
  }, 60_000);

  it('a bad file is refused before any thread starts, with the single-thread errors', async () => {
    let err: unknown;
    try { await Engine.load(new Uint8Array(10), { threads: 2 }); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(LowbitError);
    expect((err as LowbitError).code).toBe('BAD_MODEL');
    const bytes = await readFile(new URL('../models/fashion-cnn-1w1a.lbm', import.meta.url));
    const auto = await Engine.load(bytes, { threads: 'auto' }) as EnginePool;
    expect(auto.threads).toBeGreaterThanOrEqual(1);
    auto.dispose();
  });
});
