import { describe, expect, it, beforeAll } from 'vitest';
import { type Lowbit } from '../src/node/index.js';
import { rng, thresholdPackRef } from './reference.js';
import { runtime, poisonHeap } from './helpers.js';

let lb: Lowbit;
beforeAll(async () => { lb = await runtime(); });

describe('thresholdPack', () => {
  it('matches the reference for channel counts around 16 and 64, with and without flips', () => {
    const r = rng(21);
    for (const cout of [1, 15, 16, 17, 63, 64, 65, 130]) for (const rows of [1, 5]) {
      const acc = new Int32Array(rows * cout).map(() => Math.floor(r() * 200) - 100);
      const thresholds = new Int32Array(cout).map(() => Math.floor(r() * 100) - 50);
      const flip = new Uint8Array(cout).map(() => (r() < 0.5 ? 1 : 0));
      poisonHeap(lb);
      expect(lb.kernels.thresholdPack(acc, rows, cout, { thresholds }), `cout=${cout}`).toEqual(thresholdPackRef(acc, rows, cout, thresholds));
      expect(lb.kernels.thresholdPack(acc, rows, cout, { thresholds, flip }), `cout=${cout} flip`).toEqual(thresholdPackRef(acc, rows, cout, thresholds, flip));
    }
  });

  it('is inclusive at the threshold and handles the int32 extremes', () => {
    const acc = new Int32Array([5, 4, -2147483648, 2147483647]);
    const thresholds = new Int32Array([5, 5, -2147483648, 2147483647]);
    expect(Array.from(lb.kernels.thresholdPack(acc, 1, 4, { thresholds }))).toEqual([0b1101, 0]);
    const flip = new Uint8Array([1, 1, 0, 1]);
    expect(Array.from(lb.kernels.thresholdPack(acc, 1, 4, { thresholds, flip }))).toEqual([0b0110, 0]);
  });
});
