// Heap for tensors: the runtime's TLSF allocator (16-byte aligned blocks, grows memory on demand).
// The TypeScript side owns every block it allocates and frees it explicitly.

/** Allocate `bytes` (16-byte aligned). Returns 0 when memory cannot grow that far. */
export function alloc(bytes: usize): usize {
  // TLSF traps on sizes past its block limit; answer 0 instead so the caller can explain.
  if (bytes > (<usize>1 << 30)) return 0;
  const need = (bytes + 65535) >>> 16;
  const pagesNow = <usize>memory.size();
  // keep headroom for TLSF's own bookkeeping; growing fails gracefully here rather than trapping inside TLSF
  if (pagesNow + need + 1 > 65536) return 0;
  return heap.alloc(max<usize>(bytes, 16));
}

/** Free a block returned by alloc. */
export function free(ptr: usize): void {
  if (ptr) heap.free(ptr);
}

/** Current linear memory size in bytes. */
export function memoryBytes(): usize {
  return <usize>memory.size() << 16;
}
