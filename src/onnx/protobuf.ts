// A bounded reader of the protobuf wire format: the few message shapes ONNX files use. Every read
// checks its bounds; a malformed file gives LowbitError('BAD_MODEL') naming the byte offset.
import { LowbitError } from '../errors.js';

export const WIRE = { VARINT: 0, I64: 1, LEN: 2, I32: 5 } as const;

export class ProtoReader {
  pos: number;
  constructor(readonly buf: Uint8Array, start = 0, readonly end = buf.length, readonly what = 'ONNX file') {
    this.pos = start;
  }

  fail(msg: string): LowbitError {
    return new LowbitError('BAD_MODEL', `${this.what}: ${msg} at byte ${this.pos}; the file is truncated or not an ONNX model`);
  }

  done(): boolean { return this.pos >= this.end; }

  /** A varint as a JS number (int64 two's complement for negatives); beyond +-2^53 is refused. */
  varint(): number {
    let v = 0, scale = 1;
    const start = this.pos;
    for (let i = 0; ; i++) {
      if (this.pos >= this.end) throw this.fail('a number runs past the end');
      const b = this.buf[this.pos++];
      if (i === 7 && b & 0x80) { this.pos = start; return this.longVarint(); }
      v += (b & 0x7f) * scale;
      scale *= 128;
      if (!(b & 0x80)) return v;
    }
  }

  /** Varints of 9 and 10 bytes: large or negative int64. */
  private longVarint(): number {
    let v = 0n, shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw this.fail('a number runs past the end');
      const b = this.buf[this.pos++];
      v |= BigInt(b & 0x7f) << shift;
      shift += 7n;
      if (!(b & 0x80)) {
        const s = BigInt.asIntN(64, v);
        if (s > BigInt(Number.MAX_SAFE_INTEGER) || s < -BigInt(Number.MAX_SAFE_INTEGER)) throw this.fail('a number beyond 2^53');
        return Number(s);
      }
    }
    throw this.fail('a number is longer than 10 bytes');
  }

  tag(): [field: number, wire: number] {
    const t = this.varint();
    return [Math.floor(t / 8), t & 7];
  }

  /** The [start, end) of a length-delimited field. */
  span(): [number, number] {
    const n = this.varint();
    if (n > this.end - this.pos) throw this.fail(`a field of ${n} bytes runs past the end`);
    const s = this.pos;
    this.pos += n;
    return [s, this.pos];
  }

  bytes(): Uint8Array { const [s, e] = this.span(); return this.buf.subarray(s, e); }
  string(): string { return new TextDecoder('utf-8', { fatal: false }).decode(this.bytes()); }
  sub(what = this.what): ProtoReader { const [s, e] = this.span(); return new ProtoReader(this.buf, s, e, what); }

  float32(): number {
    if (this.end - this.pos < 4) throw this.fail('a float runs past the end');
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 4).getFloat32(0, true);
    this.pos += 4;
    return v;
  }

  float64(): number {
    if (this.end - this.pos < 8) throw this.fail('a double runs past the end');
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8).getFloat64(0, true);
    this.pos += 8;
    return v;
  }

  skip(wire: number): void {
    if (wire === WIRE.VARINT) this.varint();
    else if (wire === WIRE.I64) { if (this.end - this.pos < 8) throw this.fail('a field runs past the end'); this.pos += 8; }
    else if (wire === WIRE.LEN) this.span();
    else if (wire === WIRE.I32) { if (this.end - this.pos < 4) throw this.fail('a field runs past the end'); this.pos += 4; }
    else throw this.fail(`unknown wire type ${wire}`);
  }

  /** Repeated numbers, packed (one LEN field) or not (one value per tag). */
  repeated(wire: number, out: number[], read: (r: ProtoReader) => number, max: number): void {
    if (wire === WIRE.LEN) {
      const r = this.sub();
      while (!r.done()) { if (out.length >= max) throw this.fail(`more than ${max} values`); out.push(read(r)); }
    } else {
      if (out.length >= max) throw this.fail(`more than ${max} values`);
      out.push(read(this));
    }
  }
}
