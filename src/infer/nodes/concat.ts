// Streams of one height and width joined along channels. Kernel: assembly/int-graph.ts.
import { stream, type NodeOp } from './node-op.js';

export interface ConcatNode { op: 'concat'; inputs: number[] }

export const concat: NodeOp<ConcatNode> = {
  parse: (_r, inputs) => ({ op: 'concat', inputs }),
  check(n, ins, need) {
    const [h, w] = ins[0].shape;
    need(n.inputs.length >= 2 && ins.every((x) => x.kind === 'stream' && x.shape[0] === h && x.shape[1] === w), 'joins two or more streams of one height and width');
    return stream(h, w, ins.reduce((a, x) => a + x.shape[2], 0));
  },
  run(r, _n, ins, out, { shape: [h, w, total] }) {
    const wasm = r.heap.wasm, widths = ins.map((v) => v.shape[2]);
    return (xs, count) => {
      const y = out(count * h * w * total * 4);
      let off = 0;
      xs.forEach((x, i) => { wasm.copyChannels(x, count * h * w, widths[i], y, total, off); off += widths[i]; });
      return y;
    };
  },
};
