// Generates assembly/affine-tiles.ts: the register tiles of the affine (zero-point) GEMMs from one
// template, the way XNNPACK generates its GEMM tiles. A tile is R rows (4, or 1 for batch 1 and the
// last row of m % 4 == 1) x 8 columns of int32 sums, in one of three kinds:
//   pmaddwd: i16 A and B panels (assembly/affine.ts), i32x4.dot_i16x8_s per k pair;
//   lowbit:  i16 A panels, 4- or 2-bit B codes unpacked in registers (assembly/affine-lowbit.ts),
//            the epilogue subtracts zb * rowsum per row;
//   dot:     byte A and B panels, relaxed dot per 4 k (assembly/affine-dot.ts), sums kept in scratch.
// `npm run gen:tiles` rewrites the file; a test checks that the committed copy is current.
//
//   node scripts/gen-affine-tiles.mjs [--check]
import { emitTiles } from './tile-file.mjs';

const OUT = 'assembly/affine-tiles.ts';
const range = (n) => [...Array(n).keys()];
const at = (base, r, stride) => (r === 0 ? base : r === 1 ? `${base} + ${stride}` : `${base} + ${r} * ${stride}`);

/** The k loop's B vectors for one step, by kind. */
function loadB(kind) {
  if (kind === 'lowbit') {
    return [
      'let b0: v128, b1: v128;',
      'if (four) {',
      '  const w = i16x8.extend_low_i8x16_u(v128.load64_zero(pb));',
      '  b0 = v128.and(w, i16x8.splat(0x0f));',
      '  b1 = i16x8.shr_u(w, 4);',
      '  pb += 8;',
      '} else {',
      '  // lanes 0-3 take bits 0-1 / 4-5, lanes 4-7 bits 2-3 / 6-7',
      '  const w = i16x8.mul(i16x8.extend_low_i8x16_u(v128.load32_splat(pb)), i16x8(4, 4, 4, 4, 1, 1, 1, 1));',
      '  b0 = v128.and(i16x8.shr_u(w, 2), i16x8.splat(3));',
      '  b1 = v128.and(i16x8.shr_u(w, 6), i16x8.splat(3));',
      '  pb += 4;',
      '}',
    ];
  }
  return [`const ${kind === 'dot' ? 'w0' : 'b0'} = v128.load(pb), ${kind === 'dot' ? 'w1' : 'b1'} = v128.load(pb, 16);`];
}

function tile(kind, R) {
  const rows = range(R), L = [];
  const c = (r, j) => `c${r}${j}`;
  const name = { pmaddwd: 'affineTile', lowbit: 'lowBitTile', dot: 'dotTile' }[kind] + `${R}x8`;
  const doc = {
    pmaddwd: `${R} row${R > 1 ? 's' : ''} x 8 columns over \`pairs\` k pairs of i16 panels; out row stride ldo bytes.`,
    lowbit: `${R} row${R > 1 ? 's' : ''} x 8 columns over \`pairs\` k pairs of 4-bit (four) or 2-bit codes; zr: zb * rowsum per row (lane r).`,
    dot: `${R} row${R > 1 ? 's' : ''} x 8 columns over one plane, k4 steps of 4 k: adds to the sums at acc (scratch, 32 bytes a row), doubled first when shift.`,
  }[kind];
  const args = {
    pmaddwd: 'pa: usize, pb: usize, pairs: i32, out: usize, ldo: usize',
    lowbit: 'pa: usize, pb: usize, pairs: i32, four: bool, zr: v128, out: usize, ldo: usize',
    dot: 'pa: usize, pb: usize, k4: i32, acc: usize, shift: bool',
  }[kind];
  L.push(`/** ${doc} */`, '// @ts-ignore: decorator', `@inline export function ${name}(${args}): void {`);
  const accs = rows.flatMap((r) => [c(r, 0), c(r, 1)]);
  if (kind === 'dot') {
    for (const r of rows) L.push(`  let ${c(r, 0)} = v128.load(acc, ${32 * r}), ${c(r, 1)} = v128.load(acc, ${32 * r + 16});`);
    L.push('  if (shift) {', `    ${accs.map((a) => `${a} = i32x4.shl(${a}, 1);`).join(' ')}`, '  }');
  } else {
    L.push(`  let ${accs.map((a, i) => (i ? `${a} = c00` : 'c00 = i32x4.splat(0)')).join(', ')};`);
  }
  L.push(`  for (let q = 0; q < ${kind === 'dot' ? 'k4' : 'pairs'}; q++) {`);
  for (const line of loadB(kind)) L.push(`    ${line}`);
  for (const r of rows) {
    L.push(`    const x${r} = v128.load32_splat(pa, ${4 * r});`);
    L.push(kind === 'dot'
      ? `    ${c(r, 0)} = dot(w0, x${r}, ${c(r, 0)}); ${c(r, 1)} = dot(w1, x${r}, ${c(r, 1)});`
      : `    ${c(r, 0)} = i32x4.add(${c(r, 0)}, i32x4.dot_i16x8_s(x${r}, b0)); ${c(r, 1)} = i32x4.add(${c(r, 1)}, i32x4.dot_i16x8_s(x${r}, b1));`);
  }
  L.push('    pa += 16;');
  if (kind !== 'lowbit') L.push('    pb += 32;');
  L.push('  }');
  if (kind === 'dot') {
    for (const r of rows) L.push(`  v128.store(acc, ${c(r, 0)}, ${32 * r}); v128.store(acc, ${c(r, 1)}, ${32 * r + 16});`);
  } else {
    for (const r of rows) {
      const o = at('out', r, 'ldo');
      if (kind === 'lowbit') {
        L.push(`  const z${r} = i32x4.splat(i32x4.extract_lane(zr, ${r}));`);
        L.push(`  v128.store(${o}, i32x4.sub(${c(r, 0)}, z${r})); v128.store(${o}, i32x4.sub(${c(r, 1)}, z${r}), 16);`);
      } else L.push(`  v128.store(${o}, ${c(r, 0)}); v128.store(${o}, ${c(r, 1)}, 16);`);
    }
  }
  L.push('}');
  return L.join('\n');
}

emitTiles('scripts/gen-affine-tiles.mjs', OUT, "import { dot } from './affine-common';\n",
  ['pmaddwd', 'lowbit', 'dot'].flatMap((kind) => [4, 1].map((R) => tile(kind, R))));
