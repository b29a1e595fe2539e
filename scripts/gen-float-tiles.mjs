// Generates assembly/float-tiles.ts: the register tiles of the f32 GEMM (assembly/float.ts) from one
// template, the way XNNPACK generates its GEMM tiles: R rows (4, or 1 for a last single row and
// batch 1) x 8 columns, A rows through one pointer each, B an 8-column panel, C loaded first unless
// `first`. `npm run gen:tiles` rewrites the file; a test checks that the committed copy is current.
//
//   node scripts/gen-float-tiles.mjs [--check]
import { emitTiles } from './tile-file.mjs';

const OUT = 'assembly/float-tiles.ts';
const at = (base, r, stride) => (r === 0 ? base : r === 1 ? `${base} + ${stride}` : `${base} + ${r} * ${stride}`);

function tile(R) {
  const rows = [...Array(R).keys()], L = [];
  const accs = rows.flatMap((r) => [`c${r}0`, `c${r}1`]);
  L.push(`/** ${R} row${R > 1 ? 's' : ''} x 8 columns: a0..: row pointers into A at the block's first k; bp: the panel there; c: C tile (row stride ldc bytes). */`);
  L.push('// @ts-ignore: decorator');
  L.push(`@inline export function sgemmTile${R}x8(${rows.map((r) => `a${r}: usize`).join(', ')}, bp: usize, kc: i32, c: usize, ldc: usize, first: bool): void {`);
  L.push(`  let ${accs.map((a) => `${a}: v128`).join(', ')};`);
  L.push('  if (first) {');
  L.push(`    ${accs.map((a, i) => (i ? `${a} = c00;` : 'c00 = f32x4.splat(0);')).join(' ')}`);
  L.push('  } else {');
  for (const r of rows) L.push(`    c${r}0 = v128.load(${at('c', r, 'ldc')}); c${r}1 = v128.load(${at('c', r, 'ldc')}, 16);`);
  L.push('  }');
  L.push('  for (let kk = 0; kk < kc; kk++) {');
  L.push('    const b0 = v128.load(bp), b1 = v128.load(bp, 16);');
  for (const r of rows) {
    L.push(`    const x${r} = v128.load32_splat(a${r});`);
    L.push(`    c${r}0 = f32x4.add(c${r}0, f32x4.mul(x${r}, b0)); c${r}1 = f32x4.add(c${r}1, f32x4.mul(x${r}, b1));`);
  }
  L.push(`    ${rows.map((r) => `a${r} += 4;`).join(' ')}`);
  L.push('    bp += 32;');
  L.push('  }');
  for (const r of rows) L.push(`  v128.store(${at('c', r, 'ldc')}, c${r}0); v128.store(${at('c', r, 'ldc')}, c${r}1, 16);`);
  L.push('}');
  return L.join('\n');
}

emitTiles('scripts/gen-float-tiles.mjs', OUT, '', [4, 1].map(tile));
