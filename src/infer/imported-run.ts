// Running an imported model: float input in the source model's layout (e.g. NCHW) is checked,
// turned to NHWC and run through the plan; the last value leaves in the source model's output
// layout (NCHW, DepthToSpace). Both layout changes run in wasm. Installed into the Engine by the
// 'lowbit' entry (./imported.ts).
import { LowbitError, checkInt } from '../errors.js';
import { planValues } from './format.js';
import type { ImportedContext } from './engine.js';

export function runImported(ctx: ImportedContext, input: Uint8Array | Float32Array, count: number): Float32Array {
  checkInt('count', count, 1, 2 ** 24);
  const io = ctx.plan.io!, inDims = io.input.join('x'), inPer = io.input.reduce((a, b) => a * b, 1);
  if (!(input instanceof Float32Array)) throw new LowbitError('BAD_ARGUMENT', `run takes a Float32Array of ${count} x ${inDims} values for this imported model`);
  if (input.length !== count * inPer) throw new LowbitError('BAD_SHAPE', `input has ${input.length} values but ${count} sample(s) of ${inDims} need ${count * inPer}`);
  let lay = layouts.get(ctx);
  if (!lay) layouts.set(ctx, (lay = layoutOf(ctx)));
  const { toNHWC, fromNHWC, outPer, stage } = lay, [h, w, c] = ctx.plan.inputShape, [lh, lw, lc] = lay.last, d2s = io.depthToSpace;
  const heap = ctx.lb.heap, wasm = heap.wasm, out = new Float32Array(count * outPer), runners = ctx.runners, vals: number[] = [];
  for (let from = 0; from < count; from += ctx.chunk) {
    const n = Math.min(ctx.chunk, count - from), src = input.subarray(from * inPer, (from + n) * inPer);
    const x = ctx.inputs[0](n * inPer * 4), given = toNHWC ? stage(n * inPer * 4) : x;
    heap.write(given, src);
    const nan = wasm.firstNaNF32(given, n * inPer);
    if (nan >= 0) throw new LowbitError('BAD_ARGUMENT', `Engine.run: input value ${from * inPer + nan} is NaN`);
    if (toNHWC) for (let i = 0; i < n; i++) wasm.transposeF32(given + i * inPer * 4, c, h * w, x + i * inPer * 4); // [c][h w] -> [h w][c]
    vals.length = 0;
    vals.push(x);
    for (const r of runners) vals.push(r.run(r.inputs.length === 1 ? [vals[r.inputs[0]]] : r.inputs.map((v) => vals[v]), n));
    let y = vals[vals.length - 1];
    if (fromNHWC) {
      const s = stage(n * outPer * 4);
      wasm.nhwcToOutputF32(y, n, lh, lw, lc, d2s?.block ?? 1, d2s?.mode === 'CRD' ? 0 : 1, io.outputLayout === 'nchw' ? 1 : 0, s);
      y = s;
    }
    heap.read(Float32Array, y, n * outPer, out.subarray(from * outPer, (from + n) * outPer));
  }
  return out;
}

interface Layout { toNHWC: boolean; fromNHWC: boolean; last: number[]; outPer: number; stage: (bytes: number) => number }
/** per Engine, made at its first run: which layout changes it needs, and a buffer for the input in the caller's layout and the output before its layout change */
const layouts = new WeakMap<object, Layout>();
function layoutOf(ctx: ImportedContext): Layout {
  const io = ctx.plan.io!, last = planValues(ctx.plan).at(-1)!.shape, lc = last[2];
  return {
    toNHWC: io.inputLayout === 'nchw' && ctx.plan.inputShape[2] > 1, fromNHWC: io.depthToSpace !== undefined || (io.outputLayout === 'nchw' && lc > 1),
    last: [...last], outPer: last[0] * last[1] * lc, stage: ctx.resident.slot(),
  };
}
