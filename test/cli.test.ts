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
    const options = src.slice(src.indexOf('options: {'), src.indexOf('help: {'));
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
