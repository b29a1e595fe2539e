// Weight quantizers as values passed to layers (Larq's kernelQuantizer idea): a binary or 4-bit
// layer is the same layer with another quantizer. Training keeps float weights w_f; the forward and
// backward passes use w = proj_Q(w_f) (docs/algorithms.md), written by `project` into a buffer
// the layer reads. Projections run in wasm (assembly/quant.ts).
import { checkOptions, LowbitError } from '../errors.js';
import type { Heap } from '../memory.js';
import { freeParams, param, type Param } from '../ops/layer.js';

export type WeightQuantizerKind = 'float' | 'binary' | 'ternary' | 'uniform' | 'pow2' | 'affine';

export interface WeightQuantizer {
  readonly kind: WeightQuantizerKind;
  /** bits per weight (32 for float) */
  readonly bits: number;
  /** one scale per output channel instead of one per layer */
  readonly perChannel: boolean;
  /** ternary: 'exact' (LBW-Net sort, default) or 'threshold' (TWN's 0.7 mean |w|); pow2: 'lloyd' (default) or 'lbw' */
  readonly method?: 'exact' | 'threshold' | 'lloyd' | 'lbw';
  /** pow2 'lbw': the scale is ratio * max |w| (LBW-Net's one free parameter) */
  readonly ratio?: number;
  /** a short label: '1-bit binary', '4-bit uniform', ... */
  readonly label: string;
}

interface Options { perChannel?: boolean }
const opts = <T extends object>(what: string, o: T, extra: string[] = []): T => { checkOptions(`weightQuantizers.${what}`, o, ['perChannel', ...extra]); return o; };

function checkBits(kind: string, bits: number, min: number, max: number): void {
  if (!Number.isInteger(bits) || bits < min || bits > max) {
    throw new LowbitError('BAD_ARGUMENT', `${kind} weight quantizer: bits must be an integer in [${min}, ${max}], got ${bits}`);
  }
}

/** The weight quantizers. */
export const weightQuantizers = {
  float: (): WeightQuantizer => ({ kind: 'float', bits: 32, perChannel: false, label: 'float32' }),
  /** {+-s}, s = mean |w| (exact least squares). */
  binary: (o: Options = {}): WeightQuantizer => (opts('binary', o), { kind: 'binary', bits: 1, perChannel: !!o.perChannel, label: '1-bit binary' }),
  /** s {0, +-1}: the exact O(N log N) projection, or TWN's threshold heuristic. */
  ternary: (o: Options & { method?: 'exact' | 'threshold' } = {}): WeightQuantizer =>
    (opts('ternary', o, ['method']), { kind: 'ternary', bits: 2, perChannel: !!o.perChannel, method: o.method ?? 'exact', label: `2-bit ternary (${o.method ?? 'exact'})` }),
  /** s {0, +-1, .., +-(2^(bits-1) - 1)}, approximate projection (3 rounds of level assignment + least-squares scale). */
  uniform: (bits: number, o: Options = {}): WeightQuantizer => {
    opts('uniform', o);
    checkBits('uniform', bits, 2, 8);
    return { kind: 'uniform', bits, perChannel: !!o.perChannel, label: `${bits}-bit uniform` };
  },
  /**
   * s {0, +-2^(1-n), .., +-1}, n = 2^(bits-1) - 1 (LBW-Net's power-of-two set): the scale by Lloyd's
   * iteration to convergence ('lloyd'), or LBW-Net's semi-analytical rule ('lbw'): s = ratio max|w|
   * (ratio in (0, 1], default 1), then the nearest levels in one pass.
   */
  pow2: (bits: number, o: Options & { method?: 'lloyd' | 'lbw'; ratio?: number } = {}): WeightQuantizer => {
    opts('pow2', o, ['method', 'ratio']);
    checkBits('pow2', bits, 2, 6);
    const method = o.method ?? 'lloyd';
    if (method !== 'lloyd' && method !== 'lbw') throw new LowbitError('BAD_ARGUMENT', `pow2 weight quantizer: method must be 'lloyd' or 'lbw', got '${String(method)}'`);
    if (o.ratio !== undefined && (method !== 'lbw' || !(o.ratio > 0 && o.ratio <= 1))) throw new LowbitError('BAD_ARGUMENT', `pow2 weight quantizer: ratio is for method 'lbw' and must be in (0, 1], got ${o.ratio}`);
    return { kind: 'pow2', bits, perChannel: !!o.perChannel, ...(method === 'lbw' ? { method, ratio: o.ratio ?? 1 } : {}), label: `${bits}-bit power-of-two${method === 'lbw' ? ` (LBW rule, ratio ${o.ratio ?? 1})` : ''}` };
  },
  /** s (q - z), q in 0 .. 2^bits - 1, z = round(-b / s): scale s and offset b trained (docs/algorithms.md). */
  affine: (bits: number, o: Options = {}): WeightQuantizer => {
    opts('affine', o);
    checkBits('affine', bits, 2, 8);
    return { kind: 'affine', bits, perChannel: !!o.perChannel, label: `${bits}-bit trained affine` };
  },
  /** The default quantizer for a bit width: 32 float, 1 binary, 2 ternary, 3..8 uniform. */
  forBits: (bits: number, o: Options = {}): WeightQuantizer => {
    if (bits === 32) return weightQuantizers.float();
    if (bits === 1) return weightQuantizers.binary(o);
    if (bits === 2) return weightQuantizers.ternary(o);
    if (Number.isInteger(bits) && bits >= 3 && bits <= 8) return weightQuantizers.uniform(bits, o);
    throw new LowbitError('BAD_ARGUMENT', `weight bits must be 1..8 or 32, got ${bits}`);
  },
};

