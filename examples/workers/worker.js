// A Cloudflare Worker that classifies Fashion-MNIST images with a shipped integer-only model.
//   GET  /          usage text
//   POST /classify  body: raw 28x28 u8 bytes (784) or a PNG -> { label, class, scores, micros }
//   POST /classify?model=resnet  the same with the residual 1W1A net (a graph model)
// The wasm comes in as a module import (Workers compile wasm at deploy time, never from bytes at
// request time) and the model as a data import; both are declared in config.capnp (workerd) or
// wrangler.toml. Runtime and engine are created once per isolate and reused.
import lowbitWasm from 'lowbit/lowbit-relaxed.wasm';
import modelBytes from './model.lbm';
import resnetBytes from './resnet.lbm';
import { init, Engine, LowbitError, decodePng, resizeGray, isPng } from 'lowbit';

const MAX_BODY = 1 << 20; // 1 MiB: a 28x28 image is 784 bytes, a PNG of a photo a few hundred KB
const MAX_DRAIN = 8 << 20; // read (and drop) an oversized body up to this, then cut the connection
const MAX_PIXELS = 1 << 20; // a PNG larger than 1024 x 1024 is refused before it is decoded
const USAGE = `lowbit Fashion-MNIST classifier (integer-only ${'1W4A'} CNN in WebAssembly)

POST /classify with a body of 784 raw bytes (a 28x28 grayscale image, row by row, 0..255) or a PNG
(any size; converted to gray and resized to 28x28). Answers JSON:
  { "label": "Sandal", "class": 5, "scores": [10 softmax probabilities], "micros": 120 }
POST /classify?model=resnet uses the residual binary net (1W1A, integer residual stream) instead.
Errors answer JSON { "error": "..." } with 400 (malformed body), 413 (body over 1 MiB), 404, 405.
`;

const engines = {}; // per isolate, one per model
let runtime;
async function getEngine(name) {
  runtime ??= await init(lowbitWasm);
  engines[name] ??= await Engine.load(new Uint8Array(name === 'resnet' ? resnetBytes : modelBytes), { runtime });
  return engines[name];
}

const json = (body, status = 200) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

/**
 * The body, or null past MAX_BODY bytes whatever Content-Length says. An oversized body is still
 * read to its end (up to MAX_DRAIN, without keeping it), so the client gets its 413 rather than a
 * connection closed while it was still sending.
 */
async function readBody(request) {
  const reader = request.body?.getReader();
  if (!reader) return new Uint8Array(0);
  const parts = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > MAX_DRAIN) { await reader.cancel(); return null; }
    if (size <= MAX_BODY) parts.push(value);
  }
  if (size > MAX_BODY) return null;
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

export default {
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === '/') return new Response(USAGE, { headers: { 'content-type': 'text/plain; charset=utf-8' } });
    if (url.pathname !== '/classify') return json({ error: `no route ${url.pathname}; see GET /` }, 404);
    if (request.method !== 'POST') return json({ error: 'POST an image to /classify' }, 405);
    try {
      const body = await readBody(request);
      if (body === null) return json({ error: `body over ${MAX_BODY} bytes` }, 413);
      const name = url.searchParams.get('model') ?? 'cnn';
      if (name !== 'cnn' && name !== 'resnet') return json({ error: `model must be cnn (default) or resnet, got ${name}` }, 400);
      const e = await getEngine(name);
      const [h, w] = e.inputShape;
      let pixels;
      if (isPng(body)) pixels = resizeGray(await decodePng(body, 'body', { maxPixels: MAX_PIXELS }), w, h);
      else if (body.length === h * w) pixels = body;
      else return json({ error: `body must be a PNG or ${h * w} raw bytes (a ${h}x${w} grayscale image), got ${body.length} bytes` }, 400);
      const t0 = performance.now();
      const z = e.logits(pixels, 1);
      const micros = Math.round((performance.now() - t0) * 1000);
      const max = Math.max(...z), ex = Array.from(z, (v) => Math.exp(v - max)), sum = ex.reduce((a, b) => a + b, 0);
      const scores = ex.map((v) => Number((v / sum).toFixed(5)));
      const best = scores.indexOf(Math.max(...scores));
      return json({ label: e.classes[best], class: best, scores, micros });
    } catch (err) {
      if (err instanceof LowbitError) return json({ error: err.message, code: err.code }, err.code === 'BAD_IMAGE' ? 400 : 500);
      return json({ error: `internal error: ${err?.message ?? String(err)}` }, 500);
    }
  },
};
