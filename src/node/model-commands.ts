// `lowbit export | eval | info | infer | bench`: the model file's commands.
import { importOnnxModel } from '../onnx/import.js';
import { exportQonnx } from '../onnx/export-qonnx.js';
import { quantizeOnnx } from '../onnx/ptq.js';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { LowbitError } from '../errors.js';
import { init } from './index.js';
import { loadFashionMnist } from './fashion-mnist.js';
import { MAX_FILE_BYTES, readFileBounded, writeFileAtomic } from './files.js';
import { modelFromCheckpoint, provenance } from './train-command.js';
import { compile } from '../infer/compile.js';
import { encodeModel, decodeModel } from '../infer/format.js';
import { Engine } from '../infer/engine.js';
import { stepConvSize, stepOutputShape, type PlanNode, type PlanStep } from '../infer/plan.js';
import { decodePng, isPng, resizeGray } from '../data/png.js';
import { FASHION_MNIST_CLASSES, imageSet, readIdx, type ImageSet } from '../data/idx.js';

const readBytes = (path: string, what: 'model' | 'checkpoint' | 'image') => readFileBounded(path, MAX_FILE_BYTES[what], what);

export async function loadEngine(path: string): Promise<Engine> {
  return Engine.load(await readBytes(path, 'model'), { runtime: await init() });
}

/** Checkpoint -> integer-only model file. */
export async function exportModel(ckpt: string, out: string, log: (l: string) => void, format: 'lbm' | 'qonnx' = 'lbm'): Promise<void> {
  const { model, config, epochs, history, source } = await modelFromCheckpoint(await readBytes(ckpt, 'checkpoint'), ckpt);
  try {
    const acc = history.at(-1)?.testAccuracy ?? NaN;
    if (format === 'qonnx') {
      const bytes = exportQonnx(model);
      await writeFileAtomic(out, bytes);
      log(`${out}: ${bytes.length.toLocaleString('en-US')} bytes, QONNX (Quant / BipolarQuant, NCHW float input in [0, 1]), from ${ckpt} (epoch ${epochs})`);
      return;
    }
    const bytes = encodeModel(compile(model, FASHION_MNIST_CLASSES, provenance(config, acc, epochs, source)));
    await writeFileAtomic(out, bytes);
    log(`${out}: ${bytes.length.toLocaleString('en-US')} bytes, integer-only, from ${ckpt} (epoch ${epochs}${Number.isFinite(acc) ? `, test accuracy ${(100 * acc).toFixed(2)}%` : ''})`);
  } finally {
    model.dispose();
  }
}

/** lowbit import: an ONNX / QONNX file to a model file, with what each layer became. */
export async function importModel(onnxPath: string, out: string, log: (l: string) => void): Promise<void> {
  const r = importOnnxModel(await readBytes(onnxPath, 'model'));
  for (const line of r.summary) log(line);
  log(r.floatNodes.length ? `in float: ${r.floatNodes.join('; ')}` : 'every layer runs on integer kernels');
  await writeFileAtomic(out, r.model);
  const io = r.plan.io!;
  log(`${out}: ${r.model.length.toLocaleString('en-US')} bytes (from ${onnxPath}, ${(await stat(onnxPath)).size.toLocaleString('en-US')} bytes); input ${io.input.join('x')}${io.inputLayout === 'nchw' ? ' (NCHW)' : ''}, output ${io.output.join('x')}`);
}

/** [h, w, c] of the images a model takes: its pixels, or an imported model's [1, h, w] (NCHW gray) or square [h w] input. */
function imageShape(engine: Engine): number[] {
  const dims = engine.inputShape, side = Math.round(Math.sqrt(dims[0]));
  if (!engine.plan.io) return dims;
  if (dims.length === 3 && dims[0] === 1) return [dims[1], dims[2], 1];
  if (dims.length === 1 && side * side === dims[0]) return [side, side, 1];
  throw new LowbitError('BAD_DATA', `the model takes [${dims.join(', ')}] inputs, not gray images; run it from the API with engine.run`);
}

