// Engine.runAll: a model of several inputs and outputs on u8 pixels, each input written to its
// value and every output read back. Installed into the Engine by the 'lowbit' entry (./imported.ts).
import { LowbitError } from '../errors.js';
import { checkPixels } from './batch.js';
import type { ImportedContext } from './engine.js';
import { planInputs } from './plan.js';

export function runAll(ctx: ImportedContext, inputs: Uint8Array[], count: number): Float32Array[] {
  if (ctx.plan.io) throw new LowbitError('BAD_ARGUMENT', 'an imported model: use run()');
  const shapes = planInputs(ctx.plan), heap = ctx.lb.heap, sizes = ctx.outSizes;
  if (!Array.isArray(inputs) || inputs.length !== shapes.length) throw new LowbitError('BAD_ARGUMENT', `the model takes ${shapes.length} input(s): pass runAll an array of that many Uint8Arrays`);
  const per = inputs.map((x, j) => checkPixels(x, count, shapes[j])), out = sizes.map((s) => new Float32Array(count * s));
  for (let from = 0; from < count; from += ctx.chunk) {
    const n = Math.min(ctx.chunk, count - from);
    const vals = inputs.map((x, j) => { const p = ctx.inputs[j](n * per[j]); heap.write(p, x.subarray(from * per[j], (from + n) * per[j])); return p; });
    for (const r of ctx.runners) vals.push(r.run(r.inputs.map((v) => vals[v]), n));
    ctx.outputs.forEach((v, j) => heap.read(Float32Array, vals[v], n * sizes[j], out[j].subarray(from * sizes[j], (from + n) * sizes[j])));
  }
  return out;
}
