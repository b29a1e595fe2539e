// RPReLU's middle on a stream: q (q >= 0) or (q mult[c]) >> shift (q < 0). Kernel: assembly/int-graph.ts.
import { int } from '../header-fields.js';
import { perChannel, type NodeOp } from './node-op.js';

export interface PReLUNode { op: 'prelu'; inputs: [number]; mult: Int32Array; shift: number }

export const prelu: NodeOp<PReLUNode> = {
  tensors: { mult: 'i32' },
  parse: (r, inputs, t, at) => ({ op: 'prelu', inputs: [inputs[0]], shift: int(r.shift, `${at}.shift`, 0, 62), mult: (t.mult as Int32Array | undefined) ?? new Int32Array(0) }),
  check: (n, ins, need) => perChannel(n, ins, need),
  run(r, n, [{ shape: [h, w, c] }], out) {
    const wasm = r.heap.wasm, mult = r.put(n.mult);
    return (xs, count) => { const y = out(count * h * w * c * 4); wasm.preluI32(xs[0], count * h * w, c, mult, n.shift, y); return y; };
  },
};
