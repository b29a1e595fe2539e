import { init, type Lowbit } from '../src/node/index.js';

let shared: Promise<Lowbit> | null = null;

/** One runtime shared by a test file. */
export function runtime(): Promise<Lowbit> {
  shared ??= init();
  return shared;
}

/**
 * Fill free heap memory with junk, so a kernel that skips writing part of its output returns junk
 * rather than a lucky zero (the next allocations reuse these blocks).
 */
export function poisonHeap(lb: Lowbit, bytes = 4 << 20): void {
  const p = lb.heap.alloc(bytes);
  lb.heap.u8().fill(0xa5, p, p + bytes);
  lb.heap.free(p);
}
