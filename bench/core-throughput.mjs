// Register-only throughput of each kernel family's core instruction sequence on this host's
// WebAssembly engine: no loads, 8 independent accumulator chains, MACs per ns. This is the bound
// bench/NOTES.md holds each kernel against (kernel rate / core rate = fraction of the bound).
//
//   node bench/core-throughput.mjs                 (Node 22+/Deno run the relaxed-dot probe too;
//   npx deno run -A bench/core-throughput.mjs       Node 20 with --experimental-wasm-relaxed-simd)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasRelaxedSimd } from '../dist/runtime.js';

// each probe: 8 independent chains per iteration; MACs per iteration in the table below
const SOURCE = (relaxed) => `
export function scalarPopcnt(n: i32, x: u64): u64 { // 8 x (xor, popcnt, add) on 64 bits
  let a: u64 = x, b: u64 = x * 3, c: u64 = x * 5, d: u64 = x * 7;
  let s0: u64 = 0, s1: u64 = 0, s2: u64 = 0, s3: u64 = 0;
  for (let i = 0; i < n; i++) {
    s0 += popcnt(a ^ b); s1 += popcnt(b ^ c); s2 += popcnt(c ^ d); s3 += popcnt(d ^ a);
    s0 += popcnt(a ^ c); s1 += popcnt(b ^ d); s2 += popcnt(c ^ a); s3 += popcnt(d ^ b);
    a += 1;
  }
  return s0 + s1 + s2 + s3;
}
export function vectorPopcnt(n: i32, x: i32): i32 { // 8 x (xor, i8x16.popcnt, add) on 128 bits
  const a = i32x4.splat(x), b = i32x4.splat(x * 3), c = i32x4.splat(x * 5), d = i32x4.splat(x * 7);
  let s0 = i32x4.splat(0), s1 = s0, s2 = s0, s3 = s0, va = a;
  for (let i = 0; i < n; i++) {
    s0 = i8x16.add(s0, i8x16.popcnt(v128.xor(va, b))); s1 = i8x16.add(s1, i8x16.popcnt(v128.xor(va, c)));
    s2 = i8x16.add(s2, i8x16.popcnt(v128.xor(va, d))); s3 = i8x16.add(s3, i8x16.popcnt(v128.xor(b, c)));
    s0 = i8x16.add(s0, i8x16.popcnt(v128.xor(va, c))); s1 = i8x16.add(s1, i8x16.popcnt(v128.xor(b, d)));
    s2 = i8x16.add(s2, i8x16.popcnt(v128.xor(c, va))); s3 = i8x16.add(s3, i8x16.popcnt(v128.xor(d, b)));
    va = i32x4.add(va, a);
  }
  return i32x4.extract_lane(i32x4.add(i32x4.add(s0, s1), i32x4.add(s2, s3)), 0);
}
export function tableLookup(n: i32, x: i32): i32 { // 8 x (swizzle, add): 16 lanes x 4 MACs each
  const t = i32x4.splat(x), i0 = v128.and(i32x4.splat(x * 3), i8x16.splat(15)), i1 = v128.and(i32x4.splat(x * 5), i8x16.splat(15));
  let s0 = i32x4.splat(0), s1 = s0, s2 = s0, s3 = s0, tv = t;
  for (let i = 0; i < n; i++) {
    s0 = i8x16.add(s0, ${relaxed ? 'i8x16.relaxed_swizzle' : 'i8x16.swizzle'}(tv, i0)); s1 = i8x16.add(s1, ${relaxed ? 'i8x16.relaxed_swizzle' : 'i8x16.swizzle'}(tv, i1));
    s2 = i8x16.add(s2, ${relaxed ? 'i8x16.relaxed_swizzle' : 'i8x16.swizzle'}(t, i0)); s3 = i8x16.add(s3, ${relaxed ? 'i8x16.relaxed_swizzle' : 'i8x16.swizzle'}(t, i1));
    s0 = i8x16.add(s0, ${relaxed ? 'i8x16.relaxed_swizzle' : 'i8x16.swizzle'}(i0, tv)); s1 = i8x16.add(s1, ${relaxed ? 'i8x16.relaxed_swizzle' : 'i8x16.swizzle'}(i1, tv));
    s2 = i8x16.add(s2, ${relaxed ? 'i8x16.relaxed_swizzle' : 'i8x16.swizzle'}(i0, t)); s3 = i8x16.add(s3, ${relaxed ? 'i8x16.relaxed_swizzle' : 'i8x16.swizzle'}(i1, t));
    tv = i32x4.add(tv, t);
  }
  return i32x4.extract_lane(i32x4.add(i32x4.add(s0, s1), i32x4.add(s2, s3)), 0);
}
export function dotI16(n: i32, x: i32): i32 { // 8 x (pmaddwd, add): 8 MACs each
  const a = i32x4.splat(x), b = i32x4.splat(x * 3);
  let s0 = i32x4.splat(0), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0, va = a;
  for (let i = 0; i < n; i++) {
    s0 = i32x4.add(s0, i32x4.dot_i16x8_s(va, b)); s1 = i32x4.add(s1, i32x4.dot_i16x8_s(va, a));
    s2 = i32x4.add(s2, i32x4.dot_i16x8_s(b, va)); s3 = i32x4.add(s3, i32x4.dot_i16x8_s(b, a));
    s4 = i32x4.add(s4, i32x4.dot_i16x8_s(a, b)); s5 = i32x4.add(s5, i32x4.dot_i16x8_s(va, va));
    s6 = i32x4.add(s6, i32x4.dot_i16x8_s(b, b)); s7 = i32x4.add(s7, i32x4.dot_i16x8_s(a, va));
    va = i16x8.add(va, a);
  }
  return i32x4.extract_lane(i32x4.add(i32x4.add(i32x4.add(s0, s1), i32x4.add(s2, s3)), i32x4.add(i32x4.add(s4, s5), i32x4.add(s6, s7))), 0);
}
export function dotI8(n: i32, x: i32): i32 { // 8 x relaxed_dot_i8x16_i7x16_add: 16 MACs each
  ${relaxed ? `const a = i32x4.splat(x), b = v128.and(i32x4.splat(x * 3), i8x16.splat(127));
  let s0 = i32x4.splat(0), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
  for (let i = 0; i < n; i++) {
    s0 = i32x4.relaxed_dot_i8x16_i7x16_add_s(a, b, s0); s1 = i32x4.relaxed_dot_i8x16_i7x16_add_s(b, b, s1);
    s2 = i32x4.relaxed_dot_i8x16_i7x16_add_s(a, b, s2); s3 = i32x4.relaxed_dot_i8x16_i7x16_add_s(b, b, s3);
    s4 = i32x4.relaxed_dot_i8x16_i7x16_add_s(a, b, s4); s5 = i32x4.relaxed_dot_i8x16_i7x16_add_s(b, b, s5);
    s6 = i32x4.relaxed_dot_i8x16_i7x16_add_s(a, b, s6); s7 = i32x4.relaxed_dot_i8x16_i7x16_add_s(b, b, s7);
  }
  return i32x4.extract_lane(i32x4.add(i32x4.add(i32x4.add(s0, s1), i32x4.add(s2, s3)), i32x4.add(i32x4.add(s4, s5), i32x4.add(s6, s7))), 0);` : 'return n + x;'}
}
export function fma(n: i32, x: f32): f32 { // 8 x (f32x4 mul, add): 4 MACs each
  const a = f32x4.splat(x), b = f32x4.splat(x * 0.5);
  let s0 = f32x4.splat(0), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
  for (let i = 0; i < n; i++) {
    s0 = f32x4.add(s0, f32x4.mul(a, b)); s1 = f32x4.add(s1, f32x4.mul(b, b)); s2 = f32x4.add(s2, f32x4.mul(a, a)); s3 = f32x4.add(s3, f32x4.mul(b, a));
    s4 = f32x4.add(s4, f32x4.mul(a, b)); s5 = f32x4.add(s5, f32x4.mul(b, b)); s6 = f32x4.add(s6, f32x4.mul(a, a)); s7 = f32x4.add(s7, f32x4.mul(b, a));
  }
  return f32x4.extract_lane(f32x4.add(f32x4.add(f32x4.add(s0, s1), f32x4.add(s2, s3)), f32x4.add(f32x4.add(s4, s5), f32x4.add(s6, s7))), 0);
}
`;

