// A stream to a stream: q' = (q mult[c] + addend[c]) >> shift, in int64 (batch norm, or a learnable
// shift, applied to a residual stream). Kernel: assembly/int-graph.ts.
import { int } from '../header-fields.js';
import { perChannel, type NodeOp } from './node-op.js';

export interface RequantNode { op: 'requant'; inputs: [number]; mult: Int32Array; addend: Float64Array; shift: number }

export const requant: NodeOp<RequantNode> = {
  tensors: { mult: 'i32', addend: 'f64' },
  parse: (r, inputs, t, at) => ({ op: 'requant', inputs: [inputs[0]], shift: int(r.shift, `${at}.shift`, 0, 62), mult: (t.mult as Int32Array | undefined) ?? new Int32Array(0), addend: (t.addend as Float64Array | undefined) ?? new Float64Array(0) }),
  check(n, ins, need) {
    const c = ins[0].shape[2];
    // |q| < 2^31 and |mult| < 2^31: the int64 products stay below 2^62, the addends too
    need(n.addend.length === c && n.addend.every((a) => Number.isInteger(a) && Math.abs(a) < 2 ** 62), `addend must hold ${c} integers below 2^62`);
    return perChannel(n, ins, need);
  },
  run(r, n, [{ shape: [h, w, c] }], out) {
    const wasm = r.heap.wasm, mult = r.put(n.mult), addend = r.put(BigInt64Array.from(n.addend, (v) => BigInt(v)));
    return (xs, count) => { const y = out(count * h * w * c * 4); wasm.streamFromAcc(xs[0], count * h * w, c, mult, addend, n.shift, y); return y; };
  },
};
