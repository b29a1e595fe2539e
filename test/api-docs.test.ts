// The API reference in docs/api is generated from the types (TypeDoc, `npm run docs:api`); this
// regenerates it and fails when the committed copy differs, so it cannot drift from the code.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

async function tree(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) { const p = join(e.parentPath, e.name); out.set(relative(dir, p), await readFile(p, 'utf8')); }
  }
  return out;
}

describe.skipIf(process.env.LOWBIT_EXPECT_RELAXED === '1')('API reference', () => {
  it('docs/api is what TypeDoc generates from the current types', async () => {
    const tmp = await mkdtemp(join(tmpdir(), 'lowbit-api-'));
    execFileSync(process.execPath, [join(root, 'node_modules/typedoc/bin/typedoc'), '--out', tmp], { cwd: root, stdio: 'pipe' });
    const [fresh, committed] = [await tree(tmp), await tree(join(root, 'docs/api'))];
    expect([...committed.keys()].sort(), 'run npm run docs:api and commit docs/api').toEqual([...fresh.keys()].sort());
    for (const [p, text] of fresh) expect(committed.get(p), `docs/api/${p} is stale: run npm run docs:api`).toBe(text);
    expect(fresh.get('lowbit/classes/Engine.md')).toMatch(/### load\(\)/);
  }, 60_000);
});
