import { checkArray, LowbitError } from '../errors.js';
import { scoped, type Arena, type Heap } from '../memory.js';
import { convGeometry, zeroPadding, type ConvOptions, type ConvShape } from './conv-shape.js';
import { sgemmWasm } from './sgemm.js';

export interface Conv2dF32Options extends ConvOptions {
  /** 'valid' (default) or 'same' (zero padding, TensorFlow's split) */
  padding?: 'valid' | 'same';
}

function shapeOf(opts: Conv2dF32Options): ConvShape {
  const padding = opts?.padding ?? 'valid';
  const s = convGeometry('conv2dF32', opts, zeroPadding(padding), ['padding']);
  if (s.n * s.oh * s.ow * s.kh * s.kw * s.c > 2 ** 27) throw new LowbitError('BAD_SHAPE', 'conv2dF32 im2col would exceed 512 MiB; split the batch');
  return s;
}

function im2col(heap: Heap, arena: Arena, px: number, s: ConvShape): number {
  const col = arena.alloc(s.n * s.oh * s.ow * s.kh * s.kw * s.c * 4);
  heap.wasm.im2colF32(px, s.n, s.h, s.w, s.c, s.kh, s.kw, s.sh, s.sw, s.padT, s.padL, s.oh, s.ow, col);
  return col;
}

/**
 * f32 convolution for training, NHWC: x [n][h][w][c], w [filters][kh][kw][c] -> y [n][oh][ow][filters].
 * im2col, then y = col x w^T through sgemm.
 */
export function conv2dF32(heap: Heap, x: Float32Array, w: Float32Array, opts: Conv2dF32Options): Float32Array {
  const s = shapeOf(opts);
  const K = s.kh * s.kw * s.c, M = s.n * s.oh * s.ow;
  checkArray('x', x, Float32Array, s.n * s.h * s.w * s.c, `${s.n}x${s.h}x${s.w}x${s.c} (NHWC)`);
  checkArray('w', w, Float32Array, s.cout * K, `${s.cout}x${s.kh}x${s.kw}x${s.c}`);
  return scoped(heap, (arena) => {
    const col = im2col(heap, arena, arena.put(x), s);
    const wt = arena.alloc(K * s.cout * 4);
    heap.wasm.transposeF32(arena.put(w), s.cout, K, wt);
    const py = arena.alloc(M * s.cout * 4);
    sgemmWasm(heap, arena, col, wt, M, s.cout, K, py);
    return heap.read(Float32Array, py, M * s.cout);
  });
}

/**
 * Gradients of conv2dF32 for an upstream gradient dy [n][oh][ow][filters]:
 * dw = dy^T x col ([filters][kh*kw*c]) and dx = col2im(dy x w).
 */
export function conv2dF32Backward(heap: Heap, x: Float32Array, w: Float32Array, dy: Float32Array, opts: Conv2dF32Options): { dx: Float32Array; dw: Float32Array } {
  const s = shapeOf(opts);
  const K = s.kh * s.kw * s.c, M = s.n * s.oh * s.ow;
  checkArray('x', x, Float32Array, s.n * s.h * s.w * s.c, `${s.n}x${s.h}x${s.w}x${s.c} (NHWC)`);
  checkArray('w', w, Float32Array, s.cout * K, `${s.cout}x${s.kh}x${s.kw}x${s.c}`);
  checkArray('dy', dy, Float32Array, M * s.cout, `${s.n}x${s.oh}x${s.ow}x${s.cout}`);
  return scoped(heap, (arena) => {
    const col = im2col(heap, arena, arena.put(x), s);
    const pdy = arena.put(dy);
    const dyt = arena.alloc(M * s.cout * 4);
    heap.wasm.transposeF32(pdy, M, s.cout, dyt);
    const pdw = arena.alloc(s.cout * K * 4);
    sgemmWasm(heap, arena, dyt, col, s.cout, K, M, pdw);
    const dcol = arena.alloc(M * K * 4);
    sgemmWasm(heap, arena, pdy, arena.put(w), M, K, s.cout, dcol);
    const pdx = arena.alloc(s.n * s.h * s.w * s.c * 4);
    heap.wasm.col2imF32(dcol, s.n, s.h, s.w, s.c, s.kh, s.kw, s.sh, s.sw, s.padT, s.padL, s.oh, s.ow, pdx);
    return { dx: heap.read(Float32Array, pdx, s.n * s.h * s.w * s.c), dw: heap.read(Float32Array, pdw, s.cout * K) };
  });
}