/**
 * Keeps a trained affine map (scales s, offsets b, `n` of each) valid before it is used: s >= 1e-8
 * (it divides) and b in [-L s, 0], so the zero point round(-b / s) is a code and real 0 is exact.
 */
export function keepAffineMap(heap: Heap, sPtr: number, bPtr: number, n: number, bits: number): void {
  const s = heap.read(Float32Array, sPtr, n), b = heap.read(Float32Array, bPtr, n), L = 2 ** bits - 1;
  let changed = false;
  for (let i = 0; i < n; i++) { // one value per map
    const si = Number.isFinite(s[i]) ? Math.max(s[i], 1e-8) : 1e-8, bi = Math.min(0, Math.max(-L * si, Number.isFinite(b[i]) ? b[i] : 0));
    if (si !== s[i] || bi !== b[i]) { s[i] = si; b[i] = bi; changed = true; }
  }
  if (changed) { heap.write(sPtr, s); heap.write(bPtr, b); }
}

/** Round to nearest, ties to even (wasm's nearest). */
export function roundHalfEven(v: number): number {
  const f = Math.floor(v), d = v - f;
  return d > 0.5 || (d === 0.5 && f % 2 !== 0) ? f + 1 : f;
}

/** The integer zero point of an affine map with scale s and offset b: clip(round(-b / s), 0, L), in f32 as the kernel. */
export function affineZeroPoint(s: number, b: number, bits: number): number {
  return Math.min(2 ** bits - 1, Math.max(0, roundHalfEven(Math.fround(-b / s))));
}

/**
 * LSQ's gradient scale for a map's scale and offset (Esser et al. 2020): 1 / sqrt(N L), N the
 * values one map quantizes per sample (a weight group, or an activation's features).
 */
export function scaleMapGradients(heap: Heap, extra: Param[], n: number, perMap: number, bits: number): void {
  const f = 1 / Math.sqrt(perMap * (2 ** bits - 1));
  for (const p of extra) heap.write(p.g, heap.read(Float32Array, p.g, n).map((v) => v * f));
}

/** Lloyd rounds of the 3..8-bit projections: at most this many, until the scale stops changing. */
const ROUNDS = 100;

/**
 * The quantized view of one weight tensor [groups-of-out][size] held by a layer: `wf` is the
 * trained float parameter, `wq` the buffer the layer computes with. For 'affine', `extra` holds
 * the trained scale and offset (one per group).
 */
export class QuantizedWeight {
  readonly wq: number;
  readonly scales: number;
  readonly groups: number;
  readonly size: number;
  readonly extra: Param[] = [];
  private scratch = 0;
  private gq = 0;
  /** Lloyd's iteration starts from the scale the last projection converged to (0 before the first) */
  private warm = 0;

