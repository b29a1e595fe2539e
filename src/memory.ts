import { LowbitError } from './errors.js';
import type { WasmExports } from './wasm-abi.js';

/**
 * Views of wasm linear memory. Memory grows on allocation, which detaches old typed-array views,
 * so views are rebuilt whenever the buffer changed; never keep one across an allocation.
 */
export class Heap {
  private buffer: ArrayBuffer | null = null;
  private u8v = new Uint8Array(0);
  constructor(readonly wasm: WasmExports) {}

  /** Allocate `bytes` (16-byte aligned); a LowbitError('OUT_OF_MEMORY') when memory cannot grow. */
  alloc(bytes: number): number {
    let ptr = 0;
    try {
      ptr = this.wasm.alloc(bytes) >>> 0; // a usize: past 2 GiB the i32 comes back negative
    } catch (e) {
      ptr = 0;
    }
    if (!ptr) {
      const mb = (bytes / 2 ** 20).toFixed(1);
      const have = (this.wasm.memory.buffer.byteLength / 2 ** 20).toFixed(0); // not memoryBytes(): an i32, negative past 2 GiB
      throw new LowbitError('OUT_OF_MEMORY',
        `cannot allocate ${mb} MiB of wasm memory (${have} MiB in use, 4096 MiB at most): use smaller batches or shapes, or free tensors you no longer need`);
    }
    return ptr;
  }

  free(ptr: number): void {
    this.wasm.free(ptr);
  }

  u8(): Uint8Array {
    const buf = this.wasm.memory.buffer;
    if (buf !== this.buffer) {
      this.buffer = buf;
      this.u8v = new Uint8Array(buf);
    }
    return this.u8v;
  }

  /** Copy a typed array into wasm memory at ptr. */
  write(ptr: number, src: ArrayBufferView): void {
    this.u8().set(new Uint8Array(src.buffer, src.byteOffset, src.byteLength), ptr);
  }

  /**
   * `length` elements copied out of wasm memory at ptr: into `out` when given (it must have exactly
   * `length` elements; validated by the caller), else into a fresh array.
   */
  read<T extends Int32Array | Uint32Array | Float32Array>(
    ctor: { new (buffer: ArrayBuffer, offset?: number, length?: number): T },
    ptr: number, length: number, out?: T,
  ): T {
    const bytes = length * 4;
    if (out) {
      out.set(new ctor(this.wasm.memory.buffer, ptr, length) as never);
      return out;
    }
    // ArrayBuffer#slice copies without zero-filling first: the fastest fresh copy (measured)
    return new ctor(this.wasm.memory.buffer.slice(ptr, ptr + bytes));
  }
}

/**
 * A scope of allocations freed together: `arena.dispose()` frees everything allocated through it.
 * Kernel wrappers use one per call inside try/finally, so an exception never leaks wasm memory.
 */
export class Arena {
  private ptrs: number[] = [];
  constructor(readonly heap: Heap) {}

  alloc(bytes: number): number {
    const p = this.heap.alloc(bytes);
    this.ptrs.push(p);
    return p;
  }

  /** Allocate and copy `src` in. */
  put(src: ArrayBufferView, extraBytes = 0): number {
    const p = this.alloc(src.byteLength + extraBytes);
    this.heap.write(p, src);
    return p;
  }

  dispose(): void {
    for (const p of this.ptrs) this.heap.free(p);
    this.ptrs = [];
  }
}

/** Run fn with a fresh arena, freeing it afterwards whatever happens. */
export function scoped<T>(heap: Heap, fn: (arena: Arena) => T): T {
  const arena = new Arena(heap);
  try {
    return fn(arena);
  } finally {
    arena.dispose();
  }
}
