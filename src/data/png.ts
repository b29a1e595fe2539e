// A small PNG reader (web-standard: DecompressionStream inflates), for classifying images:
// 8-bit grayscale, gray + alpha, RGB, RGBA and palette images, non-interlaced; the result is
// grayscale (luma 0.299 R + 0.587 G + 0.114 B, alpha composited on black) and can be resized to
// the model's input by area averaging. Every length is checked; failures are LowbitError('BAD_IMAGE').
import { LowbitError } from '../errors.js';

const SIG = [137, 80, 78, 71, 13, 10, 26, 10];
const bad = (name: string, msg: string) => new LowbitError('BAD_IMAGE', `${name}: ${msg}`);

export interface GrayImage { width: number; height: number; pixels: Uint8Array }

async function inflate(data: Uint8Array, name: string): Promise<Uint8Array> {
  try {
    const stream = new Blob([data as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('deflate'));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (e) {
    throw bad(name, `the PNG image data does not inflate (${(e as Error).message})`);
  }
}

export function isPng(bytes: Uint8Array): boolean { return bytes.length >= 8 && SIG.every((b, i) => bytes[i] === b); }

/** Decode a PNG to 8-bit grayscale. */
export async function decodePng(bytes: Uint8Array, name = 'image'): Promise<GrayImage> {
  if (!isPng(bytes)) throw bad(name, 'not a PNG file (bad signature)');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let width = 0, height = 0, depth = 0, color = -1, palette: Uint8Array | undefined, trns: Uint8Array | undefined;
  const idat: Uint8Array[] = [];
  for (let at = 8; ;) {
    if (at + 8 > bytes.length) throw bad(name, 'truncated PNG (no IEND chunk)');
    const len = dv.getUint32(at), type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    if (len > bytes.length - at - 12) throw bad(name, `truncated PNG (chunk ${type} claims ${len} bytes)`);
    const body = bytes.subarray(at + 8, at + 8 + len);
    if (type === 'IHDR') {
      if (len < 13) throw bad(name, 'bad IHDR chunk');
      width = dv.getUint32(at + 8); height = dv.getUint32(at + 12); depth = body[8]; color = body[9];
      if (body[12] !== 0) throw bad(name, 'interlaced PNGs are not supported; save it non-interlaced');
      if (depth !== 8) throw bad(name, `bit depth ${depth} is not supported; save an 8-bit PNG`);
      if (![0, 2, 3, 4, 6].includes(color)) throw bad(name, `PNG color type ${color} is not valid`);
      if (!width || !height || width * height > 1 << 24) throw bad(name, `PNG size ${width}x${height} is not supported (at most 16 M pixels)`);
    } else if (type === 'PLTE') palette = body.slice();
    else if (type === 'tRNS') trns = body.slice();
    else if (type === 'IDAT') idat.push(body);
    else if (type === 'IEND') break;
    at += 12 + len;
  }
  if (!width) throw bad(name, 'PNG without IHDR');
  if (color === 3 && !palette) throw bad(name, 'palette PNG without PLTE');
  const channels = [1, 0, 3, 1, 2, 0, 4][color];
  const raw = await inflate(Uint8Array.from(idat.flatMap((c) => Array.from(c))), name);
  const stride = width * channels;
  if (raw.length < height * (stride + 1)) throw bad(name, `PNG image data holds ${raw.length} bytes, ${height * (stride + 1)} needed`);
  // undo the per-row filters (PNG spec section 9), then convert to gray
  const px = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)], src = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const row = px.subarray(y * stride, (y + 1) * stride), up = y ? px.subarray((y - 1) * stride, y * stride) : new Uint8Array(stride);
    if (f > 4) throw bad(name, `PNG row ${y} has filter type ${f}`);
    for (let i = 0; i < stride; i++) { // decode time, once per image
      const a = i >= channels ? row[i - channels] : 0, b = up[i], c = i >= channels ? up[i - channels] : 0;
      let p = 0;
      if (f === 1) p = a; else if (f === 2) p = b; else if (f === 3) p = (a + b) >> 1;
      else if (f === 4) { const pa = Math.abs(b - c), pb = Math.abs(a - c), pc = Math.abs(a + b - 2 * c); p = pa <= pb && pa <= pc ? a : pb <= pc ? b : c; }
      row[i] = (src[i] + p) & 255;
    }
  }
  const gray = new Uint8Array(width * height);
  for (let i = 0; i < width * height; i++) {
    let r: number, g: number, b: number, al = 255;
    if (color === 0) { r = g = b = px[i]; } else if (color === 4) { r = g = b = px[2 * i]; al = px[2 * i + 1]; }
    else if (color === 2) { r = px[3 * i]; g = px[3 * i + 1]; b = px[3 * i + 2]; }
    else if (color === 6) { r = px[4 * i]; g = px[4 * i + 1]; b = px[4 * i + 2]; al = px[4 * i + 3]; }
    else { const k = px[i]; if (3 * k + 2 >= palette!.length) throw bad(name, `palette index ${k} out of range`); r = palette![3 * k]; g = palette![3 * k + 1]; b = palette![3 * k + 2]; al = trns && k < trns.length ? trns[k] : 255; }
    gray[i] = Math.round(((0.299 * r + 0.587 * g + 0.114 * b) * al) / 255);
  }
  return { width, height, pixels: gray };
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
