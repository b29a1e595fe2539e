// Weight quantizers (assembly/quant.ts through src/quantize/weights.ts) against plain float64
// references of docs/algorithms.md, on awkward sizes and per-channel groups.
import { describe, expect, it, beforeAll } from 'vitest';
import { type Lowbit } from '../src/node/index.js';
import { QuantizedWeight, weightQuantizers, type WeightQuantizer } from '../src/quantize/weights.js';
import { param } from '../src/ops/layer.js';
import { initialAlpha } from '../src/ops/activations.js';
import { rng, randomFloats } from './reference.js';
import { runtime, poisonHeap } from './helpers.js';

let lb: Lowbit;
beforeAll(async () => { lb = await runtime(); });

/** TWN threshold: delta = 0.7 mean|w|, s = mean of kept |w|. */
function ternaryThresholdRef(w: Float32Array): Float64Array {
  const a = Array.from(w, Math.abs), delta = Math.fround(0.7 * a.reduce((s, v) => s + v, 0) / w.length);
  const kept = a.filter((v) => v >= delta), s = kept.length ? kept.reduce((x, y) => x + y, 0) / kept.length : 0;
  return Float64Array.from(w, (v) => (Math.abs(v) >= delta ? Math.sign(v || 1) * s : 0));
}

/**
 * Lloyd's iteration on a level set (magnitudes, 0 included), from scale s0: nearest-level
 * assignment and least-squares refit until the assignment repeats; returns the last assignment
 * times its least-squares scale, and the squared error.
 */
function lloyd(w: ArrayLike<number>, levels: number[], s0: number): { q: Float64Array; err: number } {
  const nearest = (a: number) => levels.reduce((best, l) => (Math.abs(a - l) < Math.abs(a - best) || (Math.abs(a - l) === Math.abs(a - best) && l > best) ? l : best), 0);
  let s = s0, prev = '';
  let pattern: number[] = [];
  for (let r = 0; r < 1000 && s > 0; r++) {
    pattern = Array.from(w, (v) => nearest(Math.abs(v) / s));
    const key = pattern.join();
    let wp = 0, pp = 0;
    pattern.forEach((p, i) => { wp += Math.abs(w[i]) * p; pp += p * p; });
    s = pp > 0 ? wp / pp : 0;
    if (key === prev) break;
    prev = key;
  }
  const q = Float64Array.from(w, (v, i) => Math.sign(v || 1) * s * pattern[i]);
  return { q, err: q.reduce((e, v, i) => e + (v - w[i]) ** 2, 0) };
}
const pow2Levels = (bits: number) => [0, ...Array.from({ length: 2 ** (bits - 1) - 1 }, (_, k) => 2 ** -k)];
const uniformLevels = (bits: number) => Array.from({ length: 2 ** (bits - 1) }, (_, k) => k);

/** Nearest of s {0, +-2^(1-n) .. +-1}, Lloyd's iteration to convergence from s = max|w|. */
function pow2Ref(w: Float32Array, bits: number): Float64Array {
  return lloyd(w, pow2Levels(bits), Math.max(...Array.from(w, Math.abs))).q;
}

/** Round half to even, as wasm's nearest. */
const roundEven = (v: number) => { const f = Math.floor(v), d = v - f; return d > 0.5 || (d === 0.5 && f % 2 !== 0) ? f + 1 : f; };

/** Trained affine: z = clip(round(-b / s), 0, L), q = clip(round(w / s) + z, 0, L), s (q - z); in f32 like the kernel. */
function affineRef(w: Float32Array, bits: number, s: number, b: number): { out: Float64Array; q: Float64Array; z: number } {
  const L = 2 ** bits - 1, f = Math.fround, z = Math.min(L, Math.max(0, roundEven(f(-b / s))));
  const q = Float64Array.from(w, (v) => Math.min(L, Math.max(0, roundEven(f(v / s)) + z)));
  return { out: q.map((c) => f(s * (c - z))), q, z };
}

function quantize(q: WeightQuantizer, w: Float32Array, outCh: number): { qw: QuantizedWeight; wq: Float32Array } {
  poisonHeap(lb);
  const p = param(lb.heap, 'w', w);
  const qw = new QuantizedWeight(lb.heap, q, p, outCh);
  return { qw, wq: lb.heap.read(Float32Array, qw.wq, w.length) };
}

