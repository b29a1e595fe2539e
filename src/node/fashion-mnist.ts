// Fashion-MNIST from disk (Node only): --data DIR, else Debian's dataset-fashion-mnist, else the
// small subset shipped in this package (data/fashion-mnist-subset, made by scripts/make-fashion-subset.mjs).
import { access } from 'node:fs/promises';
import { MAX_FILE_BYTES, readFileBounded } from './files.js';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LowbitError } from '../errors.js';
import { FASHION_MNIST_CLASSES, imageSet, readIdx, type IdxArray, type ImageSet } from '../data/idx.js';

export const DEBIAN_FASHION_MNIST = '/usr/share/datasets/fashion-mnist';
export const SUBSET_DIR = fileURLToPath(new URL('../../data/fashion-mnist-subset', import.meta.url));

export interface FashionMnist {
  train: ImageSet;
  test: ImageSet;
  classes: string[];
  /** where it was read from */
  source: string;
}

const exists = (p: string) => access(p).then(() => true, () => false);

async function readOne(dir: string, base: string): Promise<IdxArray> {
  for (const file of [`${base}.gz`, base]) {
    const p = join(dir, file);
    if (await exists(p)) return readIdx(await readFileBounded(p, MAX_FILE_BYTES.data, 'data file'), p);
  }
  throw new LowbitError('DATA_MISSING', `no ${base}(.gz) in ${dir}: point --data at a Fashion-MNIST folder, or install Debian's dataset-fashion-mnist (apt-get install dataset-fashion-mnist)`);
}

/**
 * Load Fashion-MNIST. With `dir`, read it there (an error names what is missing; 'subset' is the
 * shipped subset); without, use the Debian package's copy when installed, else the shipped subset.
 */
export async function loadFashionMnist(dir?: string): Promise<FashionMnist> {
  let source: string;
  const noSubset = `the Fashion-MNIST subset ships with lowbit's source repository, not the npm package: pass --data DIR (a folder of Fashion-MNIST IDX files), or install Debian's dataset-fashion-mnist (apt-get install dataset-fashion-mnist)`;
  if (dir === 'subset') {
    if (!(await exists(SUBSET_DIR))) throw new LowbitError('DATA_MISSING', noSubset);
    dir = SUBSET_DIR;
  }
  if (dir !== undefined) {
    if (!(await exists(dir))) {
      throw new LowbitError('DATA_MISSING', `--data ${dir} does not exist; pass a folder holding Fashion-MNIST's IDX files (gzipped or not)`);
    }
    source = dir;
  } else {
    source = (await exists(join(DEBIAN_FASHION_MNIST, 'train-images-idx3-ubyte.gz'))) ? DEBIAN_FASHION_MNIST : SUBSET_DIR;
    if (source === SUBSET_DIR && !(await exists(SUBSET_DIR))) throw new LowbitError('DATA_MISSING', `no training data: ${noSubset}`);
  }
  const part = async (images: string, labels: string, what: string) =>
    imageSet(await readOne(source, images), await readOne(source, labels), 10, `${what} set in ${source}`);
  return {
    train: await part('train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 'training'),
    test: await part('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte', 'test'),
    classes: FASHION_MNIST_CLASSES,
    source,
  };
}
