// examples/deno in the real Deno (npm package `deno`), no network: classifies the shipped subset
// and image files with a shipped model.
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadFashionMnist, SUBSET_DIR } from '../src/node/index.js';
import { encodePng } from './png-encode.js';

const root = new URL('..', import.meta.url).pathname;
function deno(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(join(root, 'node_modules/.bin/deno'), ['run', '--allow-read', '--no-prompt', '--config', join(root, 'examples/deno/deno.json'), join(root, 'examples/deno/classify.ts'), ...args],
      { timeout: 60_000, env: { ...process.env, DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' } },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }));
  });
}

describe('examples/deno', () => {
  it('classifies the shipped test split with the relaxed-SIMD build', async () => {
    const r = await deno('--count', '300');
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^deno 2\.\d+\.\d+; lowbit relaxed-SIMD build;/);
    expect(Number(/accuracy ([\d.]+)% on 300 images/.exec(r.stdout)![1])).toBeGreaterThan(85);
  });

  it('runs the test split on 2 Web Workers with the same predictions', async () => {
    const [one, two] = [await deno('--count', '300'), await deno('--count', '300', '--threads', '2')];
    expect(two.stderr).toBe('');
    expect(two.stdout).toMatch(/^2 threads \(Web Workers\)$/m);
    const acc = (s: string) => /accuracy ([\d.]+)% on 300 images/.exec(s)![1];
    expect(acc(two.stdout)).toBe(acc(one.stdout));
    const first5 = (s: string) => s.split('\n').filter((l) => l.startsWith('image ')).join('\n');
    expect(first5(two.stdout)).toBe(first5(one.stdout));
  });

  it('classifies a PNG and a raw image file with the 1W1A model', async () => {
    const data = await loadFashionMnist(SUBSET_DIR), dir = await mkdtemp(join(tmpdir(), 'lowbit-deno-'));
    const i = data.test.labels.indexOf(5), img = data.test.images.subarray(i * 784, (i + 1) * 784); // a sandal
    await writeFile(join(dir, 'sandal.raw'), img);
    await writeFile(join(dir, 'sandal.png'), encodePng(img, 28, 28, 0));
    const r = await deno('--model', join(root, 'models/fashion-cnn-1w1a.lbm'), join(dir, 'sandal.raw'), join(dir, 'sandal.png'));
    expect(r.code).toBe(0);
    expect(r.stdout.match(/: Sandal \(class 5\)/g)?.length).toBe(2);
    const g = await deno('--model', join(root, 'models/fashion-resnet-1w1a.lbm'), join(dir, 'sandal.png')); // a graph model
    expect(g.code, g.stderr).toBe(0);
    expect(g.stdout).toMatch(/: Sandal \(class 5\)/);
  });
});
