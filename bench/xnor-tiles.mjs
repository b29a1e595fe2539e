// Tile-shape experiment for the xnor GEMM: generates the kernel for R rows x (V v128 columns +
// S scalar i64.popcnt columns), compiles each variant with asc into a temp dir beside the shipped
// kernel (assembly/xnor.ts, "shipped"), and times them all interleaved in one process: per round
// the best of ~60 ms of calls for each variant, then the median over rounds. This is how the
// shipped 2 x (4 + 2) tile was chosen; bench/NOTES.md has a run's output.
//
//   node bench/xnor-tiles.mjs [RxVxS[c] ...]   (default: a set of shapes around the shipped one;
//                                               a trailing c: carry-save v128 columns)
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const specs = process.argv.slice(2).length ? process.argv.slice(2) : ['2x4x2', '2x4x3', '2x2x4', '1x4x4', '2x4x0', '3x4x0', '2x0x3', '3x0x2'];
const SHAPES = [[64, 1024, 1024], [784, 576, 64], [256, 4096, 256]];

/** AssemblyScript source of one tile function (short: kv <= 31 steps, one byte-accumulator pass). */
function tile(R, V, S, short) {
  const NB = V + S, L = [];
  L.push(`function ${short ? 'tileShort' : 'tileLong'}(pa: usize, pb: usize, kv: i32, half: bool, kbits: i32, out: usize, ldo: usize): void {`);
  for (let i = 0; i < R; i++) {
    for (let j = 0; j < V; j++) L.push(`  let s${i}_${j} = i32x4.splat(0);`);
    for (let j = V; j < NB; j++) L.push(`  let t${i}_${j}: u64 = 0;`);
  }
  L.push(short ? '  { const steps = kv;' : '  for (let k0 = 0; k0 < kv; k0 += 31) { const steps = min(31, kv - k0);');
  for (let i = 0; i < R; i++) for (let j = 0; j < V; j++) L.push(`    let c${i}_${j} = i8x16.splat(0);`);
  L.push('    for (let k = 0; k < steps; k++) {');
  for (let j = 0; j < V; j++) L.push(`      const vb${j} = v128.load(pb, ${j * 16});`);
  for (let i = 0; i < R; i++) {
    if (V) L.push(`      const va${i} = v128.load(pa, ${i * 16});`);
    for (let j = 0; j < V; j++) L.push(`      c${i}_${j} = xpop(c${i}_${j}, va${i}, vb${j});`);
  }
  if (S) {
    for (let i = 0; i < R; i++) L.push(`      const x${i}0 = load<u64>(pa, ${i * 16}), x${i}1 = load<u64>(pa, ${i * 16 + 8});`);
    for (let j = V; j < NB; j++) {
      L.push(`      const y${j}0 = load<u64>(pb, ${j * 16}), y${j}1 = load<u64>(pb, ${j * 16 + 8});`);
      for (let i = 0; i < R; i++) L.push(`      t${i}_${j} += popcnt(x${i}0 ^ y${j}0) + popcnt(x${i}1 ^ y${j}1);`);
    }
  }
  L.push(`      pa += ${R * 16}; pb += ${NB * 16};`, '    }');
  for (let i = 0; i < R; i++) for (let j = 0; j < V; j++) L.push(`    s${i}_${j} = i32x4.add(s${i}_${j}, widen(c${i}_${j}));`);
  L.push('  }');
  return halfStepAndStores(L, R, V, S);
}

/** The half step (upper 64 bits zero) and the stores, shared by both tile generators. */
function halfStepAndStores(L, R, V, S) {
  const NB = V + S;
  L.push('  if (half) {');
  for (let i = 0; i < R; i++) L.push(`    const h${i} = load<u64>(pa, ${i * 16});`);
  for (let j = 0; j < NB; j++) {
    L.push(`    const g${j} = load<u64>(pb, ${j * 16});`);
    for (let i = 0; i < R; i++) {
      L.push(j < V ? `    s${i}_${j} = i32x4.add(s${i}_${j}, i32x4(<i32>popcnt(h${i} ^ g${j}), 0, 0, 0));` : `    t${i}_${j} += popcnt(h${i} ^ g${j});`);
    }
  }
  L.push('  }', '  const kb = i32x4.splat(kbits);');
  for (let i = 0; i < R; i++) {
    const o = `out + ${i} * ldo`;
    let j = 0;
    for (; j + 4 <= V; j += 4) L.push(`  v128.store(${o}, i32x4.sub(kb, i32x4.shl(hsum4(s${i}_${j}, s${i}_${j + 1}, s${i}_${j + 2}, s${i}_${j + 3}), 1)), ${j * 4});`);
    for (; j < V; j++) L.push(`  store<i32>(${o}, kbits - 2 * (i32x4.extract_lane(s${i}_${j}, 0) + i32x4.extract_lane(s${i}_${j}, 1) + i32x4.extract_lane(s${i}_${j}, 2) + i32x4.extract_lane(s${i}_${j}, 3)), ${j * 4});`);
    for (j = V; j < NB; j++) L.push(`  store<i32>(${o}, kbits - 2 * <i32>t${i}_${j}, ${j * 4});`);
  }
  L.push('}');
  return L.join('\n');
}

