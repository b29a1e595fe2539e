// The runner of one graph-plan node: a weight step (./step/step.ts), an integer node kind
// (./nodes/registry.ts), or a float node of an imported model (./float-nodes.ts, installed by the
// 'lowbit' entry: lowbit/engine has none).
import type { Plan, PlanNode } from './plan.js';
import type { Resident } from './resident.js';
import type { RunBuffer, NodeRunner, ValueInfo } from './nodes/node-op.js';
import { intNode, type IntNode } from './nodes/registry.js';
import { stepRunner } from './step/step.js';

export type { NodeRunner };
type FloatRunners = (r: Resident, node: PlanNode, ins: ValueInfo[], out: RunBuffer) => NodeRunner;
let floatRunners: FloatRunners | undefined;
/** The runners of imported models' float nodes (./float-nodes.ts), installed by the 'lowbit' entry. */
export function setFloatRunners(f: FloatRunners): void { floatRunners = f; }

/** The runner of `node` reading values `ins`, writing its output `y` into `out`. */
export function makeNodeRunner(r: Resident, plan: Plan, node: PlanNode, ins: ValueInfo[], out: RunBuffer, y: ValueInfo): NodeRunner {
  if (node.op === 'step') { const run = stepRunner(r, plan.steps[node.step], ins[0].shape, out); return (xs, n) => run(xs[0], n); }
  const op = intNode(node.op);
  return op ? op.run(r, node as IntNode, ins, out, y) : floatRunners!(r, node, ins, out); // a float node: only in a file the float format accepted
}
