// Instructions per MAC, read from the machine code V8 generates for the kernels' inner loops.
// Runs a host (default: this Node) with --print-wasm-code on build/<wasm>, compiling every function
// with TurboFan up front, finds each exported kernel's innermost loops (a label and the backward
// jump to it, with no other backward jump inside) and prints, for the loops given below, the
// instruction count per iteration of the tile's k loop, split into vector ops, loads and scalar
// ops. bench/NOTES.md turns these into the fraction of the bound each kernel reaches.
//
//   node bench/machine-code.mjs [--node PATH] [--wasm lowbit.wasm|lowbit-relaxed.wasm] [--dump NAME]
//   (PATH: a node binary, or node_modules/.bin/deno)
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { node: { type: 'string', default: process.execPath }, wasm: { type: 'string', default: 'lowbit.wasm' }, dump: { type: 'string' } } });
const wasmPath = new URL(`../build/${values.wasm}`, import.meta.url).pathname;
const relaxed = values.wasm.includes('relaxed');

// Function index of each export, from the binary: imports come first, then defined functions.
function exportIndices(bytes) {
  let p = 8;
  const u32 = () => { let r = 0, s = 0, b; do { b = bytes[p++]; r |= (b & 127) << s; s += 7; } while (b & 128); return r >>> 0; };
  const name = () => { const n = u32(); const t = new TextDecoder().decode(bytes.subarray(p, p + n)); p += n; return t; };
  const out = new Map();
  while (p < bytes.length) {
    const id = bytes[p++], size = u32(), end = p + size;
    if (id === 7) {
      for (let i = u32(); i > 0; i--) { const nm = name(), kind = bytes[p++], idx = u32(); if (kind === 0) out.set(nm, idx); }
    }
    p = end;
  }
  return out;
}

const dir = mkdtempSync(join(tmpdir(), 'lowbit-mc-'));
const script = join(dir, 'load.mjs');
writeFileSync(script, `import { readFileSync } from "node:fs";\nnew WebAssembly.Instance(new WebAssembly.Module(readFileSync(${JSON.stringify(wasmPath)})), { env: { abort() {} } });\n`);
const isDeno = /deno$/.test(values.node);
const flags = ['--no-liftoff', '--no-wasm-lazy-compilation', '--print-wasm-code'];
if (!isDeno && relaxed && /v20\./.test(execFileSync(values.node, ['--version']).toString())) flags.push('--experimental-wasm-relaxed-simd');
const argsFor = (file) => (isDeno ? ['run', '-A', `--v8-flags=${flags.join(',')}`, file] : [...flags, file]);
const text = execFileSync(values.node, argsFor(script), { maxBuffer: 1 << 30 }).toString();
rmSync(dir, { recursive: true, force: true });

/** function index -> [{ addr, text }] */
const code = new Map();
for (const block of text.split('--- WebAssembly code ---').slice(1)) {
  const idx = /index: (\d+)/.exec(block)?.[1];
  if (!idx || !/compiler: TurboFan/.test(block)) continue;
  const ins = [];
  for (const line of block.split('\n')) {
    const m = /^0x([0-9a-f]+)\s+[0-9a-f]+\s+[0-9a-f]+\s+(.*)$/.exec(line);
    if (m) ins.push({ addr: parseInt(m[1], 16), text: m[2].trim() });
  }
  code.set(Number(idx), ins);
}

/** Innermost loops: [start, end] instruction ranges closed by a backward jump. */
function loops(ins) {
  const at = new Map(ins.map((x, i) => [x.addr, i]));
  const back = [];
  ins.forEach((x, i) => {
    const m = /^j\w+ 0x([0-9a-f]+)/.exec(x.text);
    if (m) { const t = at.get(parseInt(m[1], 16)); if (t !== undefined && t <= i) back.push([t, i]); }
  });
  return back.filter(([s, e]) => !back.some(([s2, e2]) => (s2 !== s || e2 !== e) && s2 >= s && e2 <= e));
}