/**
 * Carry-save variant (Harley-Seal, Mula, Kurz, Lemire arXiv 1611.07612): each v128 output keeps
 * "ones" and "twos" vectors; every 4 steps two full adders fold the 4 xor vectors into them and the
 * carry out ("fours") is counted with one i8x16.popcnt instead of four.
 */
function tileCsa(R, V, S, short) {
  const NB = V + S, L = [];
  L.push(`function ${short ? 'tileShort' : 'tileLong'}(pa: usize, pb: usize, kv: i32, half: bool, kbits: i32, out: usize, ldo: usize): void {`);
  for (let i = 0; i < R; i++) {
    for (let j = 0; j < V; j++) L.push(`  let s${i}_${j} = i32x4.splat(0), o${i}_${j} = s${i}_${j}, w${i}_${j} = s${i}_${j};`);
    for (let j = V; j < NB; j++) L.push(`  let t${i}_${j}: u64 = 0;`);
  }
  L.push('  const kg = kv >> 2;');
  L.push('  for (let k0 = 0; k0 < kg; k0 += 31) { const groups = min(31, kg - k0);');
  for (let i = 0; i < R; i++) for (let j = 0; j < V; j++) L.push(`    let c${i}_${j} = i8x16.splat(0);`);
  L.push('    for (let g = 0; g < groups; g++) {');
  for (let i = 0; i < R; i++) for (let j = 0; j < V; j++) {
    const x = (q) => `v128.xor(v128.load(pa, ${q * R * 16 + i * 16}), v128.load(pb, ${q * NB * 16 + j * 16}))`;
    L.push(`      { const x0 = ${x(0)}, x1 = ${x(1)};`);
    L.push(`        let u = v128.xor(o${i}_${j}, x0); const h1 = v128.or(v128.and(o${i}_${j}, x0), v128.and(u, x1)); o${i}_${j} = v128.xor(u, x1);`);
    L.push(`        const x2 = ${x(2)}, x3 = ${x(3)};`);
    L.push(`        u = v128.xor(o${i}_${j}, x2); const h2 = v128.or(v128.and(o${i}_${j}, x2), v128.and(u, x3)); o${i}_${j} = v128.xor(u, x3);`);
    L.push(`        u = v128.xor(w${i}_${j}, h1); const f = v128.or(v128.and(w${i}_${j}, h1), v128.and(u, h2)); w${i}_${j} = v128.xor(u, h2);`);
    L.push(`        c${i}_${j} = i8x16.add(c${i}_${j}, i8x16.popcnt(f)); }`);
  }
  if (S) {
    L.push('      for (let q = 0; q < 4; q++) {');
    for (let i = 0; i < R; i++) L.push(`        const x${i}0 = load<u64>(pa + q * ${R * 16}, ${i * 16}), x${i}1 = load<u64>(pa + q * ${R * 16}, ${i * 16 + 8});`);
    for (let j = V; j < NB; j++) {
      L.push(`        const y${j}0 = load<u64>(pb + q * ${NB * 16}, ${j * 16}), y${j}1 = load<u64>(pb + q * ${NB * 16}, ${j * 16 + 8});`);
      for (let i = 0; i < R; i++) L.push(`        t${i}_${j} += popcnt(x${i}0 ^ y${j}0) + popcnt(x${i}1 ^ y${j}1);`);
    }
    L.push('      }');
  }
  L.push(`      pa += ${4 * R * 16}; pb += ${4 * NB * 16};`, '    }');
  for (let i = 0; i < R; i++) for (let j = 0; j < V; j++) L.push(`    s${i}_${j} = i32x4.add(s${i}_${j}, i32x4.shl(widen(c${i}_${j}), 2));`);
  L.push('  }');
  // ones, twos and the < 4 leftover steps: bytes <= 8 + 16 + 24
  for (let i = 0; i < R; i++) for (let j = 0; j < V; j++) L.push(`  let r${i}_${j} = i8x16.add(i8x16.popcnt(o${i}_${j}), i8x16.shl(i8x16.popcnt(w${i}_${j}), 1));`);
  L.push('  for (let k = kg << 2; k < kv; k++) {');
  for (let i = 0; i < R; i++) for (let j = 0; j < V; j++) L.push(`    r${i}_${j} = xpop(r${i}_${j}, v128.load(pa, ${i * 16}), v128.load(pb, ${j * 16}));`);
  for (let i = 0; i < R; i++) for (let j = V; j < NB; j++) L.push(`    t${i}_${j} += popcnt(load<u64>(pa, ${i * 16}) ^ load<u64>(pb, ${j * 16})) + popcnt(load<u64>(pa, ${i * 16 + 8}) ^ load<u64>(pb, ${j * 16 + 8}));`);
  L.push(`    pa += ${R * 16}; pb += ${NB * 16};`, '  }');
  for (let i = 0; i < R; i++) for (let j = 0; j < V; j++) L.push(`  s${i}_${j} = i32x4.add(s${i}_${j}, widen(r${i}_${j}));`);
  return halfStepAndStores(L, R, V, S);
}

