// npm run bench: the kernel and model benchmarks in every host users deploy to, each writing its own
// section of bench/RESULTS.md (ratios are taken within one run per host), then the start-up and
// size report. Hosts: this Node (20), the official Node 24 binary (scripts/node24.mjs) and Deno
// (the npm package). A host that is missing is reported and skipped.
//
//   npm run build && node bench/all-hosts.mjs [SCRIPT ...] [--rounds N]   (the options go to every script;
//   without scripts: bench/kernels.mjs and bench/models.mjs, then bench/startup.mjs)
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { node24 } from '../scripts/node24.mjs';

const scripts = process.argv.slice(2).filter((a) => a.endsWith('.mjs')), args = process.argv.slice(2).filter((a) => !a.endsWith('.mjs'));
const deno = new URL('../node_modules/.bin/deno', import.meta.url).pathname;
const hosts = [
  { name: `Node ${process.version}`, cmd: process.execPath, pre: [] },
  { name: 'Node 24', cmd: node24(), pre: [] },
  { name: 'Deno', cmd: existsSync(deno) ? deno : null, pre: ['run', '-A'] },
];
let failed = 0;
for (const script of scripts.length ? scripts : ['bench/kernels.mjs', 'bench/models.mjs']) {
  for (const h of hosts) {
    if (!h.cmd) { console.log(`skipped ${script} in ${h.name}: not installed`); continue; }
    console.log(`\n=== ${script} in ${h.name}`);
    const r = spawnSync(h.cmd, [...h.pre, script, ...args], { stdio: 'inherit' });
    if (r.status !== 0) { failed++; console.error(`${script} failed in ${h.name} (exit ${r.status})`); }
  }
}
if (!scripts.length && spawnSync(process.execPath, ['bench/startup.mjs'], { stdio: 'inherit' }).status !== 0) failed++;
process.exit(failed ? 1 : 0);
