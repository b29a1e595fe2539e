// A weight step's runner: the first kernel whose rule takes the step accumulates its int32 sums,
// then its output stage (./output.ts) turns them into the step's output value. Weights are packed
// into wasm once at load, in the kernels' operand layouts (the same wasm packing as lb.kernels).
import type { PlanStep } from '../plan.js';
import type { Resident } from '../resident.js';
import type { RunBuffer } from '../nodes/node-op.js';
import { StepContext, type Accumulate } from './context.js';
import { affine } from './affine.js';
import { depthwise } from './depthwise.js';
import { directConv } from './direct-conv.js';
import { lut, lutApplies } from './lut.js';
import { xnorConv } from './xnor-conv.js';
import { xnorConv32 } from './xnor-conv32.js';
import { xnorDense } from './xnor-dense.js';
import { withOutput } from './output.js';

/** Which kernel accumulates a step: the first rule that takes it. */
const KERNELS: [(s: PlanStep) => boolean, (g: StepContext) => Accumulate][] = [
  [(s) => (s.groups ?? 1) > 1, depthwise],
  [lutApplies, lut],
  [(s) => s.input !== 'bits' && s.kind === 'conv' && s.k * s.k * s.c <= 64, directConv],
  [(s) => s.input !== 'bits' || s.weights === 'int8', affine],
  [(s) => s.kind === 'conv' && s.c <= 32, xnorConv32],
  [(s) => s.kind === 'conv', xnorConv],
  [() => true, xnorDense],
];

/** The runner of step `s` reading a value of shape `inShape`, writing its output into `out`. */
export function stepRunner(r: Resident, s: PlanStep, inShape: readonly [number, number, number], out: RunBuffer): (x: number, n: number) => number {
  const g = new StepContext(r, s, inShape, out);
  return withOutput(g, KERNELS.find(([takes]) => takes(s))![1](g));
}
