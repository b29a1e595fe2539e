// Make the Fashion-MNIST subset shipped as lowbit's built-in default data set:
// the first 300 training images of each class and the first 100 test images of each class, in
// file order, written as gzipped IDX to data/fashion-mnist-subset/ with the data's MIT license.
//
//   apt-get install dataset-fashion-mnist && node scripts/make-fashion-subset.mjs [SOURCE_DIR]
//
// Deterministic: the same source files give byte-identical output (gzip without a timestamp).
import { readFile, writeFile, mkdir, rename } from 'node:fs/promises';
import { gunzipSync, gzipSync } from 'node:zlib';
import { join } from 'node:path';

const SOURCE = process.argv[2] ?? '/usr/share/datasets/fashion-mnist';
const OUT = new URL('../data/fashion-mnist-subset/', import.meta.url);
const PER_CLASS = { train: 300, t10k: 100 };

function idx(bytes) {
  const nd = bytes[3];
  const dims = Array.from({ length: nd }, (_, i) => bytes.readUInt32BE(4 + 4 * i));
  return { dims, data: bytes.subarray(4 + 4 * nd) };
}

function writeIdx(dims, data) {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head[2] = 0x08;
  head[3] = dims.length;
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return gzipSync(Buffer.concat([head, data]), { level: 9 });
}

await mkdir(OUT, { recursive: true });
for (const [part, per] of Object.entries(PER_CLASS)) {
  const images = idx(gunzipSync(await readFile(join(SOURCE, `${part}-images-idx3-ubyte.gz`))));
  const labels = idx(gunzipSync(await readFile(join(SOURCE, `${part}-labels-idx1-ubyte.gz`))));
  const [, h, w] = images.dims;
  const taken = new Array(10).fill(0);
  const pick = [];
  for (let i = 0; i < labels.dims[0] && pick.length < per * 10; i++) {
    if (taken[labels.data[i]] < per) { taken[labels.data[i]]++; pick.push(i); }
  }
  const img = Buffer.alloc(pick.length * h * w), lab = Buffer.alloc(pick.length);
  pick.forEach((src, j) => { images.data.copy(img, j * h * w, src * h * w, (src + 1) * h * w); lab[j] = labels.data[src]; });
  for (const [file, bytes] of [[`${part}-images-idx3-ubyte.gz`, writeIdx([pick.length, h, w], img)], [`${part}-labels-idx1-ubyte.gz`, writeIdx([pick.length], lab)]]) {
    const target = new URL(file, OUT);
    await writeFile(new URL(`${file}.tmp`, OUT), bytes);
    await rename(new URL(`${file}.tmp`, OUT), target);
    console.log(`${file}: ${bytes.length} bytes`);
  }
}
await writeFile(new URL('README.md', OUT), `# Fashion-MNIST subset

The first 300 training images of each class (3000) and the first 100 test images of each class
(1000) of Fashion-MNIST, in file order, as gzipped IDX files. Made by
\`node scripts/make-fashion-subset.mjs\` from Debian's dataset-fashion-mnist package
(/usr/share/datasets/fashion-mnist). lowbit uses it as its built-in default data set; the full set
is read from \`--data DIR\` or the Debian package when installed.

Fashion-MNIST: Copyright (c) 2017 Zalando SE, https://tech.zalando.com, released under the MIT
license (LICENSE in this folder). Han Xiao, Kashif Rasul, Roland Vollgraf, "Fashion-MNIST: a Novel
Image Dataset for Benchmarking Machine Learning Algorithms", arXiv:1708.07747.
`);
await writeFile(new URL('LICENSE', OUT), `The MIT License (MIT) Copyright © [2017] Zalando SE, https://tech.zalando.com

Permission is hereby granted, free of charge, to any person obtaining a copy of this software and associated documentation files (the “Software”), to deal in the Software without restriction, including without limitation the rights to use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies of the Software, and to permit persons to whom the Software is furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED “AS IS”, WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
`);
