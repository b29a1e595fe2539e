// Generates assembly/xnor-tiles.ts: the register tiles of the XNOR GEMM (assembly/xnor.ts) from one
// template, the way XNNPACK generates its GEMM tiles. A tile is R rows of a (R = 1 or 2) against the
// first 4 (v128 popcount) + S (scalar popcount, S = 0 or 2) rows of a 6-row b panel; `short` tiles
// (kv <= BLOCK steps) keep one pass of byte sums and widen them once. `npm run gen:tiles` rewrites
// the file; a test checks that the committed copy is current.
//
//   node scripts/gen-xnor-tiles.mjs [--check]
import { emitTiles } from './tile-file.mjs';

const OUT = 'assembly/xnor-tiles.ts';
const V = 4; // v128 columns of every tile
const TILES = [
  { name: 'xnorTile2x6', R: 2, S: 2, short: false, doc: 'The main tile: 2 rows x 6 columns, any kv.' },
  { name: 'xnorTile2x6Short', R: 2, S: 2, short: true, doc: 'xnorTile2x6 for kv <= BLOCK: one pass of byte sums, widened once (5-7% faster at K = 576 and 1024).' },
  { name: 'xnorTile2x4', R: 2, S: 0, short: false, doc: 'The first 4 columns of a panel: the last panel when n % 6 == 4 (n = 64 or 1024), no dead columns.' },
  { name: 'xnorTile1x6', R: 1, S: 2, short: false, doc: 'One row: the last row of an odd m, and batch 1, where a 2-row tile would spend half its work on a zero row.' },
];

const range = (n) => [...Array(n).keys()];

function tile({ name, R, S, short, doc }) {
  const rows = range(R), vc = range(V), sc = range(S).map((c) => V + c);
  const L = [];
  const out = (r) => (r ? ' + ldo' : '');
  L.push(`/** ${doc} */`);
  L.push('// @ts-ignore: decorator');
  L.push(`@inline export function ${name}(pa: usize, pb: usize, kv: i32, half: bool, kbits: i32, out: usize${R > 1 ? ', ldo: usize' : ''}): void {`);
  const sv = rows.flatMap((r) => vc.map((c) => `s${r}${c}`));
  if (short) L.push(`  let ${sv.map((s) => `${s}: v128`).join(', ')};`);
  else L.push(`  let ${sv.map((s, i) => (i ? `${s} = s00` : 's00 = i32x4.splat(0)')).join(', ')};`);
  if (S) L.push(`  let ${rows.flatMap((r) => sc.map((c) => `t${r}${c}: u64 = 0`)).join(', ')};`);
  const ind = '  '; // the block's body, both forms
  if (short) L.push('  {', '    const steps = kv;');
  else L.push('  for (let k0 = 0; k0 < kv; k0 += BLOCK) {', '    const steps = min(BLOCK, kv - k0);');
  L.push(`${ind}  let ${rows.flatMap((r) => vc.map((c) => `c${r}${c}`)).map((c, i) => (i ? `${c} = c00` : 'c00 = i8x16.splat(0)')).join(', ')};`);
  L.push(`${ind}  for (let k = 0; k < steps; k++) {`);
  L.push(`${ind}    ${vc.map((c) => `const vb${c} = v128.load(pb, ${16 * c});`).join(' ')}`);
  for (const r of rows) {
    L.push(`${ind}    const va${r} = v128.load(pa, ${16 * r});`);
    L.push(`${ind}    ${vc.map((c) => `c${r}${c} = xpop(c${r}${c}, va${r}, vb${c});`).join(' ')}`);
  }
  if (S) {
    L.push(`${ind}    ${rows.map((r) => `const x${r}0 = load<u64>(pa, ${16 * r}), x${r}1 = load<u64>(pa, ${16 * r + 8});`).join(' ')}`);
    for (const c of sc) {
      L.push(`${ind}    const u${c}0 = load<u64>(pb, ${16 * c}), u${c}1 = load<u64>(pb, ${16 * c + 8});`);
      L.push(`${ind}    ${rows.map((r) => `t${r}${c} += popcnt(x${r}0 ^ u${c}0) + popcnt(x${r}1 ^ u${c}1);`).join(' ')}`);
    }
  }
  L.push(`${ind}    pa += 32;`, `${ind}    pb += 96;`, `${ind}  }`);
  for (const r of rows) {
    L.push(short
      ? `    ${vc.map((c) => `s${r}${c} = widen(c${r}${c});`).join(' ')}`
      : `    ${vc.map((c) => `s${r}${c} = i32x4.add(s${r}${c}, widen(c${r}${c}));`).join(' ')}`);
  }
  L.push('  }');
  // a last step whose upper 64 bits are zero padding: scalar popcount for every output
  L.push('  if (half) {');
  L.push(`    ${rows.map((r) => `const h${r} = load<u64>(pa, ${16 * r});`).join(' ')}`);
  L.push(`    ${vc.map((c) => `const b${c} = load<u64>(pb, ${16 * c});`).join(' ')}`);
  for (const r of rows) L.push(`    ${vc.map((c) => `s${r}${c} = i32x4.add(s${r}${c}, i32x4(<i32>popcnt(h${r} ^ b${c}), 0, 0, 0));`).join(' ')}`);
  if (S) {
    L.push(`    ${sc.map((c) => `const b${c} = load<u64>(pb, ${16 * c});`).join(' ')}`);
    L.push(`    ${rows.flatMap((r) => sc.map((c) => `t${r}${c} += popcnt(h${r} ^ b${c});`)).join(' ')}`);
  }
  L.push('  }');
  L.push('  const kb = i32x4.splat(kbits);');
  for (const r of rows) {
    L.push(`  v128.store(out${out(r)}, i32x4.sub(kb, i32x4.shl(hsum4(${vc.map((c) => `s${r}${c}`).join(', ')}), 1)));`);
    for (const c of sc) L.push(`  store<i32>(out${out(r)}, kbits - 2 * <i32>t${r}${c}, ${4 * c});`);
  }
  L.push('}');
  return L.join('\n');
}

emitTiles('scripts/gen-xnor-tiles.mjs', OUT, "// Tile layout and arithmetic: assembly/xnor.ts.\nimport { BLOCK, xpop, widen, hsum4 } from './xnor-common';\n", TILES.map(tile));
