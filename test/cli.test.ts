// The `lowbit` command line (dist/node/cli.js, built by `npm test`), run as a user would.
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CLI = new URL('../dist/node/cli.js', import.meta.url).pathname;

function lowbit(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

describe('lowbit train', () => {
  it('--help documents every flag the parser accepts', async () => {
    const r = await lowbit('train', '--help');
    expect(r.code).toBe(0);
    const src = await readFile(new URL('../src/node/cli.ts', import.meta.url), 'utf8');
    const train = src.slice(src.indexOf('export function parseTrainArgs'));
    const options = train.slice(train.indexOf('options: {'), train.indexOf('help: {'));
    const flags = [...options.matchAll(/'?([a-z-]+)'?: \{ type:/g)].map((m) => m[1]);
    expect(flags.length).toBeGreaterThan(20);
    for (const f of flags) expect(r.stdout, `--${f}`).toMatch(new RegExp(`--${f}\\b`));
  });

  it.each([
    [['--wbits', '3'], /wbits must be one of 1, 2, 4, 8, 32, got 3/],
    [['--abits', 'four'], /--abits must be a number, got 'four'/],
    [['--optimizer', 'rmsprop'], /--optimizer must be one of bcgd, binaryconnect, binaryrelax, sgd, adam, got 'rmsprop'/],
    [['--bogus'], /Unknown option '--bogus'.*lowbit train --help/],
    [['--epochs', '0'], /--epochs must be a positive integer, got 0/],
    [['--resume'], /--resume needs --out FILE/],
    [['--wbits', '32', '--optimizer', 'bcgd'], /bcgd blends float weights toward their quantized values/],
  ])('a bad flag value exits 2 with a clear message: %j', async (args, message) => {
    const r = await lowbit('train', ...(args as string[]));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message as RegExp);
  });

  it('a missing data folder names the folder and the fix', async () => {
    const r = await lowbit('train', '--data', '/nonexistent/fmnist', '--epochs', '1');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--data \/nonexistent\/fmnist does not exist; pass a folder holding Fashion-MNIST/);
  });

  it('trains, checkpoints atomically, resumes, and refuses a resume with other flags', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lowbit-cli-'));
    const out = join(dir, 'run.ckpt');
    const flags = ['--arch', 'mlp', '--wbits', '1', '--abits', '2', '--data', 'subset', '--limit', '512', '--epochs', '2', '--quiet', '--out', out];
    const first = await lowbit('train', ...flags);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/epoch 2\/2: loss [\d.]+, train [\d.]+%, test [\d.]+%/);
    expect(first.stdout).toMatch(/test accuracy [\d.]+% \(mlp 1W2A/);
    expect(await readdir(dir)).toEqual(['run.ckpt']); // no temporary file left
    const again = await lowbit('train', ...flags, '--resume');
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/resumed .* after epoch 2 of 2/);
    const other = await lowbit('train', ...flags, '--resume', '--lr', '0.1');
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/was trained with lr = 0.05, this run asks 0.1/);
    await writeFile(out, 'not a checkpoint');
    const corrupt = await lowbit('train', ...flags, '--resume');
    expect(corrupt.code).toBe(1);
    expect(corrupt.stderr).toMatch(/not a lowbit training checkpoint \(bad magic\)/);
  });

  it('a NaN loss stops with a clear message and writes no checkpoint', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lowbit-cli-'));
    const r = await lowbit('train', '--arch', 'mlp', '--wbits', '32', '--abits', '32', '--optimizer', 'sgd', '--lr', '1e30', '--schedule', 'constant',
      '--data', 'subset', '--limit', '256', '--epochs', '1', '--quiet', '--out', join(dir, 'nan.ckpt'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/the loss became (NaN|Infinity) in epoch 1, batch \d+: training stopped; lower the learning rate/);
    expect(await readdir(dir)).toEqual([]);
  });
});

