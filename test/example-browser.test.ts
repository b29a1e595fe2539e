// examples/browser in headless Chromium (Debian's /usr/bin/chromium driven by playwright-core; no
// browser download): pick a test image and check the shown class, draw on the canvas, run the
// kernel benchmark page; screenshots go to test-output/.
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import type { Server } from 'node:http';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
// @ts-expect-error: a plain .mjs script without types
import { serve } from '../scripts/serve.mjs';
import { chromium, type Browser } from 'playwright-core';
import { loadFashionMnist, SUBSET_DIR, Engine, FASHION_MNIST_CLASSES } from '../src/node/index.js';

const root = new URL('..', import.meta.url).pathname;
const CHROMIUM = '/usr/bin/chromium';
let server: Server, browser: Browser, base = '';

const have = existsSync(CHROMIUM);
describe.skipIf(!have && process.env.LOWBIT_CI !== '1')('examples/browser in headless Chromium', () => {
  beforeAll(async () => {
    server = await serve(root);
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
    await mkdir(join(root, 'test-output'), { recursive: true });
  }, 60_000);
  afterAll(async () => { await browser?.close(); server?.close(); });

  it('picking a test image shows the class the integer engine predicts; drawing classifies live', async () => {
    const page = await browser.newPage({ viewport: { width: 900, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
    page.on('response', (r) => { if (r.status() >= 400) errors.push(`${r.status()} ${r.url()}`); });
    await page.goto(`${base}/examples/browser/index.html`);
    await page.waitForSelector('body[data-ready="1"]', { timeout: 30_000 });
    expect(await page.textContent('#status')).toMatch(/fashion-cnn-1w4a.lbm loaded; lowbit relaxed-SIMD build/);
    // thumbnail 3 is the first test image of class 1 (trouser); predict it here too
    const thumb = page.locator('#thumbs img').nth(3);
    const index = Number(await thumb.getAttribute('data-index'));
    const data = await loadFashionMnist(SUBSET_DIR);
    const engine = await Engine.load(new Uint8Array(await readFile(join(root, 'models/fashion-cnn-1w4a.lbm'))));
    const want = engine.predict(data.test.images.subarray(index * 784, (index + 1) * 784), 1)[0];
    await thumb.click();
    await expect.poll(() => page.textContent('#result')).toBe(FASHION_MNIST_CLASSES[want]);
    expect(await page.locator('#bars .bar').count()).toBe(10);
    expect(await page.textContent('#latency')).toMatch(/^\d+ us \(batch 1, warm\)$/);
    await page.screenshot({ path: join(root, 'test-output/browser-pick.png') });
    // switching the model classifies the same image with the new one (no stale result left)
    const other = await Engine.load(new Uint8Array(await readFile(join(root, 'models/fashion-cnn-1w1a.lbm'))));
    const want1 = other.predict(data.test.images.subarray(index * 784, (index + 1) * 784), 1)[0];
    await page.selectOption('#model', 'fashion-cnn-1w1a.lbm');
    await expect.poll(() => page.textContent('#status')).toMatch(/fashion-cnn-1w1a.lbm loaded/);
    await expect.poll(() => page.getAttribute('#result', 'data-class')).toBe(String(want1));
    // a graph model (residual int32 stream, integer adds) in the browser
    const resnet = await Engine.load(new Uint8Array(await readFile(join(root, 'models/fashion-resnet-1w1a.lbm'))));
    const wantR = resnet.predict(data.test.images.subarray(index * 784, (index + 1) * 784), 1)[0];
    await page.selectOption('#model', 'fashion-resnet-1w1a.lbm');
    await expect.poll(() => page.textContent('#status')).toMatch(/fashion-resnet-1w1a.lbm loaded/);
    await expect.poll(() => page.getAttribute('#result', 'data-class')).toBe(String(wantR));
    resnet.dispose();
    await page.selectOption('#model', 'fashion-cnn-1w1a.lbm');
    await expect.poll(() => page.textContent('#status')).toMatch(/fashion-cnn-1w1a.lbm loaded/);

    // draw two vertical strokes (trouser legs) on a cleared pad
    await page.click('#clear');
    const box = (await page.locator('#pad').boundingBox())!;
    for (const x of [100, 180]) {
      await page.mouse.move(box.x + x, box.y + 40);
      await page.mouse.down();
      for (let y = 40; y <= 250; y += 15) await page.mouse.move(box.x + x, box.y + y);
      await page.mouse.up();
    }
    expect(FASHION_MNIST_CLASSES).toContain(await page.textContent('#result'));
    await page.screenshot({ path: join(root, 'test-output/browser-draw.png') });
    // the test split on 2 Web Workers: the mode that ran, and the Node engine's hit count
    await page.click('#batch');
    await page.waitForSelector('#batchResult[data-mode]', { timeout: 30_000 });
    expect(await page.getAttribute('#batchResult', 'data-mode')).toBe('2 threads');
    const all = other.predict(data.test.images, data.test.count);
    expect(Number(await page.getAttribute('#batchResult', 'data-hits'))).toBe(all.reduce((s, p, i) => s + (p === data.test.labels[i] ? 1 : 0), 0));
    expect(errors).toEqual([]);
    engine.dispose();
    other.dispose();
  }, 60_000);

  it('the kernel benchmark page runs every kernel and charts it', async () => {
    const page = await browser.newPage();
    await page.goto(`${base}/examples/browser/bench.html`);
    await page.waitForSelector('body[data-done="1"]', { timeout: 60_000 });
    const rates = (await page.locator('td.gops').allTextContents()).map(Number);
    expect(rates).toHaveLength(5);
    for (const r of rates) expect(r).toBeGreaterThan(0.5);
    await page.screenshot({ path: join(root, 'test-output/browser-bench.png') });
  }, 90_000);
});
