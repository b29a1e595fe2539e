import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';

describe('generated kernel tiles', () => {
  for (const family of ['lut', 'xnor', 'affine', 'float']) {
    it(`assembly/${family}-tiles.ts is what scripts/gen-${family}-tiles.mjs generates`, () => {
      // --check exits 1 with a message when the committed file differs
      expect(() => execFileSync(process.execPath, [`scripts/gen-${family}-tiles.mjs`, '--check'], { stdio: 'pipe' })).not.toThrow();
    });
  }
});
