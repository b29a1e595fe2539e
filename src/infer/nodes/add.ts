// Residual add of int32 streams: out = sum_i shift(q_i, shifts[i]), shift(x, s) = x << s or x >> -s
// (the compiler picks the shifts that bring the inputs to one scale). Kernel: assembly/int-graph.ts.
import { ints } from '../header-fields.js';
import { stream, type NodeOp } from './node-op.js';

export interface AddNode { op: 'add'; inputs: number[]; shifts: number[] }

export const add: NodeOp<AddNode> = {
  parse: (r, inputs, _t, at) => ({ op: 'add', inputs, shifts: ints(r.shifts, `${at}.shifts`, -31, 31, inputs.length, inputs.length) }),
  check(n, ins, need) {
    need(n.inputs.length >= 2 && n.shifts.length === n.inputs.length && n.shifts.every((x) => Number.isInteger(x) && x >= -31 && x <= 31), 'adds two or more streams, one shift in [-31, 31] each');
    const [h, w, c] = ins[0].shape;
    need(ins.every((x) => x.kind === 'stream' && x.shape[0] === h && x.shape[1] === w && x.shape[2] === c), 'adds streams of one shape');
    return stream(h, w, c);
  },
  run(r, n, [{ shape: [h, w, c] }], out) {
    const wasm = r.heap.wasm, per = h * w * c;
    return (xs, count) => {
      const y = out(count * per * 4);
      wasm.addShiftedI32(xs[0], n.shifts[0], xs[1], n.shifts[1], y, count * per);
      for (let i = 2; i < xs.length; i++) wasm.addShiftedI32(y, 0, xs[i], n.shifts[i], y, count * per);
      return y;
    };
  },
};
