// What the Engine and the EnginePool both do with a batch at the API: check the pixels, and turn
// logits into classes.
import { LowbitError, checkInt } from '../errors.js';

/** `count` NHWC u8 images of `inputShape` in `pixels`, or a LowbitError saying what is wrong. Returns the bytes per image. */
export function checkPixels(pixels: Uint8Array, count: number, inputShape: readonly number[]): number {
  checkInt('count', count, 1, 2 ** 24);
  const [h, w, c] = inputShape, per = h * w * c;
  if (!(pixels instanceof Uint8Array)) throw new LowbitError('BAD_ARGUMENT', `pixels must be a Uint8Array of ${count} x ${h}x${w}x${c} bytes (NHWC, 0..255)`);
  if (pixels.length !== count * per) throw new LowbitError('BAD_SHAPE', `pixels has ${pixels.length} bytes but ${count} image(s) of ${h}x${w}x${c} need ${count * per}`);
  return per;
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
