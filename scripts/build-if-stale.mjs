// Run `npm run build` only when an output is missing or older than a source, so `npm start`
// after `npm ci` does not rebuild what the last build already made.
import { execSync } from 'node:child_process';
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const newest = (dir) => {
  let t = 0;
  for (const e of readdirSync(join(root, dir), { withFileTypes: true, recursive: true })) {
    if (e.isFile()) t = Math.max(t, statSync(join(e.parentPath ?? e.path, e.name)).mtimeMs);
  }
  return t;
};
const outputs = ['build/lowbit.wasm', 'build/lowbit-relaxed.wasm', 'dist/node/cli.js', 'dist/lowbit.js', 'dist/node/lowbit.js', 'dist/engine.bundle.js', 'examples/workers/dist/worker.js'];
const oldest = Math.min(...outputs.map((o) => (existsSync(join(root, o)) ? statSync(join(root, o)).mtimeMs : 0)));
const sources = Math.max(newest('src'), newest('assembly'), statSync(join(root, 'package.json')).mtimeMs, statSync(join(root, 'asconfig.json')).mtimeMs, statSync(join(root, 'tsconfig.json')).mtimeMs);
if (oldest < sources) execSync('npm run build', { cwd: root, stdio: 'inherit' });