describe('lowbit export / eval / info / infer', () => {
  const model = new URL('../models/fashion-cnn-1w4a.lbm', import.meta.url).pathname;

  it('info lists the layers, bit widths and MACs by kind', async () => {
    const r = await lowbit('info', model);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/conv 3x3 32->64 same, 1-bit weights, codes \(4-bit\) in -> 4-bit codes/);
    expect(r.stdout).toMatch(/bit-serial \(1-bit weights x 4-bit codes\): [\d.]+ M/);
  });

  it('eval reports accuracy, per-class accuracy and a confusion matrix', async () => {
    const r = await lowbit('eval', model, '--data', 'subset');
    expect(r.code).toBe(0);
    const acc = Number(/accuracy ([\d.]+)%/.exec(r.stdout)![1]);
    expect(acc).toBeGreaterThan(85); // the shipped model on the 1000-image subset test split
    expect(r.stdout).toMatch(/Ankle boot\s+[\d.]+%\s+\(100 images\)/);
    expect(r.stdout.split('\n').filter((l) => /^\s+\d \S/.test(l)).length).toBe(10); // 10 matrix rows
  });

  it('infer classifies raw 28x28 bytes and PNG files; bad inputs get clear errors', async () => {
    const { loadFashionMnist, SUBSET_DIR } = await import('../src/node/index.js');
    const { encodePng } = await import('./png-encode.js');
    const data = await loadFashionMnist(SUBSET_DIR);
    const dir = await mkdtemp(join(tmpdir(), 'lowbit-infer-'));
    // the first test image of class 1 (trouser): raw and as a 56x56 PNG (resized back by area)
    const i = data.test.labels.indexOf(1), img = data.test.images.subarray(i * 784, (i + 1) * 784);
    const big = new Uint8Array(56 * 56).map((_, j) => img[(Math.floor(Math.floor(j / 56) / 2)) * 28 + Math.floor((j % 56) / 2)]);
    await writeFile(join(dir, 'trouser.raw'), img);
    await writeFile(join(dir, 'trouser.png'), encodePng(big, 56, 56, 0));
    await writeFile(join(dir, 'short.raw'), img.subarray(0, 100));
    const r = await lowbit('infer', model, join(dir, 'trouser.raw'), join(dir, 'trouser.png'));
    expect(r.stderr).toBe('');
    expect(r.stdout.match(/: Trouser \(class 1, p [\d.]+, \d+ us\)/g)?.length).toBe(2);
    const bad = await lowbit('infer', model, join(dir, 'short.raw'));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/not a PNG, and 100 bytes is not a raw 28x28x1 image \(784 bytes\)/);
    const missing = await lowbit('eval', join(dir, 'nope.lbm'));
    expect(missing.stderr).toMatch(/cannot read model .*nope.lbm \(ENOENT\)/);
    await writeFile(join(dir, 'junk.lbm'), 'LBM\0junk');
    expect((await lowbit('info', join(dir, 'junk.lbm'))).stderr).toMatch(/model file: truncated: 8 bytes/);
  });

  it('export compiles a checkpoint into a model that eval runs', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lowbit-export-'));
    const ck = join(dir, 'r.ckpt'), lbm = join(dir, 'r.lbm');
    expect((await lowbit('train', '--arch', 'mlp', '--wbits', '2', '--abits', '2', '--data', 'subset', '--limit', '256', '--epochs', '1', '--quiet', '--out', ck)).code).toBe(0);
    const e = await lowbit('export', ck, '--model', lbm);
    expect(e.stdout).toMatch(/r.lbm: [\d,]+ bytes, integer-only, from .*r.ckpt \(epoch 1, test accuracy [\d.]+%\)/);
    const ev = await lowbit('eval', lbm, '--data', 'subset');
    expect(ev.code).toBe(0);
    expect(Number(/accuracy ([\d.]+)%/.exec(ev.stdout)![1])).toBeGreaterThan(30);
  });
});
