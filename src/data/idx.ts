import { LowbitError } from '../errors.js';
import { inflateAtMost } from './inflate.js';

/** An IDX array of unsigned bytes (the MNIST / Fashion-MNIST format): shape and data. */
export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

const isGzip = (b: Uint8Array) => b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;

/** Largest decompressed IDX file (Fashion-MNIST's training images are 47 MB). */
export const MAX_IDX_BYTES = 1 << 30;

/**
 * Inflate gzip bytes with the web-standard DecompressionStream (Node >= 18, Deno, Workers,
 * browsers), refusing more than `maxBytes` of output (a gzip bomb) without inflating the rest.
 */
export async function gunzip(bytes: Uint8Array, name = 'data', maxBytes = MAX_IDX_BYTES): Promise<Uint8Array> {
  return inflateAtMost(bytes, 'gzip', maxBytes, (why) => new LowbitError('BAD_DATA', why === 'limit'
    ? `${name} inflates past ${maxBytes.toLocaleString('en-US')} bytes, more than an IDX file may hold (a corrupt file or a decompression bomb)`
    : `${name} is not valid gzip (${why}); re-download or decompress it`));
}

/**
 * Parse IDX bytes: magic 0x00 0x00, type 0x08 (unsigned byte), then the number of dimensions, each
 * dimension as a big-endian u32, then the data. Every field is checked against the byte count.
 */
export function parseIdx(bytes: Uint8Array, name = 'data'): IdxArray {
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0) {
    throw new LowbitError('BAD_DATA', `${name} is not an IDX file (it must start with 0x00 0x00, the IDX magic)`);
  }
  if (bytes[2] !== 0x08) {
    throw new LowbitError('BAD_DATA', `${name} holds IDX type 0x${bytes[2].toString(16)}; only unsigned bytes (0x08) are supported`);
  }
  const nd = bytes[3];
  if (nd < 1 || nd > 4) throw new LowbitError('BAD_DATA', `${name} declares ${nd} dimensions; expected 1 to 4`);
  const header = 4 + 4 * nd;
  if (bytes.length < header) throw new LowbitError('BAD_DATA', `${name} is truncated inside its header (${bytes.length} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  let count = 1;
  for (let i = 0; i < nd; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    dims.push(d);
    count *= d;
  }
  if (count !== bytes.length - header) {
    throw new LowbitError('BAD_DATA', `${name} declares ${dims.join(' x ')} = ${count} bytes of data but holds ${bytes.length - header}; the file is truncated or corrupt`);
  }
  return { dims, data: bytes.subarray(header) };
}

/** Gunzip when gzipped, then parse. */
export async function readIdx(bytes: Uint8Array, name = 'data'): Promise<IdxArray> {
  return parseIdx(isGzip(bytes) ? await gunzip(bytes, name) : bytes, name);
}

/** Images and labels of a classification set: images [count][height][width] u8, labels [count] u8. */
export interface ImageSet {
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
  height: number;
  width: number;
}

/** Pair an images IDX (n x h x w) with a labels IDX (n), checking the counts and the label range. */
export function imageSet(images: IdxArray, labels: IdxArray, classes: number, name = 'data set'): ImageSet {
  if (images.dims.length !== 3) throw new LowbitError('BAD_DATA', `${name}: images must be n x height x width, got ${images.dims.join(' x ')}`);
  if (labels.dims.length !== 1) throw new LowbitError('BAD_DATA', `${name}: labels must be one dimension, got ${labels.dims.join(' x ')}`);
  const [count, height, width] = images.dims;
  if (labels.dims[0] !== count) throw new LowbitError('BAD_DATA', `${name}: ${count} images but ${labels.dims[0]} labels`);
  for (let i = 0; i < count; i++) {
    if (labels.data[i] >= classes) throw new LowbitError('BAD_DATA', `${name}: label ${labels.data[i]} at ${i} is not a class (0..${classes - 1})`);
  }
  return { images: images.data, labels: labels.data, count, height, width };
}

/** Fashion-MNIST's ten classes, by label. */
export const FASHION_MNIST_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