const SIZES: [number, number][] = [[1, 1], [1, 7], [3, 33], [5, 64], [16, 129]];

describe('weight quantizers', () => {
  it('3..8-bit uniform and power-of-two projections are never worse than a converged Lloyd iteration', () => {
    const r = rng(31);
    for (let trial = 0; trial < 60; trial++) {
      const size = 5 + Math.floor(r() * 300), bits = 3 + Math.floor(r() * 6), pow2 = r() < 0.4 && bits <= 6;
      const w = Float32Array.from({ length: size }, () => (r() - 0.5) * (r() < 0.1 ? 8 : 1)); // some outliers
      const q = pow2 ? weightQuantizers.pow2(bits) : weightQuantizers.uniform(bits);
      const { qw, wq } = quantize(q, w, 1);
      const err = wq.reduce((e, v, i) => e + (v - w[i]) ** 2, 0);
      const mx = Math.max(...Array.from(w, Math.abs));
      // Lloyd from the same start, and from four other starts: the best converged error
      const starts = pow2 ? [mx, mx / 2, mx * 0.75] : [(2 * mx) / (2 ** bits - 1), mx / (2 ** (bits - 1) - 1), mx / 2 ** (bits - 2)];
      const ref = lloyd(w, pow2 ? pow2Levels(bits) : uniformLevels(bits), starts[0]).err;
      expect(err, `${q.label}, ${size} weights`).toBeLessThanOrEqual(ref * (1 + 1e-5) + 1e-9);
      const s = lb.heap.read(Float32Array, qw.scales, 1)[0];
      // the returned scale is the least-squares one for the levels it chose
      const lv = Array.from(wq, (v) => (s > 0 ? Math.abs(v) / s : 0));
      const ls = lv.reduce((a, l, i) => a + Math.abs(w[i]) * l, 0) / lv.reduce((a, l) => a + l * l, 0);
      expect(Math.abs(ls - s) / s, q.label).toBeLessThan(1e-5);
      qw.dispose();
    }
  });

  it.each(SIZES)('ternary (threshold) and power-of-two match the references, per layer and per channel (%i x %i)', (groups, size) => {
    const w = randomFloats(groups * size, rng(groups * 100 + size));
    for (const perChannel of [false, true]) {
      const g = perChannel ? groups : 1, n = w.length / g;
      const cases: [WeightQuantizer, (x: Float32Array) => Float64Array][] = [
        [weightQuantizers.ternary({ method: 'threshold', perChannel }), ternaryThresholdRef],
        [weightQuantizers.pow2(3, { perChannel }), (x) => pow2Ref(x, 3)],
        [weightQuantizers.pow2(4, { perChannel }), (x) => pow2Ref(x, 4)],
      ];
      for (const [q, ref] of cases) {
        const { qw, wq } = quantize(q, w, groups);
        for (let gi = 0; gi < g; gi++) {
          const want = ref(w.subarray(gi * n, (gi + 1) * n));
          for (let i = 0; i < n; i++) expect(wq[gi * n + i], `${q.label} group ${gi} [${i}]`).toBeCloseTo(want[i], 5);
        }
        qw.dispose();
      }
    }
  });

  it.each([[3, 1], [5, 0.8], [6, 1], [6, 0.5]])("LBW-Net's semi-analytical rule, %i bits, ratio %f: s = ratio max|w|, nearest levels (3/4 thresholds) in one pass", (bits, ratio) => {
    const w = randomFloats(3 * 301, rng(bits * 10 + ratio * 10)).map((v, i) => v * 2 ** -(i % 17)); // magnitudes over many octaves
    const { qw, wq } = quantize(weightQuantizers.pow2(bits, { perChannel: true, method: 'lbw', ratio }), w, 3);
    const n = 2 ** (bits - 1) - 1, levels = [0, ...Array.from({ length: n }, (_, k) => 2 ** -k)];
    const scales = lb.heap.read(Float32Array, qw.scales, 3);
    for (let g = 0; g < 3; g++) {
      const part = w.subarray(g * 301, (g + 1) * 301), s = Math.fround(Math.max(...Array.from(part, Math.abs)) * Math.fround(ratio));
      expect(scales[g]).toBe(s);
      part.forEach((v, i) => {
        const a = Math.fround(Math.abs(v) / s);
        // nearest level, ties to the larger (the 3/4 and 1/2 thresholds are inclusive)
        const lv = levels.reduce((best, l) => (Math.abs(a - l) < Math.abs(a - best) || (Math.abs(a - l) === Math.abs(a - best) && l > best) ? l : best), 0);
        expect(wq[g * 301 + i] + 0, `${v}`).toBe(Math.fround(Math.sign(v) * s * lv) + 0);
      });
    }
    qw.dispose();
  });

  it.each([3, 4, 8])('%i-bit uniform: a projection warm-started from the last scale (training) is still a converged Lloyd fixed point', (bits) => {
    const r = rng(bits), w = randomFloats(2 * 500, r), L = 2 ** (bits - 1) - 1;
    const { qw } = quantize(weightQuantizers.uniform(bits, { perChannel: true }), w, 2);
    for (let step = 0; step < 5; step++) { // small updates, as training makes
      const moved = lb.heap.read(Float32Array, qw.wf.w, w.length).map((v, i) => v + 0.02 * Math.sin(i * 7 + step));
      lb.heap.write(qw.wf.w, moved);
      qw.project();
      const out = lb.heap.read(Float32Array, qw.wq, w.length), s = lb.heap.read(Float32Array, qw.scales, 2);
      for (let i = 0; i < w.length; i++) {
        const sc = s[Math.floor(i / 500)], lv = Math.min(L, Math.floor(Math.fround(Math.abs(moved[i]) / sc) + 0.5));
        expect(out[i], `step ${step}, weight ${i}`).toBeCloseTo(Math.sign(moved[i]) * sc * lv, 6);
      }
    }
    qw.dispose();
  });

  it('power-of-two quantizer options are checked', () => {
    expect(() => weightQuantizers.pow2(4, { method: 'kmeans' as never })).toThrow(/method must be 'lloyd' or 'lbw', got 'kmeans'/);
    expect(() => weightQuantizers.pow2(4, { ratio: 0.5 })).toThrow(/ratio is for method 'lbw'/);
    expect(() => weightQuantizers.pow2(4, { method: 'lbw', ratio: 1.5 })).toThrow(/must be in \(0, 1\], got 1.5/);
  });

  it('power-of-two levels are zero or a power of two times the scale', () => {
    const w = randomFloats(500, rng(4));
    const { qw, wq } = quantize(weightQuantizers.pow2(4), w, 1);
    const s = lb.heap.read(Float32Array, qw.scales, 1)[0];
    for (const v of wq) if (v !== 0) expect(Math.log2(Math.abs(v) / s) % 1, `${v}`).toBeCloseTo(0, 5);
    expect(new Set(Array.from(wq, Math.abs)).size).toBeLessThanOrEqual(8); // 0 and 7 magnitudes
    qw.dispose();
  });

  it.each(SIZES)('trained affine: forward from the trained scale and integer zero point, the backward of docs/algorithms.md (%i x %i)', (groups, size) => {
    const r = rng(groups + size), w = randomFloats(groups * size, r), bits = 3, L = 2 ** bits - 1;
    const { qw, wq } = quantize(weightQuantizers.affine(bits, { perChannel: true }), w, groups);
    const [sP, bP] = qw.extra;
    // init spans each group's weights: s = (max - min) / (L - 1), b = min - s / 2
    const s = lb.heap.read(Float32Array, sP.w, groups), b = lb.heap.read(Float32Array, bP.w, groups);
    for (let gi = 0; gi < groups; gi++) {
      const g = w.subarray(gi * size, (gi + 1) * size);
      expect(s[gi]).toBeCloseTo((Math.max(...g) - Math.min(...g)) / (L - 1), 5);
      const want = affineRef(g, bits, s[gi], b[gi]).out;
      for (let i = 0; i < size; i++) expect(wq[gi * size + i]).toBe(want[i]);
    }
    // move the offset so some weights clip, then check the backward against its formulas
    lb.heap.write(bP.w, b.map((v, i) => Math.min(0, Math.max(-L * s[i], v + 0.3 * s[i] * L * (i % 2 ? 1 : -1)))));
    qw.project();
    const b2 = lb.heap.read(Float32Array, bP.w, groups);
    const gq = randomFloats(w.length, r);
    lb.heap.write(qw.wf.g, gq);
    qw.backward();
    const gw = lb.heap.read(Float32Array, qw.wf.g, w.length), gs = lb.heap.read(Float32Array, sP.g, groups), gb = lb.heap.read(Float32Array, bP.g, groups);
    let clipped = 0;
    for (let gi = 0; gi < groups; gi++) {
      const { q, z } = affineRef(w.subarray(gi * size, (gi + 1) * size), bits, s[gi], b2[gi]);
      let ds = 0, db = 0;
      for (let i = 0; i < size; i++) {
        const j = gi * size + i, u = Math.fround(w[j] / s[gi]) + z;
        const inside = u >= 0 && u <= L;
        clipped += inside ? 0 : 1;
        expect(gw[j]).toBe(inside ? gq[j] : 0);
        ds += gq[j] * (q[i] - z); db += gq[j];
      }
      const lsq = 1 / Math.sqrt(size * L);
      expect(gs[gi]).toBeCloseTo(ds * lsq, 4);
      expect(gb[gi]).toBeCloseTo(db * lsq, 4);
    }
    if (size > 8) expect(clipped).toBeGreaterThan(0);
    qw.dispose();
  });

  it('trained affine: the offset gets a non-zero gradient at initialisation, where every weight lies inside the range', () => {
    const r = rng(7), w = randomFloats(4 * 50, r);
    const { qw } = quantize(weightQuantizers.affine(4, { perChannel: true }), w, 4);
    const gq = randomFloats(w.length, r);
    lb.heap.write(qw.wf.g, gq);
    qw.backward();
    const gw = lb.heap.read(Float32Array, qw.wf.g, w.length), gb = lb.heap.read(Float32Array, qw.extra[1].g, 4);
    expect(Array.from(gw)).toEqual(Array.from(gq)); // all inside: straight through
    for (let gi = 0; gi < 4; gi++) {
      const sum = gq.subarray(gi * 50, (gi + 1) * 50).reduce((a, v) => a + v, 0);
      expect(Math.abs(gb[gi])).toBeGreaterThan(1e-3);
      expect(gb[gi]).toBeCloseTo(sum / Math.sqrt(50 * 15), 4);
    }
    qw.dispose();
  });

  it('trained affine: the map stays valid (s > 0, b in [-L s, 0]) whatever the optimizer wrote', () => {
    const w = randomFloats(40, rng(3));
    const { qw } = quantize(weightQuantizers.affine(2), w, 1);
    lb.heap.write(qw.extra[0].w, Float32Array.of(-1));
    lb.heap.write(qw.extra[1].w, Float32Array.of(5));
    qw.project();
    expect(lb.heap.read(Float32Array, qw.extra[0].w, 1)[0]).toBeCloseTo(1e-8, 12);
    expect(lb.heap.read(Float32Array, qw.extra[1].w, 1)[0]).toBe(0);
    lb.heap.write(qw.extra[0].w, Float32Array.of(0.5));
    lb.heap.write(qw.extra[1].w, Float32Array.of(-9));
    qw.project();
    expect(lb.heap.read(Float32Array, qw.extra[1].w, 1)[0]).toBe(-1.5);
    qw.dispose();
  });

  it('bad bit widths are refused with a clear error', () => {
    expect(() => weightQuantizers.uniform(9)).toThrow(/uniform weight quantizer: bits must be an integer in \[2, 8\], got 9/);
    expect(() => weightQuantizers.forBits(16)).toThrow(/1..8 or 32, got 16/);
    expect(() => weightQuantizers.affine(1.5)).toThrow(/got 1.5/);
  });
});

describe('quantized ReLU initial alpha', () => {
  it("reproduces BCGD's table (the MSE-optimal step for a half-Gaussian)", () => {
    expect(initialAlpha(1)).toBeCloseTo(1.2221, 2);
    expect(initialAlpha(2)).toBeCloseTo(0.6511, 2);
    expect(initialAlpha(4)).toBeCloseTo(0.1946, 2);
    expect(initialAlpha(8)).toBeLessThan(initialAlpha(4) / 8);
  });
});