function classify(range) {
  const c = { total: range.length, vector: 0, loads: 0, stores: 0, scalar: 0, popcnt: 0 };
  for (const { text: t } of range) {
    const op = t.replace(/^REX\.W /, '').split(/\s+/)[0];
    const mem = /\[/.test(t);
    if (/^v?mov/.test(op) && mem) { if (/^\S+ \[/.test(t.replace(/^REX\.W /, ''))) c.stores++; else c.loads++; continue; }
    if (/^v/.test(op) || /xmm/.test(t)) { c.vector++; if (mem) c.loads++; continue; }
    if (op === 'popcntq' || op === 'popcntl') c.popcnt++;
    c.scalar++;
    if (mem) c.loads++;
  }
  return c;
}

// kernel export -> the tile's work per k iteration, and a marker instruction it issues a known
// number of times per iteration (V8 unrolls loops, so one machine loop may hold several iterations)
const KERNELS = {
  xnorGemm: { note: '2 x 6 tile, one 128-bit k step', macs: 12 * 128, marker: /^popcntq/, perIter: 8 },
  lutGemm: { note: '4 x 16 tile, one pair of 4-code groups', macs: 4 * 16 * 8, marker: /^vpshufb/, perIter: 8 },
  affineGemm: { note: '4 x 8 tile, one pair of k', macs: 4 * 8 * 2, marker: /^vpmaddwd/, perIter: 8 },
  affineDotGemm: { note: '4 x 8 tile, one step of 4 k (relaxed build)', macs: 4 * 8 * 4, marker: /^(vpdpbusd|vpmaddubsw)/, perIter: 8, relaxedOnly: true },
  sgemmPacked: { note: '4 x 8 tile, one k', macs: 4 * 8, marker: /^vmulps/, perIter: 8 },
};

if (![...code.values()].some((ins) => ins.length)) {
  console.error('this host printed no instructions (its V8 is built without the disassembler: Deno\'s is); use a Node binary');
  process.exit(1);
}
const index = exportIndices(readFileSync(wasmPath));
const version = isDeno
  ? execFileSync(values.node, ['eval', 'console.log("Deno " + Deno.version.deno + " (V8 " + Deno.version.v8 + ")")']).toString().trim()
  : execFileSync(values.node, ['-p', 'process.version + " (V8 " + process.versions.v8 + ")"']).toString().trim();
console.log(`host: ${version}; build: ${values.wasm}\n`);
if (values.dump) {
  const ins = code.get(index.get(values.dump));
  for (const [s, e] of loops(ins)) console.log(`--- loop of ${e - s + 1} instructions\n${ins.slice(s, e + 1).map((x) => x.text).join('\n')}`);
  process.exit(0);
}
console.log('| kernel | tile iteration | MACs | instructions | vector ALU | loads | scalar | instructions per 128 MACs |');
console.log('|---|---|---:|---:|---:|---:|---:|---:|');
for (const [name, k] of Object.entries(KERNELS)) {
  if (k.relaxedOnly && !relaxed) continue;
  const ins = code.get(index.get(name));
  if (!ins) { console.log(`| ${name} | not found | | | | | | |`); continue; }
  // the hot loop: the innermost loop densest in marker instructions (edge and tail loops carry
  // extra work around the same markers); iterations = markers / perIter
  const best = loops(ins).map(([s, e]) => {
    const r = ins.slice(s, e + 1);
    return { c: classify(r), iters: r.filter((x) => k.marker.test(x.text.replace(/^REX\.W /, ''))).length / k.perIter };
  }).sort((a, b) => b.iters / b.c.total - a.iters / a.c.total)[0];
  const f = (v) => (v / best.iters).toFixed(1);
  console.log(`| ${name} | ${k.note} | ${k.macs} | ${f(best.c.total)} | ${f(best.c.vector)} | ${f(best.c.loads)} | ${f(best.c.scalar)} | ${((best.c.total / best.iters) * 128 / k.macs).toFixed(1)} |`);
}
