import { checkArray, checkInt, checkOut, LowbitError } from '../errors.js';
import { scoped, type Heap } from '../memory.js';
import { dotMode } from './affine-dot.js';
import { i16PanelBytes } from './operand-sizes.js';

/**
 * 8-bit affine matrix product with ONNX MatMulInteger semantics: a (u8, m x k) and b (i8 or u8,
 * k x n), both row-major, `out[i*n + j] = sum_t (a[i][t] - aZero) * (b[t][j] - bZero)` as int32.
 * aZero in [0, 255]; bZero in [-128, 127] for an Int8Array b, [0, 255] for a Uint8Array, one
 * number or one per column of b (per output channel, as MatMulInteger's b_zero_point of shape [n]).
 * Exact for k <= 33025; beyond that the int32 sum wraps as onnxruntime's does.
 */
export function affineGemm(heap: Heap, a: Uint8Array, aZero: number, b: Int8Array | Uint8Array, bZero: number | ArrayLike<number>,
  m: number, n: number, k: number, out?: Int32Array): Int32Array {
  checkInt('m', m);
  checkInt('n', n);
  checkInt('k', k);
  checkArray('a', a, Uint8Array, m * k, `m x k = ${m} x ${k}`);
  const signed = b instanceof Int8Array;
  if (!signed && !(b instanceof Uint8Array)) {
    throw new LowbitError('BAD_ARGUMENT', `b must be an Int8Array or a Uint8Array, got ${b === null ? 'null' : (b as object)?.constructor?.name ?? typeof b}`);
  }
  checkArray('b', b, signed ? Int8Array : Uint8Array, k * n, `k x n = ${k} x ${n}`);
  checkInt('aZero', aZero, 0, 255);
  const zb = signed ? zeroPointsI16('bZero (b is Int8Array)', bZero, n, -128, 127) : zeroPointsI16('bZero (b is Uint8Array)', bZero, n, 0, 255);
  if (m * k > 2 ** 28 || k * n > 2 ** 28 || m * n > 2 ** 28) {
    throw new LowbitError('BAD_SHAPE', `affineGemm operands of ${m}x${k} and ${k}x${n} are too large for one call; split the product`);
  }
  checkOut(out, Int32Array, m * n, `m x n = ${m} x ${n}`);
  const mode = dotMode(heap);
  return scoped(heap, (arena) => {
    const pa8 = arena.put(a);
    const pb8 = arena.put(b);
    if (mode) {
      // relaxed build: the 8-bit dot product (assembly/affine-dot.ts)
      const w = heap.wasm, pa = arena.alloc(w.affineDotBytesA(m, k)), pb = arena.alloc(w.affineDotBytesB(n, k)), po = arena.alloc(m * n * 4);
      w.affineDotPackA(pa8, m, k, k, mode === 2 ? 1 : 0, pa);
      w.affineDotPackB(pb8, k, n, n, 1, 0, arena.put(zb), signed ? 1 : 0, pb);
      w.affineDotGemm(pa, pb, m, n, k, aZero, po, n, arena.alloc(128));
      return heap.read(Int32Array, po, m * n, out);
    }
    const pa = arena.alloc(i16PanelBytes(m, 4, k));
    const pb = arena.alloc(i16PanelBytes(n, 8, k));
    heap.wasm.affinePackA(pa8, m, k, aZero, pa);
    heap.wasm.affinePackB(pb8, k, n, arena.put(zb), signed ? 1 : 0, pb);
    const po = arena.alloc(m * n * 4);
    const scratch = arena.alloc(128);
    heap.wasm.affineGemm(pa, pb, m, n, k, po, scratch);
    return heap.read(Int32Array, po, m * n, out);
  });
}

/**
 * A zero point given as one number or one per channel (ArrayLike, `count` entries), each an
 * integer in [lo, hi], as the i16 array the packers read (padded with zeros to a multiple of 8).
 */
export function zeroPointsI16(name: string, z: number | ArrayLike<number>, count: number, lo: number, hi: number): Int16Array {
  const out = new Int16Array(Math.ceil(count / 8) * 8);
  if (typeof z === 'number') {
    checkInt(name, z, lo, hi);
    out.fill(z, 0, count);
    return out;
  }
  if (typeof z !== 'object' || z === null || z.length !== count) {
    throw new LowbitError('BAD_ARGUMENT', `${name} must be a number or one per output channel (${count}), got ${z === null ? 'null' : typeof z === 'object' ? `${z.length} values` : typeof z}`);
  }
  for (let c = 0; c < count; c++) out[c] = checkInt(`${name}[${c}]`, z[c], lo, hi); // per channel, not per element
  return out;
}