  constructor(private readonly heap: Heap, readonly q: WeightQuantizer, readonly wf: Param, outChannels: number) {
    this.groups = q.perChannel ? outChannels : 1;
    this.size = wf.size / this.groups;
    this.wq = heap.alloc(wf.size * 4);
    this.scales = heap.alloc(this.groups * 4);
    heap.u8().fill(0, this.scales, this.scales + this.groups * 4);
    if (q.kind === 'ternary' && q.method !== 'threshold') this.scratch = heap.alloc((2 * this.size + 256) * 4);
    if (q.kind === 'affine') {
      // init: s = (max - min) / (L - 1), b = min - s / 2 per group: with the zero point rounded,
      // every initial weight lies inside the codes' range (s = (max - min) / L would clip the ends)
      const w = heap.read(Float32Array, wf.w, wf.size), L = 2 ** q.bits - 1;
      const s = new Float32Array(this.groups), b = new Float32Array(this.groups);
      for (let gi = 0; gi < this.groups; gi++) { // per group, at build time
        let lo = Infinity, hi = -Infinity;
        for (const v of w.subarray(gi * this.size, (gi + 1) * this.size)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
        s[gi] = Math.max((hi - lo) / (L - 1), 1e-8); b[gi] = lo - s[gi] / 2;
      }
      this.extra.push(param(heap, `${wf.name}.scale`, s), param(heap, `${wf.name}.offset`, b));
      this.gq = heap.alloc(wf.size * 4);
    }
    this.project();
  }

  /** wq = proj_Q(wf). */
  project(): void {
    const { heap, wf, wq, groups, size, scales } = this, k = heap.wasm, q = this.q;
    switch (q.kind) {
      case 'float': heap.u8().copyWithin(wq, wf.w, wf.w + wf.size * 4); break;
      case 'binary': k.projectBinary(wf.w, wq, groups, size, scales); break;
      case 'ternary':
        if (q.method === 'threshold') k.projectTernaryThreshold(wf.w, wq, groups, size, scales);
        else k.projectTernary(wf.w, wq, groups, size, scales, this.scratch);
        break;
      case 'uniform': k.projectUniform(wf.w, wq, groups, size, q.bits, ROUNDS, this.warm, scales); this.warm = 1; break;
      case 'pow2':
        if (q.method === 'lbw') k.projectPow2Ratio(wf.w, wq, groups, size, q.bits, 0, q.ratio ?? 1, 0, scales);
        else { k.projectPow2Ratio(wf.w, wq, groups, size, q.bits, ROUNDS, 1, this.warm, scales); this.warm = 1; }
        break;
      case 'affine': {
        keepAffineMap(heap, this.extra[0].w, this.extra[1].w, groups, q.bits);
        k.affineQuantForward(wf.w, wq, groups, size, q.bits, this.extra[0].w, this.extra[1].w);
        break;
      }
    }
  }

  /**
   * The state a checkpoint keeps so that a resumed run projects as the uninterrupted one: the
   * scales Lloyd's iteration warm-starts from (uniform and power-of-two sets), else undefined.
   */
  warmState(): { ptr: number; size: number } | undefined {
    return (this.q.kind === 'uniform' || (this.q.kind === 'pow2' && this.q.method !== 'lbw')) ? { ptr: this.scales, size: this.groups } : undefined;
  }

  /** After restoring the float weights: the next projection starts from warmState() if it was restored too, else cold. */
  restoredWarm(restored: boolean): void { this.warm = restored ? 1 : 0; }

  /**
   * After the layer wrote d loss / d wq into wf.g: the straight-through gradient for wf is the same
   * (BinaryConnect), except 'affine', whose backward also yields the scale and offset gradients.
   */
  backward(): void {
    if (this.q.kind !== 'affine') return;
    const { heap, wf } = this, n = wf.size * 4;
    heap.u8().copyWithin(this.gq, wf.g, wf.g + n);
    heap.wasm.affineQuantBackward(wf.w, this.gq, wf.g, this.groups, this.size, this.q.bits, this.extra[0].w, this.extra[1].w, this.extra[0].g, this.extra[1].g);
    scaleMapGradients(heap, this.extra, this.groups, this.size, this.q.bits);
  }

  dispose(): void {
    for (const p of [this.wq, this.scales, this.scratch, this.gq]) if (p) this.heap.free(p);
    freeParams(this.heap, this.extra);
  }
}
