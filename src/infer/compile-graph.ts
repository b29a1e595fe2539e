// compileGraph(model): a trained graph Model -> an integer-only graph plan (a version 2 file, or 3
// with several inputs or outputs). The nodes are lowered in topological order, each by its op's
// `lower` rule (in its op file, src/ops/), over the shared state and rules of ./lowering.ts; every
// output must be a weight layer's pending sums, which become logits.
import type { Model } from '../graph/model.js';
import type { Plan } from './plan.js';
import { stepConvSize } from './plan.js';
import { cannotCompile, Lowering } from './lowering.js';

export function compileGraph(model: Model, classes: string[], meta: Record<string, unknown> = {}): Plan {
  const inputs = model.inputShapes, k = inputs.length;
  for (const s of inputs) if (s.length !== 3) throw cannotCompile(`every model input must be [height, width, channels] pixels, got [${s.join(', ')}]`);
  if (new Set(model.outputs).size < model.outputs.length || model.outputs.some((o) => o < k)) throw cannotCompile('the model outputs must be distinct values of layers, not inputs');
  const ctx = new Lowering(model);
  model.nodes.forEach((node, i) => {
    const l = node.layer, out = k + i;
    if (ctx.absorbed.has(i)) { ctx.iv[out] = ctx.iv[node.inputs[0]]; return; }
    const name = `node ${i} (${l.name})`;
    if (!l.lower) throw cannotCompile(`${name}: ${l.op} has no integer form (a float ReLU needs --abits 1..8: sign or a quantized ReLU)`);
    ctx.iv[out] = l.lower(ctx, { i, name, inputs: node.inputs, out });
  });

  // each output's pending sums become a logits step; the first output's classes are named
  const outputs = model.outputs.map((o, j) => {
    const last = ctx.iv[o], which = model.outputs.length > 1 ? `output ${j}: ` : '';
    if (last.kind !== 'pending') throw cannotCompile(`${which}the model must end in a dense or conv layer (optionally with batch norm) giving the logits`);
    const s = last.step;
    if (stepConvSize(s)[0] * stepConvSize(s)[1] !== 1) throw cannotCompile(`${which}the logits layer must give one value per class (a 1x1 output)`);
    if (j === 0 && s.out !== classes.length) throw cannotCompile(`the model has ${s.out} outputs but ${classes.length} class names were given`);
    Object.assign(s, { output: 'logits', outBits: 32, pool: 0, scale: Float32Array.from(last.A), bias: Float32Array.from(last.B) });
    ctx.steps.push(s);
    return ctx.emit({ op: 'step', inputs: [last.from], step: ctx.steps.length - 1 });
  });
  const [h, w, c] = inputs[0];
  return {
    inputShape: [h, w, c], classes, steps: ctx.steps, graph: ctx.graph, meta,
    ...(k > 1 ? { inputs: inputs.map((s) => [s[0], s[1], s[2]] as [number, number, number]) } : {}),
    ...(outputs.length > 1 ? { outputs } : {}),
  };
}
