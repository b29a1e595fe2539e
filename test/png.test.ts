// The PNG reader (src/data/png.ts) against images encoded here with every filter type and color type.
import { describe, expect, it } from 'vitest';
import { decodePng, resizeGray } from '../src/data/png.js';
import { encodePng } from './png-encode.js';
import { rng } from './reference.js';

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
    const b = good.slice(); b[24] = 16; // bit depth
    await expect(decodePng(b)).rejects.toThrow(/bit depth 16 is not supported/);
  });
});