const relaxed = hasRelaxedSimd();
const dir = mkdtempSync(join(tmpdir(), 'lowbit-core-'));
writeFileSync(join(dir, 'p.ts'), SOURCE(relaxed));
execFileSync('npx', ['asc', join(dir, 'p.ts'), '-O3', '--runtime', 'stub', '--enable', relaxed ? 'simd,relaxed-simd' : 'simd', '-o', join(dir, 'p.wasm')], { stdio: ['ignore', 'ignore', 'inherit'] });
const { instance } = await WebAssembly.instantiate(readFileSync(join(dir, 'p.wasm')), { env: { abort() {} } });
rmSync(dir, { recursive: true, force: true });
const e = instance.exports;
const N = 2e7;
const probes = [
  ['xor + scalar i64.popcnt (binary MACs)', e.scalarPopcnt, 5n, 8 * 64],
  ['xor + i8x16.popcnt (binary MACs)', e.vectorPopcnt, 5, 8 * 128],
  [`table lookup, ${relaxed ? 'relaxed_swizzle' : 'swizzle'} + add (1 x k-bit MACs)`, e.tableLookup, 5, 8 * 64],
  ['i32x4.dot_i16x8_s + add (8-bit MACs)', e.dotI16, 5, 8 * 8],
  ...(relaxed ? [['relaxed_dot_i8x16_i7x16_add (8-bit MACs)', e.dotI8, 5, 8 * 16]] : []),
  ['f32x4 mul + add (float MACs)', e.fma, 1.5, 8 * 4],
];
const host = typeof Deno !== 'undefined' ? `Deno ${Deno.version.deno} (V8 ${Deno.version.v8})` : `Node ${process.version} (V8 ${process.versions.v8})`;
console.log(`${host}: register-only, best of 5, MACs per ns\n`);
console.log('| core sequence | MACs per ns |\n|---|---:|');
for (const [name, f, arg, macs] of probes) {
  let best = 0;
  for (let round = 0; round < 5; round++) {
    f(1000, arg);
    const t0 = performance.now();
    f(N, arg);
    best = Math.max(best, (N * macs) / ((performance.now() - t0) * 1e6));
  }
  console.log(`| ${name} | ${best.toFixed(0)} |`);
}
