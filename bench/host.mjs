// Which JavaScript host a benchmark runs in, and the per-host sections of bench/RESULTS.md:
// each benchmark script writes its report between <!-- NAME-HOST:start --> / <!-- NAME-HOST:end -->
// markers, so runs in Node 20, Node 24 and Deno sit side by side and a rerun replaces only its own.
import { readFile, writeFile, rename } from 'node:fs/promises';

const deno = typeof Deno !== 'undefined';

/** id: node20 / node24 / deno; label: name, version and V8 version. */
export const host = deno
  ? { id: 'deno', label: `Deno ${Deno.version.deno} (V8 ${Deno.version.v8})` }
  : { id: `node${process.versions.node.split('.')[0]}`, label: `Node ${process.version} (V8 ${process.versions.v8})` };

/** Command-line arguments in either host. */
export const argv = deno ? Deno.args : process.argv.slice(2);

/** Arguments that run `script` (a module source) in a fresh process of this host: [file, args]. */
export function evalArgs(script) {
  return deno ? ['eval', script] : ['--input-type=module', '-e', script];
}

// per-host section families, in the order they appear at the top of RESULTS.md
const ORDER = ['kernels', 'models'];

/**
 * Replace section `name` of `file` (between its markers), or insert it after the last section of
 * its family (`kernels-`, `models-`) or of an earlier family in ORDER, else before the first
 * section, else at the end. Written through a temporary file.
 */
export async function writeSection(file, name, body) {
  let md = await readFile(file, 'utf8').catch(() => '# Benchmark results\n');
  const start = `<!-- ${name}:start -->`, end = `<!-- ${name}:end -->`;
  const block = `${start}\n${body.trim()}\n${end}\n`;
  if (md.includes(start)) md = md.replace(new RegExp(`${start}[\\s\\S]*?${end}\\n?`), block);
  else {
    const family = name.split('-')[0];
    const before = ORDER.slice(0, ORDER.indexOf(family) + 1).join('|') || family;
    const ends = [...md.matchAll(new RegExp(`<!-- (${before})-[\\w-]+:end -->\\n?`, 'g'))];
    const first = md.indexOf('<!-- ');
    if (ends.length) { const e = ends[ends.length - 1]; const at = e.index + e[0].length; md = `${md.slice(0, at)}\n${block}${md.slice(at)}`; }
    else if (first >= 0) md = `${md.slice(0, first)}${block}\n${md.slice(first)}`;
    else md = `${md.trimEnd()}\n\n${block}`;
  }
  await writeFile(`${file}.tmp`, md);
  await rename(`${file}.tmp`, file);
}
