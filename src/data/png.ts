// A small PNG reader (web-standard: DecompressionStream inflates), for classifying images: every
// color type (gray, gray + alpha, RGB, RGBA, palette), every bit depth (1, 2, 4, 8, 16) and Adam7
// interlacing. The result is 8-bit grayscale (luma 0.299 R + 0.587 G + 0.114 B, alpha composited on
// black) and can be resized to the model's input by area averaging.
//
// Hostile files are refused cheaply: the pixel count is capped (`maxPixels`) before any work, and
// the inflated stream is cut off as soon as it passes the exact size the header implies, so a
// small file that inflates to gigabytes (a decompression bomb) costs only the bytes it may hold.
// Every failure is LowbitError('BAD_IMAGE').
import { LowbitError } from '../errors.js';
import { inflateAtMost } from './inflate.js';

const SIG = [137, 80, 78, 71, 13, 10, 26, 10];
const bad = (name: string, msg: string) => new LowbitError('BAD_IMAGE', `${name}: ${msg}`);

export interface GrayImage { width: number; height: number; pixels: Uint8Array }

export interface DecodePngOptions {
  /** largest width x height accepted (default 16 M pixels); the Worker example uses far less */
  maxPixels?: number;
}

/** Samples per pixel of each color type (0 gray, 2 RGB, 3 palette, 4 gray + alpha, 6 RGBA). */
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const DEPTHS: Record<number, number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };
/** Adam7 passes: x0, y0, dx, dy. */
const ADAM7 = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]];

export function isPng(bytes: Uint8Array): boolean { return bytes.length >= 8 && SIG.every((b, i) => bytes[i] === b); }

interface Header { width: number; height: number; depth: number; color: number; interlace: number }

/** Bytes of one filtered row of `w` pixels (without the filter byte). */
const rowBytes = (h: Header, w: number) => Math.ceil((w * CHANNELS[h.color] * h.depth) / 8);

/** The passes of the image: [x0, y0, dx, dy, width, height] with at least one pixel. */
function passes(h: Header): number[][] {
  const list = h.interlace ? ADAM7 : [[0, 0, 1, 1]];
  return list.map(([x0, y0, dx, dy]) => [x0, y0, dx, dy, Math.ceil((h.width - x0) / dx), Math.ceil((h.height - y0) / dy)])
    .filter((p) => p[4] > 0 && p[5] > 0);
}

/** Undo the per-row filters (PNG spec section 9) of one pass, in place in `raw` from `at`; returns the rows. */
function unfilter(raw: Uint8Array, at: number, rows: number, stride: number, bpp: number, name: string): Uint8Array {
  const px = new Uint8Array(rows * stride);
  for (let y = 0; y < rows; y++) {
    const f = raw[at + y * (stride + 1)], src = at + y * (stride + 1) + 1, o = y * stride;
    if (f > 4) throw bad(name, `PNG row ${y} has filter type ${f}`);
    for (let i = 0; i < stride; i++) { // decode time, once per image
      const a = i >= bpp ? px[o + i - bpp] : 0, b = y ? px[o - stride + i] : 0, c = y && i >= bpp ? px[o - stride + i - bpp] : 0;
      let p = 0;
      if (f === 1) p = a; else if (f === 2) p = b; else if (f === 3) p = (a + b) >> 1;
      else if (f === 4) { const pa = Math.abs(b - c), pb = Math.abs(a - c), pc = Math.abs(a + b - 2 * c); p = pa <= pb && pa <= pc ? a : pb <= pc ? b : c; }
      px[o + i] = (raw[src + i] + p) & 255;
    }
  }
  return px;
}

