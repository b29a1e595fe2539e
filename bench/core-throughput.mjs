// Register-only popcount throughput on this host's WebAssembly engine: how many binary MACs per ns
// the scalar i64.popcnt path and the v128 i8x16.popcnt path can reach with no memory traffic.
// This bounds the xnor kernels (bench/NOTES.md).   node bench/popcnt-throughput.mjs
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SOURCE = `
// 8 independent xor + popcnt + add per iteration, 64 bits each
export function scalarPopcnt(n: i32, x: u64): u64 {
  let a: u64 = x, b: u64 = x * 3, c: u64 = x * 5, d: u64 = x * 7;
  let s0: u64 = 0, s1: u64 = 0, s2: u64 = 0, s3: u64 = 0;
  for (let i = 0; i < n; i++) {
    s0 += popcnt(a ^ b); s1 += popcnt(b ^ c); s2 += popcnt(c ^ d); s3 += popcnt(d ^ a);
    s0 += popcnt(a ^ c); s1 += popcnt(b ^ d); s2 += popcnt(c ^ a); s3 += popcnt(d ^ b);
    a += 1;
  }
  return s0 + s1 + s2 + s3;
}
// 8 independent xor + i8x16.popcnt + i8x16.add per iteration, 128 bits each
export function vectorPopcnt(n: i32, x: i32): i32 {
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
`;
const dir = mkdtempSync(join(tmpdir(), 'lowbit-popcnt-'));
writeFileSync(join(dir, 'p.ts'), SOURCE);
execFileSync('npx', ['asc', join(dir, 'p.ts'), '-O3', '--runtime', 'stub', '--enable', 'simd', '-o', join(dir, 'p.wasm')], { stdio: ['ignore', 'ignore', 'inherit'] });
const { instance } = await WebAssembly.instantiate(readFileSync(join(dir, 'p.wasm')), { env: { abort() {} } });
rmSync(dir, { recursive: true, force: true });
const e = instance.exports;
const N = 2e7;
const best = { scalar: 0, vector: 0 };
for (let round = 0; round < 5; round++) {
  for (const [name, f, arg, bits] of [['scalar', e.scalarPopcnt, 5n, 8 * 64], ['vector', e.vectorPopcnt, 5, 8 * 128]]) {
    f(1000, arg);
    const t0 = performance.now();
    f(N, arg);
    best[name] = Math.max(best[name], (N * bits) / ((performance.now() - t0) * 1e6));
  }
}
console.log(`register-only, best of 5 (binary MACs per ns; 1 MAC = 2 ops):`);
console.log(`  scalar i64.popcnt : ${best.scalar.toFixed(0)}`);
console.log(`  v128 i8x16.popcnt : ${best.vector.toFixed(0)}`);
