// Training-time data augmentation: each image, every epoch, is flipped left-right with probability
// 1/2 and shifted by whole pixels (zero fill). The draws come from a hash of (seed, epoch, image
// index), so they do not depend on the batch order or on how a batch is split across threads, and
// a resumed run draws the same ones.
import type { ImageSet } from '../data/idx.js';

/** Augmentation of one epoch: flips, and shifts of up to `shift` pixels on each axis. */
export interface Augment { seed: number; epoch: number; shift: number }

/** 32-bit mix (murmur3's finalizer). */
function mix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Writes image `index` of `src` ([h][w] bytes), augmented, into dst (h * w bytes). */
export function augmentImage(src: Uint8Array, dst: Uint8Array, h: number, w: number, a: Augment, index: number): void {
  const r = mix(mix(mix(a.seed ^ 0x9e3779b9) + a.epoch) + index), span = 2 * a.shift + 1;
  const flip = (r & 1) === 1, dy = ((r >>> 1) % span) - a.shift, dx = ((r >>> 11) % span) - a.shift;
  dst.fill(0, 0, h * w);
  for (let y = Math.max(0, -dy); y < Math.min(h, h - dy); y++) {
    const from = (y + dy) * w, to = y * w;
    for (let x = Math.max(0, -dx); x < Math.min(w, w - dx); x++) {
      const sx = x + dx;
      dst[to + x] = src[from + (flip ? w - 1 - sx : sx)]; // per pixel, once per image and epoch
    }
  }
}

/** Writes image j of `set` into dst (one image's bytes): augmented when `a` is given, else a plain copy. */
export function copyImage(set: ImageSet, j: number, dst: Uint8Array, a?: Augment): void {
  const px = set.height * set.width, img = set.images.subarray(j * px, (j + 1) * px);
  if (a) augmentImage(img, dst, set.height, set.width, a, j); else dst.set(img);
}
