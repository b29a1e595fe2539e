// Training and evaluation data checked against the model before any of it reaches wasm: a
// mismatch is a LowbitError naming both sides, never silent training on garbage.
import { LowbitError } from '../errors.js';
import type { ImageSet } from '../data/idx.js';

const bad = (what: string, msg: string) => new LowbitError('BAD_DATA', `${what}: ${msg}`);

/**
 * `data` fits a model taking `inShape` ([height, width, channels], or any shape of the same size)
 * and giving `classes` logits: typed arrays of the right kind, `count` images and labels present,
 * image size equal to the model input, every label a class.
 */
export function checkImageSet(data: ImageSet, inShape: readonly number[], classes: number, what = 'data'): void {
  if (typeof data !== 'object' || data === null) throw bad(what, 'must be an image set { images, labels, count, height, width }');
  if (!(data.images instanceof Uint8Array)) throw bad(what, `images must be a Uint8Array of u8 pixels, got ${describe(data.images)}`);
  if (!(data.labels instanceof Uint8Array)) throw bad(what, `labels must be a Uint8Array of class indices, got ${describe(data.labels)}`);
  const { count, height, width } = data;
  for (const [k, v] of [['count', count], ['height', height], ['width', width]] as const) {
    if (!Number.isInteger(v) || v < 1) throw bad(what, `${k} must be a positive integer, got ${String(v)}`);
  }
  const pixels = height * width, need = inShape.reduce((a, b) => a * b, 1);
  if (inShape.length === 3) {
    const [h, w, c] = inShape;
    if (h !== height || w !== width || c !== 1) throw bad(what, `the images are ${height}x${width}x1 but the model takes ${h}x${w}x${c}`);
  } else if (pixels !== need) throw bad(what, `the images have ${pixels} pixels (${height}x${width}) but the model takes ${need} inputs ([${inShape.join(', ')}])`);
  if (count * pixels > data.images.length) throw bad(what, `count ${count} needs ${count * pixels} pixel bytes (${height}x${width} each) but images has ${data.images.length}`);
  if (count > data.labels.length) throw bad(what, `count ${count} but labels has ${data.labels.length}`);
  for (let i = 0; i < count; i++) { // per image, once per epoch
    if (data.labels[i] >= classes) throw bad(what, `label ${data.labels[i]} at index ${i} is not a class of the model (it has ${classes} outputs: 0..${classes - 1})`);
  }
}

function describe(v: unknown): string {
  return v === null ? 'null' : typeof v === 'object' ? (v as object).constructor?.name ?? 'an object' : typeof v;
}
