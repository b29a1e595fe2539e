// Training-time data augmentation: each image, every epoch, is flipped left-right with probability
// 1/2 and shifted by whole pixels (zero fill). The draws come from a hash of (seed, epoch, image
// index), so they do not depend on the batch order or on how a batch is split across threads, and
// a resumed run draws the same ones.

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
