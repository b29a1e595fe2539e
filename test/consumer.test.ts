// lowbit as a user gets it: `npm pack`, installed into a fresh project, the README's code snippets
// typechecked under --strict and run there, and the tarball's contents checked.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtemp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { loadFashionMnist, SUBSET_DIR } from '../src/node/index.js';

const root = new URL('..', import.meta.url).pathname;
const run = (cmd: string, args: string[], cwd: string) => execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' } });

/** The README's ```js blocks that import lowbit. */
async function snippets(): Promise<string[]> {
  const md = await readFile(join(root, 'README.md'), 'utf8');
  return [...md.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]).filter((s) => /from 'lowbit'/.test(s));
}

const idx = (dims: number[], body: Uint8Array) => {
  const h = new Uint8Array(4 + 4 * dims.length);
  h.set([0, 0, 8, dims.length]);
  dims.forEach((d, i) => new DataView(h.buffer).setUint32(4 + 4 * i, d));
  return gzipSync(Uint8Array.from([...h, ...body]));
};

describe('the packed package in a fresh project', () => {
  it('installs offline, typechecks and runs the README snippets, and ships only what it should', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lowbit-consumer-'));
    const packed = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', dir], root))[0] as { filename: string; files: { path: string }[] };
    const files = packed.files.map((f) => f.path);
    for (const f of ['LICENSE', 'package.json', 'README.md', 'dist/lowbit.js', 'dist/node/lowbit.js', 'dist/index.d.ts', 'dist/node/index.d.ts', 'dist/engine.bundle.js', 'build/lowbit.wasm', 'build/lowbit-relaxed.wasm', 'build/lowbit-shared.wasm', 'build/lowbit-relaxed-shared.wasm', 'models/fashion-cnn-1w4a.lbm', 'dist/node/cli.js']) expect(files, f).toContain(f);
    for (const f of files) expect(f, 'nothing from the repository but the build, models and docs').toMatch(/^(dist\/|build\/lowbit(-relaxed)?(-shared)?\.wasm$|models\/|LICENSE$|README\.md$|package\.json$)/);
    expect(files.some((f) => f.startsWith('data/'))).toBe(false);

    await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    const install = run('npm', ['install', '--offline', '--no-audit', '--no-fund', join(dir, packed.filename)], dir);
    expect(install).not.toMatch(/warn/i);

    // a tiny Fashion-MNIST folder for the training snippet
    const data = await loadFashionMnist(SUBSET_DIR), fm = join(dir, 'fm');
    await mkdir(fm);
    await writeFile(join(fm, 'train-images-idx3-ubyte.gz'), idx([256, 28, 28], data.train.images.subarray(0, 256 * 784)));
    await writeFile(join(fm, 'train-labels-idx1-ubyte.gz'), idx([256], data.train.labels.subarray(0, 256)));
    await writeFile(join(fm, 't10k-images-idx3-ubyte.gz'), idx([100, 28, 28], data.test.images.subarray(0, 100 * 784)));
    await writeFile(join(fm, 't10k-labels-idx1-ubyte.gz'), idx([100], data.test.labels.subarray(0, 100)));

    const code = await snippets();
    expect(code.length).toBeGreaterThanOrEqual(3);
    const names = await Promise.all(code.map(async (s, i) => { const n = `snippet${i}.ts`; await writeFile(join(dir, n), `${s}\nexport {};\n`); return n; }));
    await writeFile(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, noEmit: true, target: 'es2022', module: 'nodenext', moduleResolution: 'nodenext', skipLibCheck: false, types: ['node'], typeRoots: [join(root, 'node_modules/@types')] }, files: names }));
    let tsc = '';
    try { tsc = run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', '.'], dir); } catch (e) { tsc = String((e as { stdout?: string }).stdout) + String((e as { stderr?: string }).stderr); }
    expect(tsc).toBe('');
    for (const [i, s] of code.entries()) {
      await writeFile(join(dir, `snippet${i}.mjs`), s);
      const out = run(process.execPath, [`snippet${i}.mjs`, fm], dir);
      if (/Engine.load/.test(s)) expect(out).toMatch(/Trouser/);
      if (/runEpoch/.test(s)) expect(out).toMatch(/epoch 3: loss [\d.]+, test accuracy [\d.]+%/);
    }
    const cli = run(join(dir, 'node_modules/.bin/lowbit'), ['info', join(dir, 'node_modules/lowbit/models/fashion-cnn-1w1a.lbm')], dir);
    expect(cli).toMatch(/binary xnor-popcount/);
  }, 300_000);
});