/** u8 pixels as an imported model's float input: / 255 (unit) or as they are (raw). */
function floatPixels(px: Uint8Array, pixels: 'unit' | 'raw'): Float32Array {
  const out = new Float32Array(px.length), unit = pixels === 'unit';
  for (let i = 0; i < px.length; i++) out[i] = unit ? px[i] / 255 : px[i]; // once per pixel (Float32Array.from with a map is ~50x slower)
  return out;
}

/** lowbit quantize: a float ONNX model and calibration images to an integer-only model file. */
export async function quantizeModel(onnxPath: string, out: string, o: { calib: string; count: number; pixels: 'unit' | 'raw'; wbits: 8 | 4 | 2 | 1; abits: 8 | 4 | 2; method: 'minmax' | 'mse' | 'multipoint'; actRange?: 'minmax' | 'mse' | 'percentile'; biasCorrection?: boolean }, log: (l: string) => void): Promise<void> {
  let bytes = await readBytes(onnxPath, 'model');
  if (new TextDecoder().decode(bytes.subarray(0, 6)) === 'LBCKPT') {
    // a lowbit training checkpoint: its float model, as a float ONNX graph, is what gets quantized
    const { model } = await modelFromCheckpoint(bytes, onnxPath);
    try { bytes = exportQonnx(model); } finally { model.dispose(); }
  }
  const idx = await readIdx(await readFileBounded(o.calib, MAX_FILE_BYTES.data, 'data'), o.calib);
  const per = idx.dims.slice(1).reduce((a, b) => a * b, 1), n = Math.min(o.count, idx.dims[0]);
  const calibration = floatPixels(idx.data.subarray(0, n * per), o.pixels);
  const t0 = performance.now();
  const r = await quantizeOnnx(bytes, { calibration, count: n, wbits: o.wbits, abits: o.abits, method: o.method, actRange: o.actRange, biasCorrection: o.biasCorrection }, await init());
  for (const line of r.summary) log(line);
  for (const a of r.ranges) log(`range ${a.name}: [${a.min.toPrecision(4)}, ${a.max.toPrecision(4)}] -> ${o.abits}-bit ${a.signed ? 'signed' : 'unsigned'}, step ${a.scale.toPrecision(4)}`);
  for (const l of r.snr) log(`SNR ${l.layer} (${l.output}): ${l.snrDb.toFixed(1)} dB, float vs quantized model on ${Math.min(n, 64)} calibration samples`);
  await writeFileAtomic(out, r.model);
  log(`${out}: ${r.model.length.toLocaleString('en-US')} bytes, ${o.wbits}-bit weights, ${o.abits}-bit activations (${o.method}, ${n} calibration images, ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

/** Where `lowbit eval` reads its test set: a Fashion-MNIST folder, an IDX pair, or a PNG folder per class. */
export interface EvalSource { data?: string; images?: string; labels?: string; pngDir?: string; pixels?: 'unit' | 'raw' }

/** PNG files in one folder per class (named by class name or index), resized to the model's input. */
async function pngTestSet(dir: string, classes: string[], h: number, w: number): Promise<ImageSet> {
  const folders = await readdir(dir, { withFileTypes: true }).catch((e: NodeJS.ErrnoException) => { throw new LowbitError('DATA_MISSING', `--png-dir ${dir}: ${e.code ?? e.message}`); });
  const images: Uint8Array[] = [], labels: number[] = [];
  for (const f of folders) {
    if (!f.isDirectory()) continue;
    const label = /^\d+$/.test(f.name) ? Number(f.name) : classes.indexOf(f.name);
    if (!(label >= 0 && label < classes.length)) throw new LowbitError('BAD_DATA', `--png-dir: folder '${f.name}' is not a class of the model (${classes.join(', ')}, or 0..${classes.length - 1})`);
    for (const file of (await readdir(join(dir, f.name))).filter((n) => n.toLowerCase().endsWith('.png')).sort()) {
      const p = join(dir, f.name, file);
      images.push(resizeGray(await decodePng(await readBytes(p, 'image'), p), w, h));
      labels.push(label);
    }
  }
  if (!images.length) throw new LowbitError('DATA_MISSING', `--png-dir ${dir} holds no PNG files in class folders (DIR/<class>/*.png)`);
  const all = new Uint8Array(images.length * h * w);
  images.forEach((im, i) => all.set(im, i * h * w));
  return { images: all, labels: Uint8Array.from(labels), count: images.length, height: h, width: w };
}

async function evalSet(src: EvalSource, classes: string[], h: number, w: number): Promise<{ set: ImageSet; source: string }> {
  const given = [src.data !== undefined, src.images !== undefined || src.labels !== undefined, src.pngDir !== undefined].filter(Boolean).length;
  if (given > 1) throw new LowbitError('BAD_ARGUMENT', 'give one test set: --data, --images with --labels, or --png-dir');
  if (src.pngDir !== undefined) return { set: await pngTestSet(src.pngDir, classes, h, w), source: src.pngDir };
  if (src.images !== undefined || src.labels !== undefined) {
    if (!src.images || !src.labels) throw new LowbitError('BAD_ARGUMENT', '--images and --labels go together');
    const read = async (p: string) => readIdx(await readFileBounded(p, MAX_FILE_BYTES.data, 'data file'), p);
    return { set: imageSet(await read(src.images), await read(src.labels), classes.length, src.images), source: src.images };
  }
  const data = await loadFashionMnist(src.data);
  return { set: data.test, source: data.source };
}

export async function evalModel(path: string, src: EvalSource, log: (l: string) => void): Promise<number> {
  const engine = await loadEngine(path);
  const io = engine.plan.io, [h, w, c] = imageShape(engine);
  const { set: t, source } = await evalSet(src, engine.classes, h, w);
  const data = { source };
  if (t.height !== h || t.width !== w || c !== 1) throw new LowbitError('BAD_DATA', `the model takes ${h}x${w}x${c} images, the test set has ${t.height}x${t.width}x1`);
  const t0 = performance.now();
  const px = t.images.subarray(0, t.count * h * w);
  const pred = io ? engine.predict(floatPixels(px, src.pixels ?? 'unit'), t.count) : engine.predict(px, t.count);
  const secs = (performance.now() - t0) / 1000;
  const k = engine.classes.length, conf = new Int32Array(k * k);
  let hits = 0;
  for (let i = 0; i < t.count; i++) { conf[t.labels[i] * k + pred[i]]++; if (pred[i] === t.labels[i]) hits++; } // per image
  const names = engine.classes;
  log(`${path} on ${data.source} (${t.count} test images): accuracy ${pct(hits / t.count)}, ${(t.count / secs).toFixed(0)} images/s`);
  log('\nper class:');
  for (let a = 0; a < k; a++) {
    const n = conf.subarray(a * k, a * k + k).reduce((x, y) => x + y, 0);
    log(`  ${names[a].padEnd(12)} ${n ? pct(conf[a * k + a] / n).padStart(7) : '    n/a'}  (${n} images)`);
  }
  log('\nconfusion matrix (rows: true class, columns: predicted):');
  log(`  ${''.padEnd(12)} ${names.map((_, j) => String(j).padStart(5)).join('')}`);
  for (let a = 0; a < k; a++) log(`  ${`${a} ${names[a]}`.slice(0, 12).padEnd(12)} ${Array.from(conf.subarray(a * k, a * k + k), (v) => String(v).padStart(5)).join('')}`);
  engine.dispose();
  return hits / t.count;
}

/** Weights of a step: out x k x k x (input channels per group). */
const weightsOf = (s: PlanStep): number => s.out * s.k * s.k * (s.c / (s.groups ?? 1));
function macsOf(s: PlanStep): number {
  const [oh, ow] = stepConvSize(s);
  return oh * ow * weightsOf(s);
}
function macKind(s: PlanStep): string {
  if ((s.groups ?? 1) > 1) return `depthwise (${s.weightBits}-bit weights x ${s.input === 'bits' ? 'sign bits' : `${s.inBits}-bit ${s.input}`})`;
  if (s.weights === 'binary') return s.input === 'bits' ? 'binary xnor-popcount (1x1 bit)' : `bit-serial (1-bit weights x ${s.inBits}-bit codes)`;
  return s.input === 'bits' ? `int8 weights x sign bits` : `${s.weightBits}-bit weights x ${s.inBits}-bit ${s.input === 'pixels' ? 'pixels' : 'codes'} (int8 affine)`;
}

/** One line for a step: its layer, precision, output step and shape. */
function stepLine(s: PlanStep): string {
  const out = stepOutputShape(s), n = weightsOf(s);
  const extra = `${s.stride && s.stride > 1 ? ` stride ${s.stride}` : ''}${(s.groups ?? 1) > 1 ? ' depthwise' : ''}`;
  const what = s.kind === 'conv' ? `conv ${s.k}x${s.k} ${s.c}->${s.out} ${s.padding}${extra}` : `dense ${s.c}->${s.out}`;
  const post = s.output === 'codes' ? `-> ${s.outBits}-bit codes (thresholds)` : s.output === 'bits' ? '-> sign bits (threshold)' : s.output === 'stream' ? '-> int32 stream' : '-> logits (scale, bias)';
  const zeros = `${s.inZero ? `, input zero point ${s.inZero}` : ''}${s.wZero ? ', weight zero point per channel' : ''}`;
  return `${what}, ${s.weightBits}-bit weights, ${s.input}${s.input === 'codes' ? ` (${s.inBits}-bit)` : ''}${zeros} in ${post}${s.pool ? `, max pool ${s.pool}` : ''}; out ${out.join('x')}; ${n.toLocaleString('en-US')} weights`;
}

/** One line for a graph node that is not a step. */
function nodeLine(n: Exclude<PlanNode, { op: 'step' }>): string {
  const from = `value${n.inputs.length > 1 ? 's' : ''} ${n.inputs.join(', ')}`;
  switch (n.op) {
    case 'add': return `add ${from} (int32 streams, shifts ${n.shifts.join(', ')})`;
    case 'avgpool': return `average pool ${n.k.join('x')} stride ${n.strides.join('x')} of ${from} -> int32 window sums${n.shift ? ` >> ${n.shift}` : ''}`;
    case 'concat': return `concat ${from} (channels)`;
    case 'threshold': return `threshold ${from} -> ${n.output === 'bits' ? 'sign bits' : `${n.outBits}-bit codes`}`;
    case 'requant': return `requantize ${from} (per-channel scale and offset) -> int32 stream`;
    case 'prelu': return `PReLU on ${from} (per-channel slopes) -> int32 stream`;
    case 'fstep': return `float ${n.kind === 'conv' ? `conv ${n.k.join('x')} stride ${n.strides.join('x')}${n.groups > 1 ? ` groups ${n.groups}` : ''}` : 'dense'} of ${from} -> ${n.out} channels${n.relu ? ', ReLU' : ''} (float32)`;
    case 'quantize': return `quantize ${from} -> ${n.outBits}-bit codes (float thresholds)`;
    case 'dequant': return `dequantize ${from} -> float32 (per-channel scale, offset)`;
    case 'fmaxpool': return `float max pool ${n.k.join('x')} of ${from}`;
    case 'favgpool': return `float average pool ${n.k.join('x')} stride ${n.strides.join('x')} of ${from}`;
    case 'fadd': return `float add ${from}`;
    case 'softmax': return `softmax of ${from}`;
    case 'scodes': return `${n.k[0] > 1 ? `max pool ${n.k[0]}x${n.k[0]} and ` : ''}clamp ${from} -> ${n.outBits}-bit codes (requantized stream)`;
    case 'fpoly': return `quadratic activation (${n.coef[0]}) x^2 + (${n.coef[1]}) x + (${n.coef[2]}) of ${from} (float32)`;
    default: return `${(n as { op: string }).op} of ${from}`; // a node kind without its own line here
  }
}

export async function infoModel(path: string, log: (l: string) => void): Promise<void> {
  const bytes = await readBytes(path, 'model');
  const plan = decodeModel(bytes), size = (await stat(path)).size;
  log(`${path}: ${size.toLocaleString('en-US')} bytes, input ${plan.inputShape.join('x')}, ${plan.classes.length} classes (${plan.classes.join(', ')})`);
  if (Object.keys(plan.meta).length) log(`provenance: ${JSON.stringify(plan.meta)}`);
  const byKind = new Map<string, number>();
  let params = 0;
  for (const s of plan.steps) {
    params += weightsOf(s);
    byKind.set(macKind(s), (byKind.get(macKind(s)) ?? 0) + macsOf(s));
  }
  if (plan.graph) {
    log('\ngraph (value 0: the pixels; node i writes value i + 1):');
    plan.graph.forEach((n, i) => log(`  ${i}: ${n.op === 'step' ? `${stepLine(plan.steps[n.step])} (from value ${n.inputs[0]})` : nodeLine(n)}`));
  } else {
    log('\nlayers:');
    plan.steps.forEach((s, i) => log(`  ${i}: ${stepLine(s)}`));
  }
  log(`\nweights: ${params.toLocaleString('en-US')}; MACs per image by kind:`);
  for (const [k, m] of byKind) log(`  ${k}: ${(m / 1e6).toFixed(2)} M`);
}

/** Classify each file; a file that fails gets an error line and the rest go on. True when all succeeded. */
export async function inferImages(path: string, files: string[], raw: boolean, log: (l: string) => void, logError: (l: string) => void, pixels: 'unit' | 'raw' = 'unit'): Promise<boolean> {
  if (!files.length) throw new LowbitError('BAD_ARGUMENT', 'give one or more images: PNG files, or raw 28x28 bytes with --raw');
  const engine = await loadEngine(path), [h, w, c] = imageShape(engine);
  let ok = true;
  for (const f of files) {
    let px: Uint8Array;
    try {
      const bytes = await readBytes(f, 'image');
      if (raw) {
        if (bytes.length !== h * w * c) throw new LowbitError('BAD_IMAGE', `${f}: ${bytes.length} bytes is not a raw ${h}x${w}x${c} image (${h * w * c} bytes)`);
        px = bytes;
      } else if (isPng(bytes)) px = resizeGray(await decodePng(bytes, f), w, h);
      else throw new LowbitError('BAD_IMAGE', `${f}: not a PNG${bytes.length === h * w * c ? ` (for raw ${h}x${w}x${c} pixels, pass --raw)` : ''}`);
    } catch (e) {
      if (!(e instanceof LowbitError)) throw e;
      logError(`${f}: error: ${e.message}`);
      ok = false;
      continue;
    }
    const t0 = performance.now();
    const z = engine.plan.io ? engine.run(floatPixels(px, pixels), 1) : engine.logits(px, 1);
    const us = (performance.now() - t0) * 1000;
    const best = Array.from(z).indexOf(Math.max(...z));
    const e = Array.from(z, (v) => Math.exp(v - z[best])), sum = e.reduce((a, b) => a + b, 0);
    log(`${f}: ${engine.classes[best]} (class ${best}, p ${(e[best] / sum).toFixed(3)}, ${us.toFixed(0)} us)`);
  }
  engine.dispose();
  return ok;
}

export async function benchModel(path: string, log: (l: string) => void): Promise<void> {
  const t0 = performance.now();
  const bytes = await readBytes(path, 'model');
  const engine = await Engine.load(bytes, { runtime: await init() });
  // u8 pixels, or an imported model's float input (its own layout)
  const per = engine.inputShape.reduce((a, b) => a * b, 1), io = !!engine.plan.io;
  const one = io ? new Float32Array(per).fill(0.5) : new Uint8Array(per).fill(128);
  engine.predict(one, 1);
  const cold = performance.now() - t0;
  const lat: number[] = [];
  for (let i = 0; i < 300; i++) { const s = performance.now(); engine.predict(one, 1); lat.push(performance.now() - s); }
  lat.sort((a, b) => a - b);
  const batch = io ? new Float32Array(64 * per).map((_, i) => ((i * 7) & 255) / 255) : new Uint8Array(64 * per).map((_, i) => (i * 7) & 255);
  engine.predict(batch, 64);
  let n = 0;
  const s = performance.now();
  while (performance.now() - s < 1000) { engine.predict(batch, 64); n += 64; }
  const ips = n / ((performance.now() - s) / 1000);
  log(`${path}: load + first prediction ${cold.toFixed(1)} ms; batch 1 latency median ${(lat[150] * 1000).toFixed(0)} us (p90 ${(lat[270] * 1000).toFixed(0)} us); batch 64 ${ips.toFixed(0)} images/s`);
  engine.dispose();
}
