// f32 convolution for training: forward against a direct loop, both gradients against finite differences.
import { describe, expect, it, beforeAll } from 'vitest';
import { type Lowbit } from '../src/node/index.js';
import { rng, randomFloats, directConv } from './reference.js';
import { runtime } from './helpers.js';

let lb: Lowbit;
beforeAll(async () => { lb = await runtime(); });

interface S { n: number; h: number; w: number; c: number; cout: number; kh: number; kw: number; sh: number; sw: number; padding: 'valid' | 'same' }

function ref(x: Float32Array, w: Float32Array, s: S): Float64Array {
  return directConv(s, s.padding === 'same', (b, iy, ix, f, ky, kx, inside) => {
    if (!inside) return 0;
    let acc = 0;
    for (let ch = 0; ch < s.c; ch++) acc += x[((b * s.h + iy) * s.w + ix) * s.c + ch] * w[((f * s.kh + ky) * s.kw + kx) * s.c + ch];
    return acc;
  }).out;
}

const opts = (s: S) => ({ batch: s.n, height: s.h, width: s.w, channels: s.c, filters: s.cout, kernelSize: [s.kh, s.kw] as [number, number], strides: [s.sh, s.sw] as [number, number], padding: s.padding });

describe('conv2dF32', () => {
  const shapes: S[] = [
    { n: 1, h: 5, w: 6, c: 3, cout: 4, kh: 3, kw: 3, sh: 1, sw: 1, padding: 'same' },
    { n: 2, h: 7, w: 5, c: 1, cout: 9, kh: 3, kw: 2, sh: 2, sw: 1, padding: 'valid' },
    { n: 1, h: 4, w: 4, c: 17, cout: 3, kh: 1, kw: 1, sh: 1, sw: 1, padding: 'valid' },
    { n: 3, h: 6, w: 6, c: 8, cout: 16, kh: 5, kw: 5, sh: 1, sw: 1, padding: 'same' },
  ];

  it('forward matches a direct convolution', () => {
    const r = rng(1);
    for (const s of shapes) {
      const x = randomFloats(s.n * s.h * s.w * s.c, r), w = randomFloats(s.cout * s.kh * s.kw * s.c, r);
      const y = lb.kernels.conv2dF32(x, w, opts(s)), want = ref(x, w, s);
      expect(y.length).toBe(want.length);
      for (let i = 0; i < y.length; i++) expect(Math.abs(y[i] - want[i]), `${JSON.stringify(s)} at ${i}`).toBeLessThan(1e-4 * (1 + Math.abs(want[i])));
    }
  });

  it('backward: dx and dw match central finite differences of sum(y * r)', () => {
    const r = rng(2);
    for (const s of shapes) {
      const x = randomFloats(s.n * s.h * s.w * s.c, r), w = randomFloats(s.cout * s.kh * s.kw * s.c, r);
      const y0 = lb.kernels.conv2dF32(x, w, opts(s));
      const dy = randomFloats(y0.length, r);
      const { dx, dw } = lb.kernels.conv2dF32Backward(x, w, dy, opts(s));
      // L(x, w) = sum y * dy evaluated in float64 by the reference, so only the kernel's gradients are in f32
      const L = (xx: Float32Array, ww: Float32Array) => ref(xx, ww, s).reduce((acc, v, i) => acc + v * dy[i], 0);
      const h = 1e-3;
      for (const [arr, grad, name] of [[x, dx, 'dx'], [w, dw, 'dw']] as const) {
        for (let j = 0; j < arr.length; j += Math.max(1, Math.floor(arr.length / 23))) {
          const plus = arr.slice(), minus = arr.slice();
          plus[j] += h; minus[j] -= h;
          const num = name === 'dx' ? (L(plus, w) - L(minus, w)) / (2 * h) : (L(x, plus) - L(x, minus)) / (2 * h);
          expect(Math.abs(grad[j] - num), `${name}[${j}] ${JSON.stringify(s)}`).toBeLessThan(2e-3 * (1 + Math.abs(num)));
        }
      }
    }
  });
});

describe('transposeF32', () => {
  it.each([[1, 1], [1, 9], [9, 1], [4, 4], [7, 5], [8, 12], [13, 66]])('out = a^T exactly (%i x %i), 4x4 SIMD blocks and scalar edges', (rows, cols) => {
    const a = randomFloats(rows * cols, rng(rows * 31 + cols));
    const pa = lb.heap.alloc(a.byteLength), po = lb.heap.alloc(a.byteLength + 64);
    lb.heap.write(pa, a);
    lb.heap.u8().fill(0xa5, po, po + a.byteLength + 64);
    lb.wasm.transposeF32(pa, rows, cols, po);
    const out = lb.heap.read(Float32Array, po, rows * cols + 16);
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) expect(out[j * rows + i]).toBe(a[i * cols + j]);
    expect(new Uint8Array(out.buffer, rows * cols * 4, 64).every((b) => b === 0xa5)).toBe(true); // nothing written past the end
    lb.heap.free(pa); lb.heap.free(po);
  });
});
