// The two matrix products every step of the SDP solver spends its time in, over the n x d inputs X:
//   project:      W = X V      (V: the first d rows of a (d + 1) x r factor)   n x r
//   backproject:  G = X^T H    (H: n x r)                                      d x r
// In plain float64 TypeScript (small problems, the exact tests), or on lowbit's wasm f32 GEMM
// (real data: n in the thousands, d up to a few hundred), where they cost ~100x less.
import type { Heap } from '../memory.js';
import { scoped } from '../memory.js';
import { sgemmWasm } from '../kernels/sgemm.js';

export interface LiftProducts {
  project(v: Float64Array, r: number, w: Float64Array): void;
  backproject(h: Float64Array, r: number, out: Float64Array): void;
  /** free what the products hold in wasm memory */
  dispose(): void;
}

/** float64 products in TypeScript. */
export function plainProducts(x: Float64Array, n: number, d: number): LiftProducts {
  return {
    project(v, r, w) {
      w.fill(0, 0, n * r);
      for (let i = 0; i < n; i++) {
        const o = i * r;
        for (let k = 0; k < d; k++) {
          const xk = x[i * d + k], vo = k * r;
          if (xk === 0) continue;
          for (let j = 0; j < r; j++) w[o + j] += xk * v[vo + j];
        }
      }
    },
    backproject(h, r, out) {
      out.fill(0, 0, d * r);
      for (let i = 0; i < n; i++) {
        const o = i * r;
        for (let k = 0; k < d; k++) {
          const xk = x[i * d + k], go = k * r;
          if (xk === 0) continue;
          for (let j = 0; j < r; j++) out[go + j] += xk * h[o + j];
        }
      }
    },
    dispose() {},
  };
}

/** f32 products on the wasm GEMM; X and X^T stay in wasm memory until dispose(). */
export function wasmProducts(heap: Heap, x: Float64Array, n: number, d: number): LiftProducts {
  const xt = new Float32Array(d * n);
  for (let i = 0; i < n; i++) for (let k = 0; k < d; k++) xt[k * n + i] = x[i * d + k];
  const px = heap.alloc(n * d * 4), pxt = heap.alloc(n * d * 4);
  heap.write(px, Float32Array.from(x));
  heap.write(pxt, xt);
  const product = (pa: number, b: Float64Array, m: number, cols: number, k: number, out: Float64Array) => scoped(heap, (arena) => {
    const pb = arena.put(Float32Array.from(b.subarray(0, k * cols))), pc = arena.alloc(m * cols * 4);
    sgemmWasm(heap, arena, pa, pb, m, cols, k, pc);
    const c = new Float32Array(heap.wasm.memory.buffer, pc, m * cols);
    for (let i = 0; i < m * cols; i++) out[i] = c[i];
  });
  let live = true;
  return {
    project: (v, r, w) => product(px, v, n, r, d, w),
    backproject: (h, r, out) => product(pxt, h, d, r, n, out),
    dispose() { if (live) { heap.free(px); heap.free(pxt); live = false; } },
  };
}
