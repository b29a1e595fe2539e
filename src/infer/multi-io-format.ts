// The inputs and outputs of a model of several (a version-3 file): parsing and validation, which
// ./format.ts calls once the 'lowbit' entry installs them (lowbit/engine refuses such files by name).
import type { Plan } from './plan.js';
import { bad, ints, shape3 } from './header-fields.js';
import { MAX_NODES, type MultiIOFormat } from './format.js';

export const multiIOFormat: MultiIOFormat = {
  parse(h, plan) {
    if (h.inputs !== undefined) {
      if (!Array.isArray(h.inputs) || h.inputs.length < 2 || h.inputs.length > 16) throw bad('inputs must be an array of 2..16 shapes');
      plan.inputs = h.inputs.map((s, j) => shape3(s, `inputs[${j}]`));
    }
    if (h.outputs !== undefined) plan.outputs = ints(h.outputs, 'outputs', 0, MAX_NODES + 16, 1, 16);
  },
  check(plan: Plan, k: number, nodes: number) {
    if (plan.io) throw bad('imported models take one input and give one output');
    if (plan.inputs?.[0].some((d, j) => d !== plan.inputShape[j])) throw bad('inputs must start with inputShape');
    const outs = plan.outputs ?? [];
    if (new Set(outs).size < outs.length || outs.some((v) => v < k || v >= k + nodes)) throw bad(`outputs must name distinct values of nodes (${k}..${k + nodes - 1})`);
  },
};
