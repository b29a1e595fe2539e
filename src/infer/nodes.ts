// Runners of a graph plan's non-step nodes (./plan.ts PlanNode): residual adds, pooling sums,
// channel concatenation and thresholds on int32 streams. Kernels: assembly/int-graph.ts.
import { flipMasks } from '../kernels/threshold.js';
import type { PlanNode, ValueKind } from './plan.js';
import { signedThresholds } from './runners.js';
import type { Resident } from './resident.js';

/** Runs a node on its input pointers for `n` images; returns where its output is. */
export type NodeRunner = (xs: number[], n: number) => number;

type Shape = readonly [number, number, number];

type FloatRunners = (r: Resident, node: PlanNode, inShapes: Shape[], inKinds: ValueKind[]) => NodeRunner;
let floatRunners: FloatRunners | undefined;
/** The runners of imported models' float nodes (./float-nodes.ts), installed by the 'lowbit' entry. */
export function setFloatRunners(f: FloatRunners): void { floatRunners = f; }

export function makeNodeRunner(r: Resident, node: Exclude<PlanNode, { op: 'step' }>, inShapes: Shape[], inKinds: ValueKind[]): NodeRunner {
  const wasm = r.heap.wasm, out = r.slot(), [h, w, c] = inShapes[0], per = h * w * c;
  switch (node.op) {
    case 'add':
      return (xs, n) => {
        const y = out(n * per * 4);
        wasm.addShiftedI32(xs[0], node.shifts[0], xs[1], node.shifts[1], y, n * per);
        for (let i = 2; i < xs.length; i++) wasm.addShiftedI32(y, 0, xs[i], node.shifts[i], y, n * per);
        return y;
      };
    case 'avgpool': {
      const [kh, kw] = node.k, [sh, sw] = node.strides, oh = Math.floor((h - kh) / sh) + 1, ow = Math.floor((w - kw) / sw) + 1;
      // codes: u8 sums; sign bits: unpacked to bytes 0 / 2 and summed less 1 each (the +-1 they stand for)
      const kind = inKinds[0], bytes = kind === 'bits' ? r.slot('u8') : undefined, words = 2 * Math.ceil(c / 64);
      return (xs, n) => {
        const y = out(n * oh * ow * c * 4);
        if (kind === 'stream') wasm.sumPoolI32(xs[0], n, h, w, c, kh, kw, sh, sw, oh, ow, node.shift, y);
        else {
          let x = xs[0];
          if (bytes) { x = bytes(n * h * w * c); wasm.unpackBitsU8(xs[0], n * h * w, words, c, 2, x); }
          wasm.sumPoolU8(x, n, h, w, c, kh, kw, sh, sw, oh, ow, bytes ? 1 : 0, y);
        }
        return y;
      };
    }
    case 'concat': {
      const widths = inShapes.map((s) => s[2]), total = widths.reduce((a, b) => a + b, 0), pixels = h * w;
      return (xs, n) => {
        const y = out(n * pixels * total * 4);
        let off = 0;
        xs.forEach((x, i) => { wasm.copyChannels(x, n * pixels, widths[i], y, total, off); off += widths[i]; });
        return y;
      };
    }
    case 'requant': {
      const mult = r.put(node.mult), addend = r.put(BigInt64Array.from(node.addend, (v) => BigInt(v)));
      return (xs, n) => { const y = out(n * per * 4); wasm.streamFromAcc(xs[0], n * h * w, c, mult, addend, node.shift, y); return y; };
    }
    case 'prelu': {
      const mult = r.put(node.mult);
      return (xs, n) => { const y = out(n * per * 4); wasm.preluI32(xs[0], n * h * w, c, mult, node.shift, y); return y; };
    }
    case 'threshold': {
      const k = node.pool ?? 0, oh = k ? Math.floor(h / k) : h, ow = k ? Math.floor(w / k) : w, pixels = oh * ow;
      const L = node.output === 'bits' ? 1 : 2 ** node.outBits - 1, folded = signedThresholds({ out: c, thresholds: node.thresholds, flip: node.flip }, L);
      const sign = r.put(folded.sign), pooled = r.slot('acc');
      // pooled: the max of the stream times the channel's sign (-1 where flipped), then unflipped thresholds
      const pool = (x: number, n: number) => { const y = pooled(n * pixels * c * 4); wasm.maxPoolSignedI32(x, n, h, w, c, k, sign, oh, ow, y); return y; };
      if (node.output === 'bits') {
        const thr = r.put(k ? folded.thr : node.thresholds), flip = r.put(k ? new Int32Array(c) : flipMasks(node.flip, c)), words = 2 * Math.ceil(c / 64);
        return (xs, n) => { const y = out(n * pixels * words * 4); wasm.thresholdPack(k ? pool(xs[0], n) : xs[0], n * pixels, c, thr, flip, y); return y; };
      }
      const thr = r.put(folded.thr), ones = k ? r.put(new Int32Array(c).fill(1)) : sign;
      return (xs, n) => { const y = out(n * pixels * c); wasm.multiThresholdSigned(k ? pool(xs[0], n) : xs[0], n * pixels, c, thr, L, ones, y); return y; };
    }
    default: return floatRunners!(r, node, inShapes, inKinds); // a float node: only in a file the float format accepted
  }
}