/** A whole xnor.ts for the variant: the shipped tiles' helpers, two tiles and the same driver. */
function variantSource(R, V, S, carrySave) {
  const gen = carrySave ? tileCsa : tile;
  const helpers = "import { xpop, widen, hsum4 } from './xnor-common';\n";
  const NB = V + S;
  const driver = `
export function xnorGemm(a: usize, b: usize, m: i32, n: i32, words: i32, kbits: i32, out: usize, ldo: i32, scratch: usize): void {
  const kv = (words + 1) >>> 1, half = (words & 1) != 0, steps = words >>> 1;
  const panelA = <usize>kv * ${R * 16}, panelB = <usize>kv * ${NB * 16}, ldoBytes = <usize>ldo << 2;
  const pm = (m + ${R - 1}) / ${R}, pn = (n + ${NB - 1}) / ${NB};
  for (let p = 0; p < pm; p++) {
    const i = p * ${R}, rows = min(${R}, m - i), pa = a + <usize>p * panelA;
    for (let q = 0; q < pn; q++) {
      const j = q * ${NB}, po = out + <usize>i * ldoBytes + (<usize>j << 2), pb = b + <usize>q * panelB;
      const full = rows == ${R} && j + ${NB} <= n;
      const to = full ? po : scratch, st = full ? ldoBytes : ${NB * 4};
      if (steps <= 31) tileShort(pa, pb, steps, half, kbits, to, st); else tileLong(pa, pb, steps, half, kbits, to, st);
      if (!full) for (let r = 0; r < rows; r++) memory.copy(po + <usize>r * ldoBytes, scratch + <usize>r * ${NB * 4}, <usize>min(${NB}, n - j) << 2);
    }
  }
}
`;
  return `${helpers}${gen(R, V, S, true)}\n${gen(R, V, S, false)}\n${driver}`;
}

const dir = mkdtempSync(join(tmpdir(), 'lowbit-tiles-'));
const variants = [{ name: 'shipped (2x4+2)', ra: 2, rb: 6, src: null }];
for (const spec of specs) {
  const carrySave = spec.endsWith('c');
  const [R, V, S] = spec.replace(/c$/, '').split('x').map(Number);
  if (!(R >= 1 && V >= 0 && S >= 0 && V + S >= 1) || (V && V % 4 && V > 4)) throw new Error(`bad tile spec ${spec}: use RxVxS`);
  variants.push({ name: `${R}x${V}v+${S}s${carrySave ? ' carry-save' : ''}`, ra: R, rb: V + S, src: variantSource(R, V, S, carrySave) });
}
for (const [i, v] of variants.entries()) {
  const d = join(dir, `v${i}`);
  cpSync('assembly', d, { recursive: true });
  if (v.src) writeFileSync(join(d, 'xnor.ts'), v.src);
  execFileSync('npx', ['asc', join(d, 'index.ts'), '-O3', '--noAssert', '--runtime', 'minimal', '--enable', 'simd', '-o', join(d, 'k.wasm')], { stdio: ['ignore', 'ignore', 'inherit'] });
  v.exports = (await WebAssembly.instantiate(readFileSync(join(d, 'k.wasm')), { env: { abort() { throw new Error('abort'); } } })).instance.exports;
}
rmSync(dir, { recursive: true, force: true });

let seed = 1;
const rnd = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
function setup(v, m, n, k) {
  const e = v.exports, w = Math.ceil(k / 32);
  const panels = (rows, r) => {
    const src = e.alloc(rows * w * 4);
    const u = new Uint32Array(e.memory.buffer, src, rows * w);
    for (let i = 0; i < u.length; i++) u[i] = rnd() * 2 ** 32;
    const dst = e.alloc(Math.ceil(rows / r) * r * Math.ceil(k / 128) * 16);
    e.packBitPanels(src, rows, w, k, r, dst);
    return dst;
  };
  const pa = panels(m, v.ra), pb = panels(n, v.rb), po = e.alloc(m * n * 4), s = e.alloc(256);
  return () => e.xnorGemm(pa, pb, m, n, Math.ceil(k / 64), k, po, n, s);
}

console.log(`| tile | ${SHAPES.map(([m, k, n]) => `(${m},${k},${n}) GOP/s`).join(' | ')} |`);
console.log(`|---|${SHAPES.map(() => '---:').join('|')}|`);
const table = variants.map(() => []);
for (const [m, k, n] of SHAPES) {
  const fns = variants.map((v) => setup(v, m, n, k));
  const best = variants.map(() => []);
  for (let round = 0; round < 7; round++) {
    fns.forEach((f, i) => {
      for (let w = 0; w < 3; w++) f();
      let b = Infinity;
      const t0 = performance.now();
      while (performance.now() - t0 < 60) { const a = performance.now(); f(); b = Math.min(b, performance.now() - a); }
      best[i].push(b);
    });
  }
  best.forEach((v, i) => table[i].push((2 * m * n * k) / [...v].sort((x, y) => x - y)[3] / 1e6));
}
variants.forEach((v, i) => console.log(`| ${v.name} | ${table[i].map((g) => g.toFixed(0)).join(' | ')} |`));
