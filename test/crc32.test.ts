// CRC-32 in JavaScript (slicing by 4) and in wasm (the model loader's) agree with the standard check value.
import { describe, expect, it, beforeAll } from 'vitest';
import { type Lowbit } from '../src/node/index.js';
import { crc32 } from '../src/train/checkpoint.js';
import { scoped } from '../src/memory.js';
import { rng } from './reference.js';
import { runtime } from './helpers.js';

let lb: Lowbit;
beforeAll(async () => { lb = await runtime(); });
const wasmCrc = (b: Uint8Array) => scoped(lb.heap, (a) => lb.wasm.crc32(a.put(b, 16), b.length) >>> 0);

describe('crc32', () => {
  it('matches the IEEE check value and each other on awkward lengths', () => {
    const check = new TextEncoder().encode('123456789');
    expect(crc32(check)).toBe(0xcbf43926);
    expect(wasmCrc(check)).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
    const r = rng(3);
    for (const n of [0, 1, 3, 4, 5, 7, 8, 1000, 4097]) {
      const b = Uint8Array.from({ length: n }, () => Math.floor(r() * 256));
      expect(wasmCrc(b), `length ${n}`).toBe(crc32(b));
      // a one-bit change changes it
      if (n) { const c = b.slice(); c[n >> 1] ^= 4; expect(crc32(c)).not.toBe(crc32(b)); }
    }
  });
});
