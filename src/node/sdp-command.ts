// lowbit sdp: train a two-layer quantized net (bipolar first layer, quadratic activation) by
// semidefinite programming on images or CSV features, report the relaxation's value, its certified
// bound, the sampled net's objective and accuracy (optionally against an STE-trained net of the
// same width), and write the net as a model file the Engine runs.
import { parseArgs } from 'node:util';
import { LowbitError } from '../errors.js';
import { readIdx, imageSet } from '../data/idx.js';
import { loadFashionMnist } from './fashion-mnist.js';
import { MAX_FILE_BYTES, checkWritable, readFileBounded, writeFileAtomic } from './files.js';
import { init } from './wasm-file.js';
import { Engine } from '../infer/engine.js';
import { applyProjection, fitProjection } from '../sdp/features.js';
import { accuracy, classifierScores, trainSdpClassifier, type SdpClassifier } from '../sdp/classifier.js';
import { trainSteClassifier } from '../sdp/ste.js';
import { exportSdpClassifier } from '../sdp/export.js';
import type { Polynomial } from '../sdp/problem.js';

export const SDP_HELP = `Usage: lowbit sdp [--data DIR|subset | --images F --labels F [--test-images F --test-labels F] | --csv F [--test-csv F]] [-o MODEL.lbm] [options]

Train a two-layer quantized net f_c(x) = sum_j alpha_cj sigma(x . u_j), u_j in {-1,+1}^d,
sigma(t) = a t^2 + b t + c, by its convex (semidefinite) relaxation: one relaxation per class
(one-vs-rest), neurons sampled from the solutions (Grothendieck), output weights refit by the lasso.
Prints the relaxation's value, its certified lower bound and the sampled net's objective (squared
loss on one-hot targets + beta |alpha|, summed over classes), then train and test accuracy.
  --data DIR|subset       Fashion-MNIST (default: Debian's copy, else the subset shipped with the source)
  --images F --labels F   any IDX image / label files; --test-images / --test-labels for the test set
  --csv F                 numeric CSV, one sample per line, the class index (0, 1, ...) last; a header line is skipped
  --test-csv F            its test set
  --d N                   features after the projection (default 64; images have 784 pixels)
  --projection pca|random|none   how inputs become d features (default pca; none keeps every input)
  --neurons M             neurons to sample in all, spread over the classes (default 200)
  --beta B                l1 weight on the output weights (default 1)
  --act a,b,c             the activation's coefficients (default 1,1,0)
  --iterations N          solver iterations per class (default 500)
  --time-limit S          at most this many seconds of solver time per class (default 600); the value and bound
                          printed stay valid, the bound is looser
  --limit N               training samples used (default 10000)
  --bits K                bits of the feature codes the binary layer reads in the model file (default 8)
  --ste                   also train the same net by the straight-through estimator (Adam) and compare
  --ste-epochs N          its epochs (default 20)
  --seed N                (default 1)
  -o, --out FILE          write the model file (.lbm); it is loaded back and its test accuracy printed
`;

interface Data { train: { rows: Float64Array; labels: Uint8Array; n: number }; test?: { rows: Float64Array; labels: Uint8Array; n: number }; inputs: number; classes: string[]; input: number[]; source: string }

const int = (flag: string, v: string | undefined, fallback: number, min: number, max: number) => {
  const n = v === undefined ? fallback : Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new LowbitError('BAD_ARGUMENT', `--${flag} must be an integer in ${min}..${max}, got '${v}'`);
  return n;
};

