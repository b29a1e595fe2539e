// Generates assembly/lut-tiles.ts: the register tiles of the lookup-table GEMM (assembly/lut.ts),
// one function per row count, from the single template below, the way XNNPACK generates its GEMM
// tiles. `npm run gen:tiles` rewrites the file; a test checks that the committed copy is current.
//
//   node scripts/gen-lut-tiles.mjs [--check]
import { emitTiles } from './tile-file.mjs';

const ROWS = [4, 1];
const OUT = 'assembly/lut-tiles.ts';

/** One R x 16 tile: R activation rows' tables against one 16-column weight panel. */
function tile(R) {
  const rows = [...Array(R).keys()];
  const L = [];
  L.push(`/** ${R} row${R > 1 ? 's' : ''} x 16 columns; see lutTile in assembly/lut.ts for the arguments. */`);
  L.push('// @ts-ignore: decorator');
  L.push(`@inline export function lutTile${R}(tab: usize, ts: usize, w: usize, pairs: i32, flush: i32, sums: usize, out: usize, ldo: usize, add: bool): void {`);
  L.push('  const zero = i8x16.splat(0);');
  L.push(`  let ${rows.map((r) => `l${r} = zero, h${r} = zero`).join(', ')};`);
  L.push('  for (let g0 = 0; g0 < pairs; g0 += flush) {');
  L.push('    const g1 = min(pairs, g0 + flush);');
  L.push(`    let ${rows.map((r) => `c${r} = zero`).join(', ')};`);
  L.push('    for (let g = g0; g < g1; g++) {');
  L.push('      const lo = v128.load(w), hi = v128.load(w, 16);');
  L.push('      const t = tab + (<usize>g << 5);');
  for (const r of rows) {
    const p = r ? `t + ${r} * ts` : 't';
    L.push(`      c${r} = i8x16.add(c${r}, i8x16.add(look(v128.load(${p}), lo), look(v128.load(${p}, 16), hi)));`);
  }
  L.push('      w += 32;');
  L.push('    }');
  for (const r of rows) L.push(`    l${r} = i16x8.add(l${r}, i16x8.extend_low_i8x16_u(c${r})); h${r} = i16x8.add(h${r}, i16x8.extend_high_i8x16_u(c${r}));`);
  L.push('  }');
  for (const r of rows) L.push(`  finish(l${r}, h${r}, load<i32>(sums, ${4 * r}), out${r ? ` + ${r} * ldo` : ''}, add);`);
  L.push('}');
  return L.join('\n');
}

emitTiles('scripts/gen-lut-tiles.mjs', OUT, "import { look, finish } from './lut-common';\n", ROWS.map(tile));