/** Decode a PNG to 8-bit grayscale. */
export async function decodePng(bytes: Uint8Array, name = 'image', options: DecodePngOptions = {}): Promise<GrayImage> {
  const maxPixels = options.maxPixels ?? 1 << 24;
  if (!isPng(bytes)) throw bad(name, 'not a PNG file (bad signature)');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let h: Header | undefined, palette: Uint8Array | undefined, trns: Uint8Array | undefined;
  const idat: Uint8Array[] = [];
  let idatBytes = 0;
  for (let at = 8; ;) {
    if (at + 8 > bytes.length) throw bad(name, 'truncated PNG (no IEND chunk)');
    const len = dv.getUint32(at), type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    if (len > bytes.length - at - 12) throw bad(name, `truncated PNG (chunk ${type} claims ${len} bytes)`);
    const body = bytes.subarray(at + 8, at + 8 + len);
    if (type === 'IHDR') {
      if (len < 13) throw bad(name, 'bad IHDR chunk');
      h = { width: dv.getUint32(at + 8), height: dv.getUint32(at + 12), depth: body[8], color: body[9], interlace: body[12] };
      if (!(h.color in CHANNELS)) throw bad(name, `PNG color type ${h.color} is not valid`);
      if (!DEPTHS[h.color].includes(h.depth)) throw bad(name, `bit depth ${h.depth} is not valid for PNG color type ${h.color}`);
      if (h.interlace > 1) throw bad(name, `interlace method ${h.interlace} is not valid`);
      if (!h.width || !h.height || h.width * h.height > maxPixels) throw bad(name, `PNG size ${h.width}x${h.height} is not accepted (at most ${maxPixels} pixels)`);
    } else if (type === 'PLTE') palette = body;
    else if (type === 'tRNS') trns = body;
    else if (type === 'IDAT') { idat.push(body); idatBytes += len; }
    else if (type === 'IEND') break;
    at += 12 + len;
  }
  if (!h) throw bad(name, 'PNG without IHDR');
  if (h.color === 3 && !palette) throw bad(name, 'palette PNG without PLTE');
  const ps = passes(h), expected = ps.reduce((s, p) => s + p[5] * (rowBytes(h!, p[4]) + 1), 0);
  const zdata = new Uint8Array(idatBytes);
  idat.reduce((o, c) => { zdata.set(c, o); return o + c.length; }, 0);
  const raw = await inflateAtMost(zdata, 'deflate', expected, (why) => bad(name, why === 'limit' ? `the image data inflates past the ${expected} bytes its IHDR size implies (a corrupt file or a decompression bomb)` : `the PNG image data does not inflate (${why})`));
  if (raw.length < expected) throw bad(name, `PNG image data holds ${raw.length} bytes, ${expected} needed`);

  const channels = CHANNELS[h.color], bpp = Math.max(1, (channels * h.depth) >> 3);
  const maxSample = 2 ** h.depth - 1;
  const gray = new Uint8Array(h.width * h.height);
  // sample k of a row (depth < 8: packed MSB first; 16: big-endian, scaled to 8 bits)
  const sample = (row: Uint8Array, o: number, k: number): number => {
    if (h!.depth === 8) return row[o + k];
    if (h!.depth === 16) return (row[o + 2 * k] << 8) | row[o + 2 * k + 1];
    const bit = k * h!.depth;
    return (row[o + (bit >> 3)] >> (8 - h!.depth - (bit & 7))) & maxSample;
  };
  const to8 = (v: number) => (h!.depth === 8 ? v : Math.round((v * 255) / maxSample));
  const key = (i: number) => (trns && trns.length >= 2 * (i + 1) ? (trns[2 * i] << 8) | trns[2 * i + 1] : -1); // tRNS color key
  let at = 0;
  for (const [x0, y0, dx, dy, pw, ph] of ps) {
    const stride = rowBytes(h, pw), px = unfilter(raw, at, ph, stride, bpp, name);
    at += ph * (stride + 1);
    for (let y = 0; y < ph; y++) {
      const o = y * stride;
      for (let x = 0; x < pw; x++) { // decode time, once per pixel
        let r: number, g: number, b: number, al = 255;
        const s = x * channels;
        if (h.color === 0) {
          const v = sample(px, o, s);
          r = g = b = to8(v);
          if (v === key(0)) al = 0;
        } else if (h.color === 4) { r = g = b = to8(sample(px, o, s)); al = to8(sample(px, o, s + 1)); }
        else if (h.color === 2 || h.color === 6) {
          const rv = sample(px, o, s), gv = sample(px, o, s + 1), bv = sample(px, o, s + 2);
          r = to8(rv); g = to8(gv); b = to8(bv);
          if (h.color === 6) al = to8(sample(px, o, s + 3));
          else if (rv === key(0) && gv === key(1) && bv === key(2)) al = 0;
        } else {
          const k = sample(px, o, s);
          if (3 * k + 2 >= palette!.length) throw bad(name, `palette index ${k} out of range`);
          r = palette![3 * k]; g = palette![3 * k + 1]; b = palette![3 * k + 2]; al = trns && k < trns.length ? trns[k] : 255;
        }
        gray[(y0 + y * dy) * h.width + x0 + x * dx] = Math.round(((0.299 * r + 0.587 * g + 0.114 * b) * al) / 255);
      }
    }
  }
  return { width: h.width, height: h.height, pixels: gray };
}

/** Resize a grayscale image by area averaging (each output pixel the mean of the input pixels it covers). */
export function resizeGray(img: GrayImage, width: number, height: number): Uint8Array {
  if (img.width === width && img.height === height) return img.pixels;
  const out = new Uint8Array(width * height);
  for (let oy = 0; oy < height; oy++) for (let ox = 0; ox < width; ox++) {
    const y0 = (oy * img.height) / height, y1 = ((oy + 1) * img.height) / height, x0 = (ox * img.width) / width, x1 = ((ox + 1) * img.width) / width;
    let sum = 0, area = 0;
    for (let y = Math.floor(y0); y < Math.ceil(y1); y++) for (let x = Math.floor(x0); x < Math.ceil(x1); x++) {
      const wy = Math.min(y + 1, y1) - Math.max(y, y0), wx = Math.min(x + 1, x1) - Math.max(x, x0);
      sum += img.pixels[y * img.width + x] * wy * wx; area += wy * wx;
    }
    out[oy * width + ox] = Math.round(sum / area);
  }
  return out;
}
