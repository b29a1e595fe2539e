// compileGraph(model): a trained graph Model -> an integer-only graph plan (version 2 file).
// The nodes are lowered in topological order, each by its op's `lower` rule (in its op file,
// src/ops/), over the shared state and rules of ./lowering.ts; the last value must be a weight
// layer's pending sums, which become the logits.
import type { Model } from '../graph/model.js';
import type { Plan } from './plan.js';
import { stepConvSize } from './plan.js';
import { cannotCompile, Lowering } from './lowering.js';

export function compileGraph(model: Model, classes: string[], meta: Record<string, unknown> = {}): Plan {
  if (model.inputShapes.length !== 1 || model.outputs.length !== 1) throw cannotCompile(`integer plans take one input and one output; this model has ${model.inputShapes.length} and ${model.outputs.length}`);
  const inShape = model.inShape;
  if (inShape.length !== 3) throw cannotCompile(`the model input must be [height, width, channels] pixels, got [${inShape.join(', ')}]`);
  const ctx = new Lowering(model), first = model.inputShapes.length;
  model.nodes.forEach((node, i) => {
    const l = node.layer, out = first + i;
    if (ctx.absorbed.has(i)) { ctx.iv[out] = ctx.iv[node.inputs[0]]; return; }
    const name = `node ${i} (${l.name})`;
    if (!l.lower) throw cannotCompile(`${name}: ${l.op} has no integer form (a float ReLU needs --abits 1..8: sign or a quantized ReLU)`);
    ctx.iv[out] = l.lower(ctx, { i, name, inputs: node.inputs, out });
  });

  const last = ctx.iv[model.outputs[0]];
  if (last.kind !== 'pending') throw cannotCompile('the model must end in a dense or conv layer (optionally with batch norm) giving the logits');
  const s = last.step;
  if (stepConvSize(s)[0] * stepConvSize(s)[1] !== 1) throw cannotCompile('the logits layer must give one value per class (a 1x1 output)');
  if (s.out !== classes.length) throw cannotCompile(`the model has ${s.out} outputs but ${classes.length} class names were given`);
  Object.assign(s, { output: 'logits', outBits: 32, pool: 0, scale: Float32Array.from(last.A), bias: Float32Array.from(last.B) });
  ctx.steps.push(s);
  ctx.emit({ op: 'step', inputs: [last.from], step: ctx.steps.length - 1 });
  return { inputShape: [inShape[0], inShape[1], inShape[2]], classes, steps: ctx.steps, graph: ctx.graph, meta };
}
