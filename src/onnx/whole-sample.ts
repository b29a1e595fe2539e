// Models whose input is one sample as a whole. lowbit reads an ONNX input's first dimension as the
// batch: samples run independently, so a matrix product must treat each row on its own. Some
// products do not: a Gemm with transA (the rows of the output are the input's columns), a Gemm bias
// that differs per row, a MatMul with 1-D operands, or batched MatMuls whose weights differ per
// batch index ([B, K, N]). In such a model the whole input tensor is one sample, held flat, and each
// product becomes one dense layer over the flattened sample: mostly zeros, exact, and only as big as
// the tensors involved.
import type { OnnxModel, Tensor } from './decode.js';
import { attrInt, cannot } from './attrs.js';
import { broadcastDims, count, transpose } from './tensor-ops.js';

const PRODUCTS = new Set(['MatMul', 'MatMulInteger', 'QLinearMatMul']);
const WEIGHT_INPUT: Record<string, number> = { MatMul: 1, MatMulInteger: 1, QLinearMatMul: 3 };

/** Whether the model's products need the whole input as one sample (see above). */
export function needsWholeSample(model: OnnxModel): boolean {
  const g = model.graph, dimsOf = (name: string | undefined) => (name ? g.initializers.get(name)?.dims : undefined);
  const input = g.inputs.find((v) => !g.initializers.has(v.name));
  if (input?.dims?.length === 1) return true;
  return g.nodes.some((n) => {
    if (PRODUCTS.has(n.op)) { const w = dimsOf(n.inputs[WEIGHT_INPUT[n.op]]); return w !== undefined && w.length !== 2; }
    if (n.op !== 'Gemm') return false;
    const c = dimsOf(n.inputs[2]);
    return attrInt(n, 'transA', 0) === 1 || (c !== undefined && c.length === 2 && c[0] > 1);
  });
}

/** Largest dense layer a product lowers to here (outputs x inputs). */
const MAX_WEIGHTS = 1 << 22;

/**
 * The dense layer over a flattened sample of dims `ad` that computes alpha * A' B' (numpy matmul
 * semantics: 1-D operands promoted, batch dimensions broadcast; A' = A^T when transA, A 2-D; B' =
 * B^T when transB, B 2-D). W is [outputs][inputs]; column[o] is the column of B' output o reads
 * (per-column weight scales apply per output through it); outDims are the product's dims.
 */
export function wholeProduct(ad: readonly number[], b: Tensor, opts: { transA?: boolean; transB?: boolean; alpha?: number }, where: string): { W: Float64Array; outDims: number[]; column: Int32Array } {
  const bt = opts.transB ? transpose(b, [1, 0]) : b, alpha = opts.alpha ?? 1;
  if (opts.transA && ad.length !== 2) throw cannot(where, 'transA needs a 2-D input');
  const aT = opts.transA ? [ad[1], ad[0]] : [...ad];
  const a1 = aT.length === 1, b1 = bt.dims.length === 1;
  const A = a1 ? [1, aT[0]] : aT, B = b1 ? [bt.dims[0], 1] : bt.dims;
  const M = A[A.length - 2], K = A[A.length - 1], N = B[B.length - 1];
  if (B[B.length - 2] !== K) throw cannot(where, `the input has ${K} features per row, the weights take ${B[B.length - 2]}`);
  const batchA = A.slice(0, -2), batchB = B.slice(0, -2), batch = broadcastDims(batchA, batchB, where);
  const outDims = [...batch, ...(a1 ? [] : [M]), ...(b1 ? [] : [N])], outs = count(batch) * M * N, ins = count(ad);
  if (outs * ins > MAX_WEIGHTS) throw cannot(where, `a ${outs} x ${ins} product over the whole sample is larger than lowbit lowers (at most ${MAX_WEIGHTS} weights)`);
  const W = new Float64Array(outs * ins), column = new Int32Array(outs);
  // the batch index of each operand for a broadcast batch index (right-aligned, size-1 dims repeat)
  const from = (dims: number[]) => (flat: number) => {
    let at = 0, stride = 1, rest = flat;
    for (let i = batch.length - 1; i >= 0; i--) {
      const d = batch[i], j = rest % d, own = dims[i - (batch.length - dims.length)] ?? 1;
      rest = (rest - j) / d;
      if (own !== 1) at += j * stride;
      stride *= own;
    }
    return at;
  };
  const ia = from(batchA), ib = from(batchB);
  for (let bi = 0; bi < count(batch); bi++) {
    const a0 = ia(bi) * M * K, b0 = ib(bi) * K * N;
    for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) {
      const o = (bi * M + m) * N + n;
      column[o] = n;
      for (let k = 0; k < K; k++) {
        const i = opts.transA ? k * M + m : a0 + m * K + k; // the input element A'[m][k]
        W[o * ins + i] = alpha * bt.data[b0 + k * N + n];
      }
    }
  }
  return { W, outDims, column };
}
