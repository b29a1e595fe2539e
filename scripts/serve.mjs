// A static file server for the browser examples (the repository root, loopback only).
//   node scripts/serve.mjs [port]   then open http://127.0.0.1:8080/examples/browser/
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.gz': 'application/octet-stream', '.lbm': 'application/octet-stream', '.png': 'image/png', '.md': 'text/plain; charset=utf-8' };

/** Serve `root` on 127.0.0.1:`port` (0: any free port); resolves to the server once listening. */
export function serve(root, port = 0) {
  const server = createServer(async (req, res) => {
    let path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
    if (path.endsWith('/')) path += 'index.html';
    try {
      const body = await readFile(join(root, path));
      res.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end(`not found: ${path}\n`);
    }
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const server = await serve(fileURLToPath(new URL('..', import.meta.url)), Number(process.argv[2] ?? 8080));
  console.log(`serving the repository on http://127.0.0.1:${server.address().port}/examples/browser/ (Ctrl-C stops)`);
}
