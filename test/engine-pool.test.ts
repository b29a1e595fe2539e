// Engine.load(bytes, { threads }) in Node: a pool of worker threads giving the single-thread
// Engine's results exactly, with the same errors.
import { describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { Engine, EnginePool, LowbitError, loadFashionMnist, SUBSET_DIR } from '../src/node/index.js';

describe('Engine pools on worker threads', () => {
  it('2 threads give the logits and classes of one thread, for every shipped model and awkward batch sizes', async () => {
    const data = await loadFashionMnist(SUBSET_DIR);
    for (const name of ['fashion-cnn-1w1a', 'fashion-cnn-1w4a', 'fashion-resnet-1w1a', 'fashion-mobilenet-4w4a']) {
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
  }, 120_000);

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

describe('data-parallel training on worker threads', () => {
  it('lowbit train --threads 2 is deterministic, learns, and keeps the flags in the checkpoint', async () => {
    const { runTraining, TRAIN_DEFAULTS } = await import('../src/node/train-command.js');
    const { decodeCheckpoint } = await import('../src/node/index.js');
    const { mkdtemp } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = await mkdtemp(join(tmpdir(), 'lowbit-dp-'));
    const run = async (out: string, threads: number) => {
      const lines: string[] = [];
      const r = await runTraining({ ...TRAIN_DEFAULTS, arch: 'cnn', wbits: 1, abits: 2, data: 'subset', limit: 320, epochs: 2, threads, out, resume: false }, { log: (l) => lines.push(l) });
      return { r, lines, cp: decodeCheckpoint(new Uint8Array(await readFile(out))) };
    };
    const a = await run(join(dir, 'a.ckpt'), 2), b = await run(join(dir, 'b.ckpt'), 2);
    expect(a.lines.join('\n')).toMatch(/data-parallel on 2 threads/);
    expect(Buffer.from(a.cp.data).equals(Buffer.from(b.cp.data))).toBe(true); // identical weights, optimizer state and statistics
    expect(a.r.testAccuracy).toBe(b.r.testAccuracy);
    expect(a.r.history[1].loss).toBeLessThan(a.r.history[0].loss);
    expect(a.cp.header.config.threads).toBe(2);
    const one = await run(join(dir, 'c.ckpt'), 1);
    expect(Buffer.from(one.cp.data).equals(Buffer.from(a.cp.data))).toBe(false); // float sums in another order: not bit-identical to one thread
    expect(Math.abs(one.r.testAccuracy - a.r.testAccuracy)).toBeLessThan(0.1);
  }, 120_000);

  it('batch norm uses the whole batch across threads: 2 threads track one thread (per-shard statistics did not)', async () => {
    const { runTraining, TRAIN_DEFAULTS } = await import('../src/node/train-command.js');
    const { mkdtemp } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = await mkdtemp(join(tmpdir(), 'lowbit-bn-'));
    // a float CNN with batch norms, batch 64 split 32 + 32: only summation order differs from one thread
    const run = (threads: number) => runTraining({ ...TRAIN_DEFAULTS, arch: 'cnn', wbits: 32, abits: 32, optimizer: 'sgd', data: 'subset', limit: 320, epochs: 1, threads, out: join(dir, `t${threads}.ckpt`), resume: false }, { log: () => {} });
    const one = await run(1), two = await run(2);
    // measured: 2.3e-4 relative with the shared sums, 1.6e-2 with per-shard statistics
    expect(Math.abs(two.history[0].loss - one.history[0].loss) / one.history[0].loss).toBeLessThan(2e-3);
  }, 120_000);
});

describe('Engine pools sharing one wasm memory', () => {
  it("memory 'shared' gives one thread's logits for every shipped model, split by images and, for small batches, by kernel rows", async () => {
    const { readFile: read } = await import('node:fs/promises');
    const { startSharedPool } = await import('../src/infer/shared-pool.js');
    const { spawnNodeWorker } = await import('../src/node/pool.js');
    const { sharedWasmUrl } = await import('../src/node/wasm-file.js');
    const module = await WebAssembly.compile(await read(sharedWasmUrl()));
    const data = await loadFashionMnist(SUBSET_DIR);
    for (const name of ['fashion-cnn-1w1a', 'fashion-cnn-1w4a', 'fashion-resnet-1w1a', 'fashion-mobilenet-4w4a']) {
      const bytes = await readFile(new URL(`../models/${name}.lbm`, import.meta.url));
      const one = await Engine.load(bytes);
      // the public option, and 3 threads splitting every kernel call of small batches into 3 row ranges
      const pools = [await Engine.load(bytes, { threads: 2, memory: 'shared' }) as EnginePool, await startSharedPool(spawnNodeWorker, module, bytes, 3, { split: 'always', minNs: 0 })];
      for (const p of pools) {
        for (const n of [1, 2, 7, 17, 300]) {
          const px = data.test.images.subarray(0, n * 784);
          expect(await p.logits(px, n), `${name} ${p.threads} threads n=${n}`).toEqual(one.logits(px, n));
        }
        p.dispose();
        await expect(p.predict(data.test.images.subarray(0, 784), 1)).rejects.toMatchObject({ code: 'DISPOSED' });
      }
      one.dispose();
    }
  }, 120_000);

  it('row parts cover the rows once, aligned, and a bad memory option is named', async () => {
    const { rowParts } = await import('../src/infer/row-split.js');
    for (const [rows, parts, align] of [[1, 2, 1], [7, 3, 4], [49, 3, 4], [196, 2, 2], [5, 8, 2], [784, 3, 1]]) {
      const p = rowParts(rows, parts, align);
      expect(p[0][0]).toBe(0);
      expect(p.at(-1)![1]).toBe(rows);
      for (let i = 0; i < p.length; i++) {
        expect(p[i][0] % align).toBe(0);
        expect(p[i][1]).toBeGreaterThan(p[i][0]);
        if (i) expect(p[i][0]).toBe(p[i - 1][1]);
      }
      expect(p.length).toBeLessThanOrEqual(parts);
    }
    const bytes = await readFile(new URL('../models/fashion-cnn-1w1a.lbm', import.meta.url));
    await expect(Engine.load(bytes, { threads: 2, memory: 'mirrored' as never })).rejects.toThrow(/memory must be 'replicated' or 'shared', got mirrored/);
  });
});
