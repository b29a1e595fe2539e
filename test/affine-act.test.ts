// The trained affine activation map (src/ops/affine-act.ts) against the formulas of
// docs/algorithms.md, section 5, and through a model's JSON.
import { describe, expect, it, beforeAll } from 'vitest';
import { type Lowbit } from '../src/node/index.js';
import { AffineAct, roundHalfEven } from '../src/ops/affine-act.js';
import { Dense } from '../src/ops/dense.js';
import { Sequential } from '../src/train/sequential.js';
import { modelFromJson } from '../src/graph/model.js';
import { rng, randomFloats } from './reference.js';
import { runtime, poisonHeap } from './helpers.js';

let lb: Lowbit;
beforeAll(async () => { lb = await runtime(); });

describe('AffineAct', () => {
  it.each([[2, 1, 7], [4, 3, 33], [8, 5, 130]])('%i bits: forward s (q - z) and the backward in x, s and b (batch %i, %i features)', (bits, batch, n) => {
    poisonHeap(lb);
    const L = 2 ** bits - 1, f = Math.fround;
    const act = new AffineAct({ bits, scale: 0.3 / L * 4, offset: -0.3 / L * 4 * (L / 3 + 0.4) });
    act.build(lb.heap, [n]);
    const { scale: s, zero: z } = act.map;
    expect(z).toBe(Math.round(L / 3 + 0.4));
    const r = rng(bits), x = randomFloats(batch * n, r).map((v) => v * 2), dy = randomFloats(batch * n, r);
    const px = lb.heap.alloc(x.length * 4), pdy = lb.heap.alloc(x.length * 4);
    lb.heap.write(px, x); lb.heap.write(pdy, dy);
    const y = lb.heap.read(Float32Array, act.forward(px, batch), x.length);
    const q = Array.from(x, (v) => Math.min(L, Math.max(0, roundHalfEven(f(v / s)) + z)));
    q.forEach((c, i) => expect(y[i]).toBe(f(s * (c - z))));
    expect(new Set(q).size).toBeGreaterThan(2);
    expect(q.some((c) => c === 0) && q.some((c) => c === L)).toBe(true); // both clips reached
    const dx = lb.heap.read(Float32Array, act.backward(pdy, batch), x.length);
    let ds = 0, db = 0;
    x.forEach((v, i) => {
      const u = f(v / s) + z;
      expect(dx[i]).toBe(u >= 0 && u <= L ? dy[i] : 0);
      ds += dy[i] * (q[i] - z); db += dy[i];
    });
    const [sP, bP] = act.params(), lsq = 1 / Math.sqrt(n * L);
    expect(lb.heap.read(Float32Array, sP.g, 1)[0]).toBeCloseTo(ds * lsq, 3);
    expect(lb.heap.read(Float32Array, bP.g, 1)[0]).toBeCloseTo(db * lsq, 4);
    lb.heap.free(px); lb.heap.free(pdy);
    act.dispose();
  });

  it('the offset gets a non-zero gradient at initialisation (zero point 0, nothing clipped)', () => {
    const act = new AffineAct({ bits: 4 });
    act.build(lb.heap, [64]);
    const x = randomFloats(64, rng(1)).map((v) => Math.abs(v)), dy = randomFloats(64, rng(2));
    const px = lb.heap.alloc(256), pdy = lb.heap.alloc(256);
    lb.heap.write(px, x); lb.heap.write(pdy, dy);
    act.forward(px, 1);
    act.backward(pdy, 1);
    const gb = lb.heap.read(Float32Array, act.params()[1].g, 1)[0];
    expect(gb).toBeCloseTo(dy.reduce((a, v) => a + v, 0) / Math.sqrt(64 * 15), 4);
    expect(Math.abs(gb)).toBeGreaterThan(1e-3);
    lb.heap.free(px); lb.heap.free(pdy);
    act.dispose();
  });

  it('round-trips through a model graph with its trained scale and offset', () => {
    const m = new Sequential(lb.heap, [new Dense(8), new AffineAct({ bits: 2, scale: 0.5, offset: -0.6 }), new Dense(3)], [5], 3);
    const json = m.toJSON();
    const back = modelFromJson(lb.heap, JSON.parse(JSON.stringify(json)));
    const a = back.layers[1] as AffineAct;
    expect(a).toBeInstanceOf(AffineAct);
    expect(a.map).toEqual({ scale: 0.5, zero: 1 });
    m.dispose(); back.dispose();
  });

  it('refuses bad options with a clear error', () => {
    expect(() => new AffineAct({ bits: 1 })).toThrow(/bits must be an integer in \[2, 8\], got 1/);
    expect(() => new AffineAct({ bits: 4, scale: 0 })).toThrow(/scale must be positive/);
    expect(() => new AffineAct({ bits: 4, offset: NaN })).toThrow(/offset must be a finite number/);
  });
});
