// Running an imported model: float input in the source model's layout (e.g. NCHW) is checked,
// turned to NHWC and run through the plan; the last value leaves in the source model's output
// layout (NCHW, DepthToSpace). Installed into the Engine by the 'lowbit' entry (./imported.ts).
import { LowbitError, checkInt } from '../errors.js';
import { planValues } from './format.js';
import type { ImportedContext } from './engine.js';

interface Layouts { toNHWC?: number; fromNHWC?: number; outPer: number; stage: (bytes: number) => number }
/** per Engine: its index maps in wasm memory and a staging buffer, made at the first run */
const cached = new WeakMap<object, Layouts>();

export function runImported(ctx: ImportedContext, input: Uint8Array | Float32Array, count: number): Float32Array {
  checkInt('count', count, 1, 2 ** 24);
  const io = ctx.plan.io!, inDims = io.input.join('x'), inPer = io.input.reduce((a, b) => a * b, 1);
  if (!(input instanceof Float32Array)) throw new LowbitError('BAD_ARGUMENT', `run takes a Float32Array of ${count} x ${inDims} values for this imported model`);
  if (input.length !== count * inPer) throw new LowbitError('BAD_SHAPE', `input has ${input.length} values but ${count} sample(s) of ${inDims} need ${count * inPer}`);
  let lay = cached.get(ctx);
  if (!lay) cached.set(ctx, (lay = layouts(ctx)));
  const { toNHWC, fromNHWC, outPer, stage } = lay;
  const heap = ctx.lb.heap, wasm = heap.wasm, out = new Float32Array(count * outPer), runners = ctx.runners, vals: number[] = [];
  for (let from = 0; from < count; from += ctx.chunk) {
    const n = Math.min(ctx.chunk, count - from), src = input.subarray(from * inPer, (from + n) * inPer);
    const x = ctx.inputs[0](n * inPer * 4), given = toNHWC ? stage(n * inPer * 4) : x;
    heap.write(given, src);
    const nan = wasm.firstNaNF32(given, n * inPer);
    if (nan >= 0) throw new LowbitError('BAD_ARGUMENT', `Engine.run: input value ${from * inPer + nan} is NaN`);
    if (toNHWC) wasm.gatherRowsF32(given, n, inPer, toNHWC, x);
    vals.length = 0;
    vals.push(x);
    for (const r of runners) vals.push(r.run(r.inputs.length === 1 ? [vals[r.inputs[0]]] : r.inputs.map((v) => vals[v]), n));
    let y = vals[vals.length - 1];
    if (fromNHWC) { const s = stage(n * outPer * 4); wasm.gatherRowsF32(y, n, outPer, fromNHWC, s); y = s; }
    heap.read(Float32Array, y, n * outPer, out.subarray(from * outPer, (from + n) * outPer));
  }
  return out;
}

/**
 * Index maps between the source layouts and NHWC, NHWC[j] = input[toNHWC[j]] and output[j] =
 * NHWC[fromNHWC[j]], written once into the Engine's own (per-thread) memory.
 */
function layouts(ctx: ImportedContext): Layouts {
  const io = ctx.plan.io!, [h, w, c] = ctx.plan.inputShape;
  let toNHWC: Int32Array | undefined;
  if (io.inputLayout === 'nchw' && c > 1) {
    toNHWC = new Int32Array(h * w * c);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let ch = 0; ch < c; ch++) toNHWC[(y * w + x) * c + ch] = (ch * h + y) * w + x;
  }
  const [lh, lw, lc] = planValues(ctx.plan).at(-1)!.shape, outPer = lh * lw * lc;
  let fromNHWC: Int32Array | undefined;
  const d2s = io.depthToSpace;
  if (d2s || (io.outputLayout === 'nchw' && lc > 1)) {
    const b = d2s?.block ?? 1, oc = lc / (b * b), oh = lh * b, ow = lw * b;
    fromNHWC = new Int32Array(outPer);
    for (let ch = 0; ch < oc; ch++) for (let y = 0; y < oh; y++) for (let x = 0; x < ow; x++) {
      const by = y % b, bx = x % b;
      // DepthToSpace DCR: source channel (by b + bx) oc + ch; CRD: ch b^2 + by b + bx
      const src = !d2s ? ch : d2s.mode === 'DCR' ? (by * b + bx) * oc + ch : ch * b * b + by * b + bx;
      const at = io.outputLayout === 'nchw' ? (ch * oh + y) * ow + x : (y * ow + x) * oc + ch;
      fromNHWC[at] = (Math.floor(y / b) * lw + Math.floor(x / b)) * lc + src;
    }
  }
  const r = ctx.resident, inWasm = (m?: Int32Array) => (m ? r.put(m) : undefined);
  return { toNHWC: inWasm(toNHWC), fromNHWC: inWasm(fromNHWC), outPer, stage: r.slot() };
}
