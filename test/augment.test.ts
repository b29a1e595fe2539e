// Training-time augmentation (src/train/augment.ts): each output is the image flipped or not and
// shifted by at most K pixels with zero fill, the draw is a function of (seed, epoch, image) only,
// every flip and shift occurs, and training with it gives the same first epoch on 1 and 2 threads.
import { describe, expect, it } from 'vitest';
import { augmentImage } from '../src/train/augment.js';

/** The plain transform: out[y][x] = src[y + dy][flip ? w - 1 - (x + dx) : x + dx], zero outside. */
function transform(src: Uint8Array, h: number, w: number, flip: boolean, dy: number, dx: number): Uint8Array {
  const out = new Uint8Array(h * w);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const sy = y + dy, sx = x + dx;
    if (sy >= 0 && sy < h && sx >= 0 && sx < w) out[y * w + x] = src[sy * w + (flip ? w - 1 - sx : sx)];
  }
  return out;
}

describe('data augmentation', () => {
  const h = 7, w = 5, src = Uint8Array.from({ length: h * w }, (_, i) => 1 + ((i * 37) % 254)); // no zeros: every pixel identifiable
  it('is a flip and a shift within K pixels, drawn from (seed, epoch, image) alone, covering every draw', () => {
    for (const K of [1, 2]) {
      const seen = new Set<string>();
      for (let index = 0; index < 400; index++) {
        const out = new Uint8Array(h * w).fill(99);
        augmentImage(src, out, h, w, { seed: 3, epoch: 2, shift: K }, index);
        const match: string[] = [];
        for (const flip of [false, true]) for (let dy = -K; dy <= K; dy++) for (let dx = -K; dx <= K; dx++) {
          if (transform(src, h, w, flip, dy, dx).every((v, i) => v === out[i])) match.push(`${flip}/${dy}/${dx}`);
        }
        expect(match, `image ${index}`).toHaveLength(1);
        seen.add(match[0]);
        const again = new Uint8Array(h * w);
        augmentImage(src, again, h, w, { seed: 3, epoch: 2, shift: K }, index);
        expect(again).toEqual(out);
      }
      expect(seen.size).toBe(2 * (2 * K + 1) ** 2);
    }
    const draw = (seed: number, epoch: number) => Array.from({ length: 50 }, (_, i) => { const o = new Uint8Array(h * w); augmentImage(src, o, h, w, { seed, epoch, shift: 2 }, i); return o.join(','); }).join(';');
    expect(draw(3, 2)).not.toBe(draw(3, 3));
    expect(draw(3, 2)).not.toBe(draw(4, 2));
  });

  it('training with it: 2 threads track one thread (the draws do not depend on the split), and it changes the run', async () => {
    const { runTraining, TRAIN_DEFAULTS } = await import('../src/node/train-command.js');
    const run = (threads: number, augment: number) => runTraining({ ...TRAIN_DEFAULTS, arch: 'mlp', wbits: 32, abits: 32, optimizer: 'sgd', data: 'subset', limit: 320, epochs: 1, threads, augment, resume: false }, { log: () => {} });
    const one = (await run(1, 2)).history[0].loss, two = (await run(2, 2)).history[0].loss, plain = (await run(1, 0)).history[0].loss;
    expect(Math.abs(two - one) / one).toBeLessThan(2e-3);
    expect(Math.abs(plain - one) / one).toBeGreaterThan(1e-2);
  }, 120_000);
});
