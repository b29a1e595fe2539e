import { describe, expect, it } from 'vitest';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

async function files(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await files(p)));
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

describe('the core runs everywhere', () => {
  it('imports no node: module and touches no Node global outside src/node/', async () => {
    const core = (await files('src')).filter((p) => !p.startsWith(join('src', 'node')));
    expect(core.length).toBeGreaterThan(5);
    for (const p of core) {
      const text = await readFile(p, 'utf8');
      expect(text, p).not.toMatch(/from\s+['"]node:|import\(\s*['"]node:|require\(/);
      expect(text, p).not.toMatch(/\b(process|Buffer|__dirname|__filename)\b/);
    }
  });
});
