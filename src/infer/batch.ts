// What the Engine and the EnginePool both do with a batch at the API: check the pixels, cut it into
// shares for threads (pools, and data-parallel training), and turn logits into classes.
import { LowbitError, checkInt } from '../errors.js';

/** `count` NHWC u8 images of `inputShape` in `pixels`, or a LowbitError saying what is wrong. Returns the bytes per image. */
export function checkPixels(pixels: Uint8Array, count: number, inputShape: readonly number[]): number {
  checkInt('count', count, 1, 2 ** 24);
  const [h, w, c] = inputShape, per = h * w * c;
  if (!(pixels instanceof Uint8Array)) throw new LowbitError('BAD_ARGUMENT', `pixels must be a Uint8Array of ${count} x ${h}x${w}x${c} bytes (NHWC, 0..255)`);
  if (pixels.length !== count * per) throw new LowbitError('BAD_SHAPE', `pixels has ${pixels.length} bytes but ${count} image(s) of ${h}x${w}x${c} need ${count * per}`);
  return per;
}

/** Images per thread below which a pool does not split a batch by images (handing a share over costs more than it saves). */
const MIN_SPLIT = 8;

/** How many threads of a pool share a batch of `count` images. */
export function poolShares(count: number, threads: number): number {
  return Math.max(1, Math.min(threads, Math.floor(count / MIN_SPLIT)));
}

/** Sizes of `parts` contiguous shares of `count` items, the first count % parts of them one larger. */
export function shareSizes(count: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, p) => Math.floor(count / parts) + (p < count % parts ? 1 : 0));
}

/** Class index per row of logits [count][classes]: the first largest. */
export function argmaxRows(z: Float32Array, count: number, classes: number): Int32Array {
  const out = new Int32Array(count);
  for (let i = 0; i < count; i++) { // per image: argmax over the classes
    let best = 0;
    for (let j = 1; j < classes; j++) if (z[i * classes + j] > z[i * classes + best]) best = j;
    out[i] = best;
  }
  return out;
}
