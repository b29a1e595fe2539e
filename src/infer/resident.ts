// Where an Engine keeps its wasm memory: tensors written once at load (packed weights, thresholds),
// per-run kernel scratch, and growable per-run buffers (slots). A pool of threads sharing one wasm
// memory (./shared-pool.ts) shares the first kind and gives every thread its own of the others.
import type { Heap } from '../memory.js';
import { Slot } from '../ops/layer.js';

export class Resident {
  /** load-time tensors, in the order the runners asked for them */
  readonly loads: number[] = [];
  readonly scratches: number[] = [];
  readonly slots: Slot[] = [];
  private readonly roles = new Map<string, Slot>();
  constructor(readonly heap: Heap) {}
  /** A tensor written once at load; `then` edits it in place (still at load). */
  put(a: ArrayBufferView, then?: (p: number) => void): number { return this.fill(a.byteLength, (p) => { this.heap.write(p, a); then?.(p); }); }
  /**
   * `bytes` filled once at load by `write` (packed weights). Everything `write` reads must come
   * from earlier puts and fills: a thread that shares them gets the pointer and skips the writing.
   */
  fill(bytes: number, write: (p: number) => void): number { const p = this.heap.alloc(Math.max(16, bytes)); this.loads.push(p); write(p); return p; }
  /** A fixed-size buffer a kernel writes during a run. */
  scratch(bytes: number): number { const p = this.heap.alloc(Math.max(16, bytes)); this.scratches.push(p); return p; }
  /**
   * A growable per-run buffer. With a role, one buffer shared by every runner asking for that role:
   * scratch that no runner reads after it returns (im2col, packed panels, sums before thresholds),
   * so the engine holds the largest layer's scratch instead of every layer's.
   */
  slot(role?: string): (bytes: number) => number {
    let s = role ? this.roles.get(role) : undefined;
    if (!s) { s = this.newSlot(); this.slots.push(s); if (role) this.roles.set(role, s); }
    const slot = s;
    return (b) => slot.get(Math.max(16, b));
  }
  protected newSlot(): Slot { return new Slot(this.heap); }
  dispose(): void {
    for (const p of this.loads) this.heap.free(p);
    for (const p of this.scratches) this.heap.free(p);
    for (const s of this.slots) s.free();
    this.loads.length = 0;
    this.scratches.length = 0;
  }
}
