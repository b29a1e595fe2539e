import { checkArray, checkInt, LowbitError, checkOptions } from '../errors.js';
import { scoped, type Arena, type Heap } from '../memory.js';

/**
 * Per-channel integer thresholds for the fused output step of a binary layer:
 * output bit c = (acc[c] >= thresholds[c]) xor flip[c]. flip[c] != 0 turns the test into
 * acc[c] < thresholds[c] (a BatchNorm with negative scale). Compile folds BatchNorm + sign into these.
 */
export interface BinaryThreshold {
  thresholds: Int32Array;
  flip?: Uint8Array;
}

/** Validate a threshold for `channels` channels and put it in wasm: returns [thrPtr, flipPtr]. */
export function putThreshold(arena: Arena, t: BinaryThreshold, channels: number): [number, number] {
  if (typeof t !== 'object' || t === null) throw new LowbitError('BAD_ARGUMENT', 'threshold must be { thresholds, flip? }');
  checkOptions('threshold', t, ['thresholds', 'flip']);
  checkArray('threshold.thresholds', t.thresholds, Int32Array, channels, `one threshold per output channel (${channels})`);
  if (t.flip !== undefined) checkArray('threshold.flip', t.flip, Uint8Array, channels, `one flag per output channel (${channels})`);
  return [arena.put(t.thresholds), arena.put(flipMasks(t.flip, channels))];
}

/** The kernels' flip operand: a lane mask per channel, -1 where flip[c] is set (none: all 0). */
export function flipMasks(flip: Uint8Array | undefined, channels: number): Int32Array {
  const masks = new Int32Array(channels);
  if (flip) for (let c = 0; c < channels; c++) masks[c] = flip[c] ? -1 : 0; // per channel, not per element
  return masks;
}

/**
 * Threshold an int32 accumulator [rows][channels] into packed bits: ceil(channels/64) u64 per row,
 * returned as pairs of u32 (low first); bits past `channels` are zero.
 */
export function thresholdPack(heap: Heap, acc: Int32Array, rows: number, channels: number, t: BinaryThreshold): Uint32Array {
  checkInt('rows', rows);
  checkInt('channels', channels);
  checkArray('acc', acc, Int32Array, rows * channels, `${rows} rows of ${channels} channels`);
  const words = 2 * Math.ceil(channels / 64);
  return scoped(heap, (arena) => {
    const [thr, flip] = putThreshold(arena, t, channels);
    const pa = arena.put(acc);
    const out = arena.alloc(rows * words * 4);
    heap.wasm.thresholdPack(pa, rows, channels, thr, flip, out);
    return heap.read(Uint32Array, out, rows * words);
  });
}
