// Average pooling as window sums ('valid' kh x kw windows, strides) of a stream (then >> shift),
// of codes, or of sign bits (the +-1 they stand for); the output is a stream and the division
// folds into whatever reads it. Kernels: assembly/int-graph.ts.
import { int, ints, MAX_DIM } from '../header-fields.js';
import { stream, type NodeOp } from './node-op.js';

export interface AvgPoolNode { op: 'avgpool'; inputs: [number]; k: [number, number]; strides: [number, number]; shift: number }

export const avgpool: NodeOp<AvgPoolNode> = {
  parse(r, inputs, _t, at) {
    const k = ints(r.k, `${at}.k`, 1, MAX_DIM, 2, 2), st = ints(r.strides, `${at}.strides`, 1, MAX_DIM, 2, 2);
    return { op: 'avgpool', inputs: [inputs[0]], k: [k[0], k[1]], strides: [st[0], st[1]], shift: int(r.shift, `${at}.shift`, 0, 40) };
  },
  check(n, ins, need) {
    const [h, w, c] = ins[0].shape, [kh, kw] = n.k, [sh, sw] = n.strides, kind = ins[0].kind;
    need(n.inputs.length === 1 && (kind === 'stream' || kind === 'codes' || kind === 'bits'), 'pools one stream, codes or bits value');
    need(kh <= h && kw <= w, `window ${kh}x${kw} is larger than the ${h}x${w} input`);
    need(kind === 'stream' || n.shift === 0, 'code and bit sums take no shift');
    return stream(Math.floor((h - kh) / sh) + 1, Math.floor((w - kw) / sw) + 1, c);
  },
  run(r, n, [{ shape: [h, w, c], kind }], out, { shape: [oh, ow] }) {
    const wasm = r.heap.wasm, [kh, kw] = n.k, [sh, sw] = n.strides;
    // codes: u8 sums; sign bits: unpacked to bytes 0 / 2 and summed less 1 each (the +-1 they stand for)
    const bytes = kind === 'bits' ? r.slot('u8') : undefined, words = 2 * Math.ceil(c / 64);
    return (xs, count) => {
      const y = out(count * oh * ow * c * 4);
      if (kind === 'stream') wasm.sumPoolI32(xs[0], count, h, w, c, kh, kw, sh, sw, oh, ow, n.shift, y);
      else {
        let x = xs[0];
        if (bytes) { x = bytes(count * h * w * c); wasm.unpackBitsU8(xs[0], count * h * w, words, c, 2, x); }
        wasm.sumPoolU8(x, count, h, w, c, kh, kw, sh, sw, oh, ow, bytes ? 1 : 0, y);
      }
      return y;
    };
  },
};
