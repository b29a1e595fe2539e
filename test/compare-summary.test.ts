// The short summary of failing typed-array comparisons (test/setup.ts).
import { expect, it } from 'vitest';

it('a failing toEqual on a 28x28x64 output reports a count and the first mismatches, fast', () => {
  const a = new Int32Array(28 * 28 * 64).map((_, i) => i % 97), b = a.slice();
  for (let i = 0; i < b.length; i += 2) b[i] = -7;
  const t0 = performance.now();
  expect(() => expect(b).toEqual(a)).toThrow(/^25088 of 50176 elements of the Int32Array differ; first at \[0\]: got -7, expected 0; \[2\]: got -7, expected 2/);
  expect(() => expect(b, 'conv out').toEqual(a.slice(1))).toThrow(/^conv out: expected Int32Array\(50175\), got Int32Array\(50176\)/);
  expect(performance.now() - t0).toBeLessThan(1000);
  expect(a.slice()).toEqual(a);
  expect(b).not.toEqual(a);
  expect(() => expect(a.slice()).not.toEqual(a)).toThrow(/to differ, but every element is equal/);
  expect(new Float32Array([NaN, ...new Array(100).fill(1)])).toEqual(new Float32Array([NaN, ...new Array(100).fill(1)]));
  expect(() => expect(new Uint8Array(3)).toEqual(new Uint8Array([0, 0, 1]))).toThrow(/Expected|expected/); // short arrays: the built-in diff
});
