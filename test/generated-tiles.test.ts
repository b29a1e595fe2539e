import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';

describe('generated kernel tiles', () => {
  it('assembly/lut-tiles.ts is what scripts/gen-lut-tiles.mjs generates', () => {
    // --check exits 1 with a message when the committed file differs
    expect(() => execFileSync(process.execPath, ['scripts/gen-lut-tiles.mjs', '--check'], { stdio: 'pipe' })).not.toThrow();
  });
  it('assembly/xnor-tiles.ts is what scripts/gen-xnor-tiles.mjs generates', () => {
    expect(() => execFileSync(process.execPath, ['scripts/gen-xnor-tiles.mjs', '--check'], { stdio: 'pipe' })).not.toThrow();
  });
});
