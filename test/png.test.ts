// The PNG reader (src/data/png.ts) against images encoded here with every filter type and color type.
import { describe, expect, it } from 'vitest';
import { decodePng, resizeGray } from '../src/data/png.js';
import { encodePng } from './png-encode.js';
import { rng } from './reference.js';
import { deflateSync } from 'node:zlib';
import { PNG } from 'pngjs';

describe('decodePng', () => {
  const r = rng(5), w = 13, h = 11;
  const gray = Uint8Array.from({ length: w * h }, () => Math.floor(r() * 256));
  it('grayscale with all five row filters round-trips exactly', async () => {
    const img = await decodePng(encodePng(gray, w, h, 0));
    expect([img.width, img.height]).toEqual([w, h]);
    expect(img.pixels).toEqual(gray);
  });
  it('RGB, RGBA, gray + alpha and palette images become luma (alpha over black)', async () => {
    const rgb = new Uint8Array(w * h * 3), rgba = new Uint8Array(w * h * 4), ga = new Uint8Array(w * h * 2), pal = new Uint8Array(w * h);
    for (let i = 0; i < w * h; i++) { rgb.set([gray[i], gray[i], gray[i]], 3 * i); rgba.set([gray[i], gray[i], gray[i], 255], 4 * i); ga.set([gray[i], 255], 2 * i); pal[i] = gray[i]; }
    const palette = Uint8Array.from({ length: 768 }, (_, i) => Math.floor(i / 3));
    for (const [px, color, p] of [[rgb, 2], [rgba, 6], [ga, 4], [pal, 3, palette]] as [Uint8Array, number, Uint8Array?][]) {
      const img = await decodePng(encodePng(px, w, h, color, p));
      for (let i = 0; i < w * h; i++) expect(Math.abs(img.pixels[i] - gray[i]), `color type ${color}`).toBeLessThanOrEqual(1);
    }
    const half = Uint8Array.from({ length: w * h * 2 }, (_, i) => (i % 2 ? 128 : 200));
    expect((await decodePng(encodePng(half, w, h, 4))).pixels[0]).toBe(Math.round((200 * 128) / 255));
  });
  it('area resize averages what each output pixel covers', () => {
    const px = Uint8Array.from([0, 100, 200, 50]);
    expect(Array.from(resizeGray({ width: 2, height: 2, pixels: px }, 1, 1))).toEqual([88]);
    expect(resizeGray({ width: 2, height: 2, pixels: px }, 2, 2)).toBe(px);
  });
  it('bad files are refused with BAD_IMAGE naming the problem', async () => {
    const good = encodePng(gray, w, h, 0);
    await expect(decodePng(good.subarray(0, 40), 'cut.png')).rejects.toThrow(/cut.png: truncated PNG/);
    await expect(decodePng(new Uint8Array(20), 'x.bin')).rejects.toThrow(/not a PNG file/);
    const b = good.slice(); b[24] = 5; // bit depth
    await expect(decodePng(b)).rejects.toThrow(/bit depth 5 is not valid for PNG color type 0/);
  });

  it('1-, 2-, 4- and 16-bit samples and Adam7 interlacing decode as an independent decoder (pngjs) reads them', async () => {
    const r2 = rng(8);
    for (const interlace of [false, true]) for (const [color, depth] of [[0, 1], [0, 2], [0, 4], [0, 16], [3, 1], [3, 2], [3, 4], [2, 16], [4, 16], [6, 16], [2, 8], [6, 8]]) {
      const ww = 1 + Math.floor(r2() * 19), hh = 1 + Math.floor(r2() * 17), ch = [1, 0, 3, 1, 2, 0, 4][color];
      const samples = Array.from({ length: ww * hh * ch }, () => Math.floor(r2() * 2 ** depth));
      const palette = color === 3 ? Uint8Array.from({ length: 3 * 2 ** depth }, () => Math.floor(r2() * 256)) : undefined;
      const png = encodePng(samples, ww, hh, color, { depth, interlace, palette });
      const ours = await decodePng(png, 'x.png');
      const ref = PNG.sync.read(Buffer.from(png)); // RGBA, 8 bits per sample
      expect([ours.width, ours.height]).toEqual([ref.width, ref.height]);
      for (let i = 0; i < ww * hh; i++) {
        const [R, G, B, A] = ref.data.subarray(4 * i, 4 * i + 4);
        const want = ((0.299 * R + 0.587 * G + 0.114 * B) * A) / 255;
        expect(Math.abs(ours.pixels[i] - want), `color ${color} depth ${depth} interlace ${interlace} pixel ${i}`).toBeLessThanOrEqual(1);
      }
    }
  });

  it('a decompression bomb is refused after inflating no more than the declared size', async () => {
    // 28x28 declared, 64 MiB of zeros compressed to ~64 KB: refused as soon as the stream passes 28 x 29 bytes
    const zdata = deflateSync(new Uint8Array(64 << 20), { level: 9 });
    const bomb = encodePng([], 28, 28, 0, { zdata });
    const rss0 = process.memoryUsage().rss, t0 = performance.now();
    await expect(decodePng(bomb, 'bomb.png')).rejects.toThrow(/bomb.png: the image data inflates past the 812 bytes/);
    expect(performance.now() - t0).toBeLessThan(200);
    expect(process.memoryUsage().rss - rss0).toBeLessThan(32 << 20);
  });

  it('huge declared sizes are refused before any work, with a caller-chosen cap', async () => {
    const t0 = performance.now();
    await expect(decodePng(encodePng([], 1, 1 << 24, 0, { zdata: deflateSync(new Uint8Array(16)) }), 'tall.png')).rejects.toThrow(/PNG image data holds 16 bytes, 33554432 needed/);
    await expect(decodePng(encodePng([], 1, (1 << 24) + 1, 0, { zdata: new Uint8Array(8) }), 'tall.png')).rejects.toThrow(/PNG size 1x16777217 is not accepted \(at most 16777216 pixels\)/);
    await expect(decodePng(encodePng(new Array(100 * 100).fill(0), 100, 100, 0), 'p.png', { maxPixels: 4096 })).rejects.toThrow(/PNG size 100x100 is not accepted \(at most 4096 pixels\)/);
    expect(performance.now() - t0).toBeLessThan(500);
  });
});
