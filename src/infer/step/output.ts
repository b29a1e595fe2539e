// A weight step's output stage, on its int32 sums [rows][out]: an int32 stream (as a requant node),
// sign bits or k-bit codes through per-channel thresholds with optional k x k max pooling (as a
// threshold node), or float logits (one scale and bias per class). Kernels: assembly/int-graph.ts,
// assembly/threshold.ts, assembly/pool.ts.
import { stepOutputShape } from '../plan.js';
import { requant } from '../nodes/requant.js';
import { threshold } from '../nodes/threshold.js';
import { stream, type NodeRunner } from '../nodes/node-op.js';
import type { Accumulate, StepContext } from './context.js';

/** The step's output stage as a node runner on its sums (a value of shape [oh, ow, out]). */
function stage(g: StepContext): NodeRunner {
  const { r, s, wasm, oh, ow } = g, sums = [stream(oh, ow, s.out)], y = stream(...stepOutputShape(s));
  if (s.output === 'stream') return requant.run(r, { op: 'requant', inputs: [0], mult: s.mult!, addend: s.addend!, shift: s.streamShift! }, sums, g.out, y);
  if (s.output !== 'logits') return threshold.run(r, { op: 'threshold', inputs: [0], output: s.output, outBits: s.outBits, thresholds: s.thresholds!, flip: s.flip!, pool: s.pool }, sums, g.out, y);
  const scale = r.put(s.scale!), bias = r.put(s.bias!);
  return ([acc], n) => { const z = g.out(n * oh * ow * s.out * 4); wasm.affineLogits(acc, n * oh * ow, s.out, scale, bias, z); return z; };
}

/** Sums, then the output stage; sign bits from a fused kernel are only pooled. */
export function withOutput(g: StepContext, accumulate: Accumulate): (x: number, n: number) => number {
  const { s, wasm, oh, ow } = g;
  if (accumulate.fusedBits) {
    if (!s.pool) return accumulate;
    const [ph, pw] = stepOutputShape(s), words = 2 * Math.ceil(s.out / 64);
    return (x, n) => { const b = accumulate(x, n), y = g.out(n * ph * pw * words * 4); wasm.maxPoolBits(b, n, oh, ow, words, s.pool, ph, pw, y); return y; };
  }
  const run = stage(g);
  return (x, n) => run([accumulate(x, n)], n);
}
