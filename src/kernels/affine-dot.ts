// Whether the relaxed build's 8-bit dot-product GEMM (assembly/affine-dot.ts) runs on this host,
// and how, from a start-up self-test (as XNNPACK's hardware config probes a host's relaxed-SIMD
// semantics): the result must not depend on the host, so a host gets the dot path only when the
// kernel reproduces plain arithmetic on it, and one pass for u8 codes of 128 and more only when
// its dot multiplies those exactly (vpdpbusd does; pmaddubsw saturates; ARM reads them signed).
import { scoped, type Heap } from '../memory.js';

/** 0: not used (baseline build, or the self-test failed); 1: exact for codes < 128, two passes above; 2: one pass for every u8. */
export type DotMode = 0 | 1 | 2;

const modes = new WeakMap<Heap, DotMode>();

/** How this runtime runs 8-bit affine products (measured once per heap). */
export function dotMode(heap: Heap): DotMode {
  const w = heap.wasm, ok = (f: number): boolean => scoped(heap, (a) => w.affineDotSelfTest(f, a.alloc(8192)) === 1);
  let mode = modes.get(heap);
  if (mode === undefined) modes.set(heap, (mode = w.relaxedSimd() === 1 && ok(0) ? (ok(1) ? 2 : 1) : 0));
  return mode;
}

/** Give a runtime the mode another measured on this host (a thread sharing its memory, which must not allocate). */
export function seedDotMode(heap: Heap, mode: DotMode): void { modes.set(heap, mode); }
