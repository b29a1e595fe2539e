// A PNG encoder for tests: every row filter type (y % 5), any color type, bit depth 1..16, and
// Adam7 interlacing.
import { deflateSync } from 'node:zlib';
import { crc32 } from '../src/crc32.js';

function chunk(type: string, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + body.length), dv = new DataView(out.buffer);
  dv.setUint32(0, body.length);
  out.set(new TextEncoder().encode(type), 4);
  out.set(body, 8);
  dv.setUint32(8 + body.length, crc32(out.subarray(4, 8 + body.length)));
  return out;
}

const ADAM7 = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]];

export interface EncodeOptions { depth?: number; interlace?: boolean; palette?: Uint8Array; trns?: Uint8Array; zdata?: Uint8Array }

/**
 * Encode samples (one number per sample, rows of width * channels, each below 2^depth) with filter
 * type (y % 5) per row. `zdata` replaces the compressed image data (for hostile files).
 */
export function encodePng(samples: ArrayLike<number>, width: number, height: number, color: number, o: EncodeOptions | Uint8Array = {}): Uint8Array {
  const opts: EncodeOptions = o instanceof Uint8Array ? { palette: o } : o;
  const depth = opts.depth ?? 8, ch = [1, 0, 3, 1, 2, 0, 4][color];
  const passes = opts.interlace ? ADAM7 : [[0, 0, 1, 1]];
  const chunks: number[] = [];
  for (const [x0, y0, dx, dy] of opts.zdata ? [] : passes) {
    const pw = Math.ceil((width - x0) / dx), ph = Math.ceil((height - y0) / dy);
    if (pw <= 0 || ph <= 0) continue;
    const stride = Math.ceil((pw * ch * depth) / 8), bpp = Math.max(1, (ch * depth) >> 3);
    const rows: Uint8Array[] = [];
    for (let y = 0; y < ph; y++) {
      const row = new Uint8Array(stride);
      for (let x = 0; x < pw; x++) for (let c = 0; c < ch; c++) {
        const v = samples[((y0 + y * dy) * width + x0 + x * dx) * ch + c], k = x * ch + c;
        if (depth === 16) { row[2 * k] = v >> 8; row[2 * k + 1] = v & 255; } else if (depth === 8) row[k] = v;
        else row[(k * depth) >> 3] |= v << (8 - depth - ((k * depth) & 7));
      }
      rows.push(row);
    }
    rows.forEach((row, y) => {
      const f = y % 5, up = y ? rows[y - 1] : new Uint8Array(stride);
      chunks.push(f);
      for (let i = 0; i < stride; i++) {
        const a = i >= bpp ? row[i - bpp] : 0, b = up[i], c = i >= bpp ? up[i - bpp] : 0;
        const pa = Math.abs(b - c), pb = Math.abs(a - c), pc = Math.abs(a + b - 2 * c);
        const p = f === 0 ? 0 : f === 1 ? a : f === 2 ? b : f === 3 ? (a + b) >> 1 : pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
        chunks.push((row[i] - p) & 255);
      }
    });
  }
  const ihdr = new Uint8Array(13), dv = new DataView(ihdr.buffer);
  dv.setUint32(0, width); dv.setUint32(4, height); ihdr[8] = depth; ihdr[9] = color; ihdr[12] = opts.interlace ? 1 : 0;
  const parts = [Uint8Array.of(137, 80, 78, 71, 13, 10, 26, 10), chunk('IHDR', ihdr),
    ...(opts.palette ? [chunk('PLTE', opts.palette)] : []), ...(opts.trns ? [chunk('tRNS', opts.trns)] : []),
    chunk('IDAT', opts.zdata ?? deflateSync(Uint8Array.from(chunks))), chunk('IEND', new Uint8Array())];
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}
