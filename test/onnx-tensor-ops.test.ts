// Constant broadcasting in the importer (src/onnx/tensor-ops.ts expandTo) against numpy's rule
// written out index by index, for every shape kind its fast paths take.
import { describe, expect, it } from 'vitest';
import { expandTo, makeTensor } from '../src/onnx/tensor-ops.js';

/** numpy broadcast of t (dims td) to dims, one index at a time. */
function broadcastRef(td: number[], data: Float64Array, dims: number[]): Float64Array {
  const n = dims.reduce((a, b) => a * b, 1), out = new Float64Array(n), lead = dims.length - td.length;
  for (let i = 0; i < n; i++) {
    let rest = i, at = 0, stride = 1;
    for (let k = dims.length - 1; k >= 0; k--) {
      const j = rest % dims[k], own = td[k - lead] ?? 1;
      rest = Math.floor(rest / dims[k]);
      if (own !== 1) at += j * stride;
      stride *= own;
    }
    out[i] = data[at];
  }
  return out;
}

describe('importer: expandTo', () => {
  it.each([
    [[], [3, 4]], [[1], [3, 4]], [[3, 4], [3, 4]], [[3, 1], [3, 4]], [[1, 4], [3, 4]], [[4], [3, 4]],
    [[2, 1, 1, 1], [2, 3, 3, 2]], [[1, 3, 1], [2, 3, 5]], [[3, 5], [2, 3, 5]], [[1, 1, 5], [2, 3, 5]], [[2, 1, 5], [2, 3, 5]],
  ])('%j to %j: the numpy broadcast', (td, dims) => {
    const data = Float64Array.from({ length: td.reduce((a, b) => a * b, 1) }, (_, i) => i * 1.5 - 2);
    expect(Array.from(expandTo(makeTensor(td, data), dims, 'test'))).toEqual(Array.from(broadcastRef(td, data, dims)));
  });
});