export async function sdpCommand(args: string[], log: (l: string) => void): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: false, options: {
      data: { type: 'string' }, images: { type: 'string' }, labels: { type: 'string' }, 'test-images': { type: 'string' }, 'test-labels': { type: 'string' },
      csv: { type: 'string' }, 'test-csv': { type: 'string' }, d: { type: 'string' }, projection: { type: 'string' }, neurons: { type: 'string' },
      beta: { type: 'string' }, act: { type: 'string' }, iterations: { type: 'string' }, 'time-limit': { type: 'string' }, limit: { type: 'string' }, bits: { type: 'string' },
      ste: { type: 'boolean' }, 'ste-epochs': { type: 'string' }, seed: { type: 'string' }, out: { type: 'string', short: 'o' }, help: { type: 'boolean', short: 'h' },
    } });
  } catch (e) {
    throw new LowbitError('BAD_ARGUMENT', `${(e as Error).message.replace(/\. To specify .*$/s, '')}; see lowbit sdp --help`);
  }
  const v = parsed.values;
  if (v.help) { process.stdout.write(SDP_HELP); return 0; }
  const beta = v.beta === undefined ? 1 : Number(v.beta);
  if (!(beta >= 0 && Number.isFinite(beta))) throw new LowbitError('BAD_ARGUMENT', `--beta must be a number >= 0, got '${v.beta}'`);
  const coef = (v.act ?? '1,1,0').split(',').map(Number);
  if (coef.length !== 3 || !coef.every(Number.isFinite) || coef[0] === 0) throw new LowbitError('BAD_ARGUMENT', `--act must be three numbers a,b,c with a != 0, got '${v.act}'`);
  const act: Polynomial = { a: coef[0], b: coef[1], c: coef[2] };
  const projection = v.projection ?? 'pca';
  if (projection !== 'pca' && projection !== 'random' && projection !== 'none') throw new LowbitError('BAD_ARGUMENT', `--projection must be pca, random or none, got '${projection}'`);
  const neurons = int('neurons', v.neurons, 200, 1, 100_000), iterations = int('iterations', v.iterations, 500, 1, 1e7), limit = int('limit', v.limit, 10_000, 2, 1e7);
  const timeLimit = v['time-limit'] === undefined ? 600 : Number(v['time-limit']);
  if (!(timeLimit > 0 && Number.isFinite(timeLimit))) throw new LowbitError('BAD_ARGUMENT', `--time-limit must be a positive number of seconds, got '${v['time-limit']}'`);
  const bits = int('bits', v.bits, 8, 2, 8), seed = int('seed', v.seed, 1, 0, 2 ** 31), steEpochs = int('ste-epochs', v['ste-epochs'], 20, 1, 10_000);
  if (v.out) await checkWritable(v.out, '--out');

  const data = await loadData(v, limit);
  const d = projection === 'none' ? data.inputs : int('d', v.d, Math.min(64, data.inputs), 1, data.inputs);
  const lb = await init(), classes = data.classes.length, { train, test } = data;
  log(`data: ${data.source}: ${train.n} training${test ? ` and ${test.n} test` : ''} samples of ${data.inputs} inputs, ${classes} classes`);
  let t0 = performance.now();
  const proj = fitProjection(train.rows, train.n, data.inputs, d, { method: projection, seed, heap: lb.heap });
  const x = applyProjection(proj, train.rows, train.n), xt = test ? applyProjection(proj, test.rows, test.n) : undefined;
  log(`projection: ${projection}, ${data.inputs} -> ${d} features (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  t0 = performance.now();
  const res = trainSdpClassifier(x, train.labels, train.n, d, classes, {
    neurons, beta, act, heap: lb.heap, maxIterations: iterations, timeLimitMs: timeLimit * 1000, seed,
    onClass: (c, s) => log(`class ${c} (${data.classes[c]}): relaxation ${s.value.toFixed(4)}, bound ${s.lower.toFixed(4)} (gap ${(s.value - s.lower).toFixed(4)}), ${s.iterations} iterations, ${(s.ms / 1000).toFixed(1)} s${s.clipped < 0 ? `; sin(pi/2 Zhat) not PSD, sampled from its projection (eigenvalue ${s.clipped.toPrecision(3)} removed)` : ''}`),
  });
  const sdpSeconds = (performance.now() - t0) / 1000;
  const report = (name: string, net: SdpClassifier, objective: number, seconds: number) => {
    const trainAcc = accuracy(classifierScores(net, x, train.n, lb.heap), train.labels, train.n, classes);
    const testAcc = xt && test ? accuracy(classifierScores(net, xt, test.n, lb.heap), test.labels, test.n, classes) : undefined;
    log(`${name}: ${net.m} neurons, objective ${objective.toFixed(4)}, train accuracy ${(100 * trainAcc).toFixed(2)}%${testAcc === undefined ? '' : `, test accuracy ${(100 * testAcc).toFixed(2)}%`}, ${seconds.toFixed(1)} s`);
  };
  log(`relaxation (sum over classes): ${res.sdpValue.toFixed(4)}; certified lower bound ${res.lowerBound.toFixed(4)} (no net of this form, of any width, does better); primal-dual gap ${(res.sdpValue - res.lowerBound).toFixed(4)}`);
  report('SDP-sampled net', res.net, res.netObjective, sdpSeconds);
  if (v.ste) {
    t0 = performance.now();
    const ste = trainSteClassifier(x, train.labels, train.n, d, classes, { m: res.net.m, beta, act, epochs: steEpochs, seed, heap: lb.heap });
    report('STE-trained net', ste.net, ste.objective, (performance.now() - t0) / 1000);
  }
  if (v.out) {
    // the feature codes cover the 99.99th percentile of |x| on the training set
    const mags = Float64Array.from(x, Math.abs).sort(), range = mags[Math.min(mags.length - 1, Math.floor(0.9999 * mags.length))] || 1;
    const bytes = exportSdpClassifier(res.net, proj, { range, bits, input: data.input, classes: data.classes, meta: { beta, trainSamples: train.n } });
    await writeFileAtomic(v.out, bytes);
    let line = `${v.out}: ${bytes.length.toLocaleString('en-US')} bytes (projection float32, ${res.net.m} x ${d} binary weights on ${bits}-bit feature codes, ${classes} x ${res.net.m} float output weights)`;
    if (test) {
      const engine = await Engine.load(bytes, { runtime: lb }), out = engine.run(Float32Array.from(test.rows), test.n);
      line += `; the Engine's test accuracy ${(100 * accuracy(Float64Array.from(out), test.labels, test.n, classes)).toFixed(2)}%`;
    }
    log(line);
  }
  return 0;
}

