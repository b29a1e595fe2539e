// A small ONNX ModelProto writer: graphs of nodes with attributes, typed initializers, inputs and
// outputs (the field numbers of onnx.proto). Used by the QONNX export, and by the benchmarks and
// tests to build peer and test models.

const utf8 = new TextEncoder();

class Writer {
  private parts: Uint8Array[] = [];
  private len = 0;
  push(b: Uint8Array): void { this.parts.push(b); this.len += b.length; }
  varint(v: number): void {
    let n = BigInt(v);
    if (n < 0n) n += 1n << 64n; // int64 two's complement
    const out: number[] = [];
    do { let b = Number(n & 0x7fn); n >>= 7n; if (n) b |= 0x80; out.push(b); } while (n);
    this.push(Uint8Array.from(out));
  }
  key(field: number, wire: number): void { this.varint(field * 8 + wire); }
  int(field: number, v: number): void { this.key(field, 0); this.varint(v); }
  bytes(field: number, b: Uint8Array): void { this.key(field, 2); this.varint(b.length); this.push(b); }
  string(field: number, s: string): void { this.bytes(field, utf8.encode(s)); }
  message(field: number, fill: (w: Writer) => void): void { const w = new Writer(); fill(w); this.bytes(field, w.finish()); }
  float(field: number, v: number): void { this.key(field, 5); const b = new Uint8Array(4); new DataView(b.buffer).setFloat32(0, v, true); this.push(b); }
  finish(): Uint8Array { const out = new Uint8Array(this.len); let o = 0; for (const p of this.parts) { out.set(p, o); o += p.length; } return out; }
}

export type AttrValue = number | string | number[];
export interface EncNode { op: string; inputs: string[]; outputs: string[]; attrs?: Record<string, AttrValue>; domain?: string; name?: string; ints?: string[] }
/** `type`: the ONNX element type (default float, or int64 for a BigInt64Array); `data` is written as raw little-endian bytes. */
export interface EncTensor { name: string; dims: number[]; data: ArrayBufferView; type?: number }
export interface EncValue { name: string; dims: number[]; type?: number }

/** An ONNX model (float32 values unless typed); integer attributes are those listed in a node's `ints`. */
export function encodeOnnx(g: { nodes: EncNode[]; inputs: EncValue[]; outputs: EncValue[]; initializers: EncTensor[]; opsets: Record<string, number>; producer: string }): Uint8Array {
  const w = new Writer();
  w.int(1, 8); // ir_version
  w.string(2, g.producer);
  w.message(7, (gw) => {
    g.nodes.forEach((n, i) => gw.message(1, (nw) => {
      for (const x of n.inputs) nw.string(1, x);
      for (const x of n.outputs) nw.string(2, x);
      nw.string(3, n.name ?? `${n.op}_${i}`);
      nw.string(4, n.op);
      for (const [k, v] of Object.entries(n.attrs ?? {})) nw.message(5, (a) => {
        a.string(1, k);
        if (Array.isArray(v)) { for (const x of v) a.int(8, x); a.int(20, 7); }
        else if (typeof v === 'string') { a.bytes(4, utf8.encode(v)); a.int(20, 3); }
        else if (n.ints?.includes(k)) { a.int(3, v); a.int(20, 2); }
        else { a.float(2, v); a.int(20, 1); }
      });
      if (n.domain) nw.string(7, n.domain);
    }));
    gw.string(2, 'lowbit');
    for (const t of g.initializers) gw.message(5, (tw) => {
      for (const d of t.dims) tw.int(1, d);
      tw.int(2, t.type ?? (t.data instanceof BigInt64Array ? 7 : 1));
      tw.string(8, t.name);
      tw.bytes(9, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    });
    const value = (field: number, v: EncValue) => gw.message(field, (vw) => {
      vw.string(1, v.name);
      vw.message(2, (t) => t.message(1, (tt) => { tt.int(1, v.type ?? 1); tt.message(2, (s) => { for (const d of v.dims) s.message(1, (dd) => dd.int(1, d)); }); }));
    });
    for (const v of g.inputs) value(11, v);
    for (const v of g.outputs) value(12, v);
  });
  for (const [domain, version] of Object.entries(g.opsets)) w.message(8, (o) => { o.string(1, domain); o.int(2, version); });
  return w.finish();
}
