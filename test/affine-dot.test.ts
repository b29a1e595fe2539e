// The relaxed build's 8-bit dot-product GEMM (assembly/affine-dot.ts), both of its modes, against the
// plain reference; and the Engine giving the same logits whichever build runs its 8-bit steps.
import { describe, expect, it, beforeAll } from 'vitest';
import { readFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { init, Engine, type Lowbit } from '../src/node/index.js';
import { dotMode } from '../src/kernels/affine-dot.js';
import { scoped } from '../src/memory.js';
import { rng, randomBytes, affineGemmRef } from './reference.js';

const relaxed = process.env.LOWBIT_EXPECT_RELAXED === '1';
/** Whether this CPU has AVX-VNNI, where V8 12.6 and later run the relaxed dot as vpdpbusd (exact for u8 codes). */
const avxVnni = existsSync('/proc/cpuinfo') && /\bavx_vnni\b/.test(readFileSync('/proc/cpuinfo', 'utf8'));

let lb: Lowbit;
beforeAll(async () => { lb = await init(undefined, { build: relaxed ? 'relaxed' : 'baseline' }); });

/** The raw kernel: A rows of k codes, B as k x n (u8 or i8) with one zero point per column. */
function dotGemm(a: Uint8Array, za: number, b: Uint8Array, signed: boolean, zb: Int16Array, m: number, n: number, k: number, fullRange: boolean): Int32Array {
  const w = lb.heap.wasm;
  return scoped(lb.heap, (arena) => {
    const pa = arena.alloc(w.affineDotBytesA(m, k)), pb = arena.alloc(w.affineDotBytesB(n, k)), po = arena.alloc(m * n * 4);
    lb.heap.u8().fill(0xa5, pa, pa + w.affineDotBytesA(m, k)); // junk: the packing must write its padding
    w.affineDotPackA(arena.put(a), m, k, k, fullRange ? 1 : 0, pa);
    w.affineDotPackB(arena.put(b), k, n, n, 1, 0, arena.put(zb), signed ? 1 : 0, pb);
    w.affineDotGemm(pa, pb, m, n, k, za, po, n, arena.alloc(128));
    return lb.heap.read(Int32Array, po, m * n);
  });
}

describe.skipIf(!relaxed)('8-bit dot-product GEMM (relaxed build)', () => {
  for (const fullRange of [false, true]) {
    it(`matches the reference on awkward shapes, codes below and above 128, u8 and i8 weights (${fullRange ? 'one pass' : 'two passes'})`, () => {
      // mode 0: this host's dot failed the self-test (Node 20's flagged V8 11.3 gets row 2 of a tile wrong), so it is never used;
      // mode 1: it saturates or reads u8 as signed, so one pass is never used
      if (avxVnni && Number(process.versions.node.split('.')[0]) >= 22) expect(dotMode(lb.heap), 'the self-test on an AVX-VNNI host (vpdpbusd)').toBe(2);
      if (dotMode(lb.heap) < (fullRange ? 2 : 1)) return;
      const r = rng(fullRange ? 5 : 6);
      for (const k of [1, 3, 4, 5, 17, 64, 100]) for (const [m, n] of [[1, 1], [3, 9], [4, 8], [5, 17], [9, 7]]) for (const signed of [true, false]) {
        const amax = (k + m) % 2 ? 256 : 100; // below 128 the kernel takes one pass in either mode
        const a = Uint8Array.from(randomBytes(m * k, r), (v) => v % amax), b = randomBytes(k * n, r);
        const zb = new Int16Array(Math.ceil(n / 8) * 8).map((_, j) => (j < n ? (signed ? (j * 37) % 256 - 128 : (j * 53) % 256) : 0));
        const za = (k * 7 + m) % 256;
        const bt = signed ? new Int8Array(b.buffer) : b;
        expect(dotGemm(a, za, b, signed, zb, m, n, k, fullRange), `m=${m} n=${n} k=${k} signed=${signed}`).toEqual(affineGemmRef(a, za, bt, Array.from(zb.subarray(0, n)), m, n, k));
      }
    });
  }
});

// The hosts that load the relaxed build by default, each in its own process: Node 24 (the official
// binary, fetched by scripts/node24.mjs) and Deno (the npm package).
describe.skipIf(relaxed)('8-bit dot-product GEMM in Node 24 and Deno', () => {
  const hosts: [string, () => string | null, string[]][] = [
    ['Node 24', () => { try { return execFileSync(process.execPath, ['scripts/node24.mjs']).toString().trim(); } catch { return null; } }, []],
    ['Deno', () => (existsSync('node_modules/.bin/deno') ? 'node_modules/.bin/deno' : null), ['run', '-A']],
  ];
  for (const [name, bin, pre] of hosts) {
    it(`${name}: the self-test picks a mode, the kernel is exact in it, and the shipped models give the baseline build's logits`, () => {
      const path = bin();
      if (!path) { if (process.env.LOWBIT_CI === '1') throw new Error(`${name} is not available`); return; }
      const report = JSON.parse(execFileSync(path, [...pre, 'test/hosts/affine-dot-check.mjs']).toString().trim().split('\n').pop()!);
      // where the CPU has AVX-VNNI these V8s emit vpdpbusd, exact for u8: a kernel bug would make the
      // self-test fall back to mode 1 silently
      expect(report.mode, report.host).toBe(avxVnni ? 2 : report.mode || 1);
      expect(report.cases).toBeGreaterThan(0);
      expect(report.wrong, report.host).toEqual([]);
    }, 300_000);
  }
});

describe('the Engine runs the same plans in either build', () => {
  it.skipIf(!relaxed)('shipped models: identical logits from the baseline and the relaxed build (8-bit steps on the dot product)', async () => {
    const base = await init(undefined, { build: 'baseline' });
    const x = Uint8Array.from({ length: 8 * 784 }, (_, i) => (i * 37 + (i >> 5)) & 255);
    for (const name of ['fashion-cnn-1w1a', 'fashion-cnn-1w4a', 'fashion-mobilenet-4w4a', 'fashion-resnet-1w1a']) {
      const bytes = new Uint8Array(await readFile(new URL(`../models/${name}.lbm`, import.meta.url)));
      const e1 = await Engine.load(bytes, { runtime: base }), e2 = await Engine.load(bytes, { runtime: lb });
      expect(e2.logits(x, 8), name).toEqual(e1.logits(x, 8));
      e1.dispose(); e2.dispose();
    }
  });
});