async function loadData(v: Record<string, string | boolean | undefined>, limit: number): Promise<Data> {
  const str = (k: string) => v[k] as string | undefined;
  if (str('csv')) {
    if (str('images') || str('data')) throw new LowbitError('BAD_ARGUMENT', 'give one data source: --csv, --images / --labels, or --data');
    const train = await readCsv(str('csv')!, limit), test = str('test-csv') ? await readCsv(str('test-csv')!, Infinity) : undefined;
    if (test && test.inputs !== train.inputs) throw new LowbitError('BAD_DATA', `${str('test-csv')} has ${test.inputs} features but ${str('csv')} has ${train.inputs}`);
    const classes = Math.max(...train.labels, ...(test?.labels ?? [])) + 1;
    if (classes < 2) throw new LowbitError('BAD_DATA', `${str('csv')}: labels must take at least two values`);
    return { train, test, inputs: train.inputs, classes: Array.from({ length: classes }, (_, c) => String(c)), input: [train.inputs], source: str('csv')! };
  }
  const fromImages = (images: Uint8Array, labels: Uint8Array, count: number, per: number, max: number) => {
    const n = Math.min(count, max);
    return { rows: Float64Array.from(images.subarray(0, n * per), (p) => p / 255), labels: labels.slice(0, n), n };
  };
  if (str('images') || str('labels')) {
    if (!str('images') || !str('labels')) throw new LowbitError('BAD_ARGUMENT', '--images and --labels go together');
    const read = async (f: string) => readIdx(await readFileBounded(f, MAX_FILE_BYTES.data, 'data'), f);
    const [im, lab] = [await read(str('images')!), await read(str('labels')!)];
    const classes = Math.max(...lab.data) + 1, set = imageSet(im, lab, 256, str('images'));
    let test;
    if (str('test-images') || str('test-labels')) {
      if (!str('test-images') || !str('test-labels')) throw new LowbitError('BAD_ARGUMENT', '--test-images and --test-labels go together');
      const ts = imageSet(await read(str('test-images')!), await read(str('test-labels')!), classes, str('test-images'));
      if (ts.height !== set.height || ts.width !== set.width) throw new LowbitError('BAD_DATA', `test images are ${ts.height}x${ts.width}, training images ${set.height}x${set.width}`);
      test = fromImages(ts.images, ts.labels, ts.count, ts.height * ts.width, Infinity);
    }
    const per = set.height * set.width;
    return { train: fromImages(set.images, set.labels, set.count, per, limit), test, inputs: per, classes: Array.from({ length: classes }, (_, c) => String(c)), input: [1, set.height, set.width], source: str('images')! };
  }
  const fm = await loadFashionMnist(str('data'));
  const per = fm.train.height * fm.train.width;
  return {
    train: fromImages(fm.train.images, fm.train.labels, fm.train.count, per, limit), test: fromImages(fm.test.images, fm.test.labels, fm.test.count, per, Infinity),
    inputs: per, classes: fm.classes, input: [1, fm.train.height, fm.train.width], source: `Fashion-MNIST (${fm.source})`,
  };
}

/** A numeric CSV: features then the class index on each line; an unparsable first line is a header. */
async function readCsv(path: string, limit: number): Promise<{ rows: Float64Array; labels: Uint8Array; n: number; inputs: number }> {
  const text = new TextDecoder().decode(await readFileBounded(path, MAX_FILE_BYTES.data, 'CSV file'));
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const parse = (l: string) => l.split(',').map((s) => (s.trim() === '' ? NaN : Number(s)));
  const header = lines.length > 0 && !parse(lines[0]).every(Number.isFinite) ? 1 : 0; // file line of lines[i]: i + 1 + header (blank lines aside)
  if (header) lines.shift();
  if (!lines.length) throw new LowbitError('BAD_DATA', `${path}: no data lines`);
  const width = parse(lines[0]).length, n = Math.min(lines.length, limit);
  if (width < 2) throw new LowbitError('BAD_DATA', `${path}: a line needs at least one feature and the label`);
  const rows = new Float64Array(n * (width - 1)), labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const f = parse(lines[i]);
    if (f.length !== width) throw new LowbitError('BAD_DATA', `${path}: line ${i + 1 + header} has ${f.length} fields, the first has ${width}`);
    const bad = f.findIndex((x) => !Number.isFinite(x));
    if (bad >= 0) throw new LowbitError('BAD_DATA', `${path}: line ${i + 1 + header}, field ${bad + 1} is not a finite number`);
    const label = f[width - 1];
    if (!Number.isInteger(label) || label < 0 || label > 255) throw new LowbitError('BAD_DATA', `${path}: line ${i + 1 + header}: the label ${label} must be a class index in 0..255`);
    rows.set(f.slice(0, -1), i * (width - 1));
    labels[i] = label;
  }
  return { rows, labels, n, inputs: width - 1 };
}
