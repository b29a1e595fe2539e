import { checkOptions, LowbitError } from '../errors.js';
import type { Heap } from '../memory.js';
import { Slot, type Layer, type Param } from './layer.js';
import type { IntVal, Lowering, LowerNode, Quantized, Stream } from '../infer/lowering.js';
import { STREAM_BITS } from '../infer/fold.js';

const pair = (v: number | [number, number]): [number, number] => (Array.isArray(v) ? [v[0], v[1]] : [v, v]);

/**
 * Average pooling over 'valid' windows (default: k x k, stride k). `global: true` averages each
 * channel over the whole image ([h, w, c] to [c]).
 */
export class AvgPool implements Layer {
  readonly name: string;
  readonly op = 'avgpool';
  private heap!: Heap; private h = 0; private w = 0; private c = 0; private oh = 0; private ow = 0;
  private kh = 0; private kw = 0; private sh = 0; private sw = 0;
  private y!: Slot; private dx!: Slot;
  constructor(readonly options: { pool?: number | [number, number]; strides?: number | [number, number]; global?: boolean } = { pool: 2 }) {
    const o = options;
    checkOptions('AvgPool', o, ['pool', 'strides', 'global']);
    const ok = (v: unknown) => v === undefined || (Array.isArray(v) ? v.length === 2 && v.every((x) => Number.isInteger(x) && x >= 1) : Number.isInteger(v) && (v as number) >= 1);
    if (!ok(o.pool) || !ok(o.strides)) throw new LowbitError('BAD_ARGUMENT', `AvgPool pool and strides must be integers >= 1 or [vertical, horizontal] pairs, got ${JSON.stringify(o)}`);
    if (o.global && (o.pool !== undefined || o.strides !== undefined)) throw new LowbitError('BAD_ARGUMENT', 'AvgPool: global pooling takes no pool or strides');
    this.name = o.global ? 'global-avgpool' : `avgpool(${JSON.stringify(o.pool ?? 2)}${o.strides !== undefined ? `, stride ${JSON.stringify(o.strides)}` : ''})`;
  }
  config(): Record<string, unknown> { return { ...this.options }; }
  build(heap: Heap, inShape: number[]): number[] {
    if (inShape.length !== 3) throw new LowbitError('BAD_SHAPE', `${this.name} needs [height, width, channels] input, got [${inShape.join(', ')}]`);
    this.heap = heap; [this.h, this.w, this.c] = inShape;
    if (this.options.global) {
      [this.kh, this.kw, this.sh, this.sw] = [this.h, this.w, 1, 1];
    } else {
      [this.kh, this.kw] = pair(this.options.pool ?? 2);
      [this.sh, this.sw] = pair(this.options.strides ?? [this.kh, this.kw]);
    }
    if (this.kh > this.h || this.kw > this.w) throw new LowbitError('BAD_SHAPE', `${this.name}: window ${this.kh}x${this.kw} is larger than the ${this.h}x${this.w} input`);
    this.oh = Math.floor((this.h - this.kh) / this.sh) + 1; this.ow = Math.floor((this.w - this.kw) / this.sw) + 1;
    this.y = new Slot(heap); this.dx = new Slot(heap);
    return this.options.global ? [this.c] : [this.oh, this.ow, this.c];
  }
  forward(x: number, batch: number): number {
    const y = this.y.get(batch * this.oh * this.ow * this.c * 4);
    this.heap.wasm.avgPoolForward(x, batch, this.h, this.w, this.c, this.kh, this.kw, this.sh, this.sw, this.oh, this.ow, y);
    return y;
  }
  backward(dy: number, batch: number): number {
    const dx = this.dx.get(batch * this.h * this.w * this.c * 4);
    this.heap.wasm.avgPoolBackward(dy, batch, this.h, this.w, this.c, this.kh, this.kw, this.sh, this.sw, this.oh, this.ow, dx);
    return dx;
  }
  params(): Param[] { return []; }
  dispose(): void { this.y.free(); this.dx.free(); }
  /** window sums with the scale divided by the window: of codes or bits a new stream, of a stream shifted to stay in 30 bits */
  lower(ctx: Lowering, n: LowerNode): IntVal {
    const v0 = n.inputs[0], x0 = ctx.iv[v0], x: Quantized | Stream = x0.kind === 'codes' || x0.kind === 'bits' ? x0 : ctx.asStream(v0, n.name);
    // the window and output of build(), which saw this input's shape
    const k: [number, number] = [this.kh, this.kw], strides: [number, number] = [this.sh, this.sw];
    const N = this.kh * this.kw, shape: [number, number, number] = [this.oh, this.ow, this.c];
    if (x.kind === 'codes' || x.kind === 'bits') {
      const at = ctx.emit({ op: 'avgpool', inputs: [x.at], k, strides, shift: 0 });
      const st = { kind: 'stream' as const, at, shape, scale: x.scale / N, bound: x.kind === 'bits' ? 1 : x.scale * (2 ** x.bits - 1) };
      // codes with a zero point z: the mean of s (q - z) is (s / N) sum q - s z
      return x.zero ? { kind: 'affine', src: st, A: new Float64Array(shape[2]).fill(st.scale), B: new Float64Array(shape[2]).fill(-x.scale * x.zero) } : st;
    }
    if (x.kind !== 'stream') throw new LowbitError('CANNOT_COMPILE', `${n.name}: average pooling of ${x.kind} has no integer form`);
    const shift = Math.max(0, Math.ceil(Math.log2((N * x.bound) / x.scale / 2 ** STREAM_BITS)));
    const at = ctx.emit({ op: 'avgpool', inputs: [x.at], k, strides, shift });
    return { kind: 'stream', at, shape, scale: (x.scale * 2 ** shift) / N, bound: x.bound };
  }
}

/** Global average pooling: [h, w, c] to [c]. */
export const globalAvgPool = (): AvgPool => new AvgPool({ global: true });
