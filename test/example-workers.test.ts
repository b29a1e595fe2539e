// examples/workers in the real workerd runtime (npm package `workerd`), over HTTP on loopback.
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createDeflate } from 'node:zlib';
import { loadFashionMnist, SUBSET_DIR } from '../src/node/index.js';
import { encodePng } from './png-encode.js';

const root = new URL('..', import.meta.url).pathname;
let proc: ChildProcess | undefined;
let base = '';
let log = '';

beforeAll(async () => {
  for (let attempt = 0; attempt < 5 && !base; attempt++) {
    const port = 20000 + Math.floor(Math.random() * 40000);
    proc = spawn(join(root, 'node_modules/.bin/workerd'), ['serve', join(root, 'examples/workers/config.capnp'), '--socket-addr', `http=127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout!.on('data', (d) => { log += d; });
    proc.stderr!.on('data', (d) => { log += d; });
    for (let i = 0; i < 100; i++) {
      await new Promise((r) => setTimeout(r, 100));
      if (proc.exitCode !== null) break;
      try { if ((await fetch(`http://127.0.0.1:${port}/`)).ok) { base = `http://127.0.0.1:${port}`; break; } } catch { /* not up yet */ }
    }
    if (!base) proc.kill();
  }
  if (!base) throw new Error(`workerd did not start: ${log}`);
}, 30_000);
afterAll(() => { proc?.kill(); });

const post = (body: Uint8Array | string) => fetch(`${base}/classify`, { method: 'POST', body });

describe('examples/workers', () => {
  it('GET / answers a usage text', async () => {
    const r = await fetch(`${base}/`);
    expect(r.status).toBe(200);
    expect(await r.text()).toMatch(/POST \/classify with a body of 784 raw bytes/);
  });

  it('POST /classify classifies raw bytes and a PNG', async () => {
    const data = await loadFashionMnist(SUBSET_DIR);
    const i = data.test.labels.indexOf(5), img = data.test.images.slice(i * 784, (i + 1) * 784); // a sandal
    for (const body of [img, encodePng(img, 28, 28, 0)]) {
      const r = await post(body);
      expect(r.status).toBe(200);
      const j = await r.json() as { label: string; class: number; scores: number[]; micros: number };
      expect(j.label).toBe('Sandal');
      expect(j.class).toBe(5);
      expect(j.scores).toHaveLength(10);
      expect(j.scores.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 3);
      expect(typeof j.micros).toBe('number');
    }
  });

  it('POST /classify?model=resnet runs the residual graph model and agrees with the Node Engine', async () => {
    const data = await loadFashionMnist(SUBSET_DIR);
    const { Engine } = await import('../src/node/index.js');
    const { readFile } = await import('node:fs/promises');
    const engine = await Engine.load(new Uint8Array(await readFile(join(root, 'models/fashion-resnet-1w1a.lbm'))));
    for (const i of [0, 1, 2, 3]) {
      const img = data.test.images.slice(i * 784, (i + 1) * 784);
      const r = await fetch(`${base}/classify?model=resnet`, { method: 'POST', body: img });
      expect(r.status).toBe(200);
      expect((await r.json() as { class: number }).class).toBe(engine.predict(img, 1)[0]);
    }
    engine.dispose();
    expect((await fetch(`${base}/classify?model=vgg`, { method: 'POST', body: new Uint8Array(784) })).status).toBe(400);
  });

  it('malformed bodies get 400, oversized 413, wrong routes 404 / 405; the isolate keeps serving', async () => {
    const bad = await post('abc');
    expect(bad.status).toBe(400);
    expect((await bad.json() as { error: string }).error).toMatch(/body must be a PNG or 784 raw bytes .* got 3 bytes/);
    const png = await post(Uint8Array.of(137, 80, 78, 71, 13, 10, 26, 10, 0, 0, 0, 13, 73, 72));
    expect(png.status).toBe(400);
    expect((await png.json() as { error: string }).error).toMatch(/truncated PNG/);
    const big = await post(new Uint8Array((1 << 20) + 1));
    expect(big.status).toBe(413);
    expect((await fetch(`${base}/classify`)).status).toBe(405);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    const ok = await post(new Uint8Array(784).fill(0));
    expect(ok.status).toBe(200);
  });

  it('a PNG decompression bomb (28x28 declared, 256 MiB inflated) gets a 400 within 50 ms', async () => {
    const deflate = createDeflate({ level: 9 }), parts: Buffer[] = [];
    deflate.on('data', (d: Buffer) => parts.push(d));
    const zero = Buffer.alloc(1 << 20);
    for (let i = 0; i < 256; i++) deflate.write(zero);
    await new Promise((r) => deflate.end(r));
    const bomb = encodePng([], 28, 28, 0, { zdata: Buffer.concat(parts) });
    expect(bomb.length).toBeLessThan(1 << 20);
    await post(new Uint8Array(784)); // warm
    const t0 = performance.now(), r = await post(bomb), ms = performance.now() - t0;
    expect(r.status).toBe(400);
    expect((await r.json() as { error: string }).error).toMatch(/inflates past the 812 bytes/);
    expect(ms).toBeLessThan(50); // wall time on loopback, an upper bound of the isolate's CPU time
    const huge = await post(encodePng([], 2000, 2000, 0, { zdata: new Uint8Array(8) }));
    expect((await huge.json() as { error: string }).error).toMatch(/PNG size 2000x2000 is not accepted/);
  });
});
