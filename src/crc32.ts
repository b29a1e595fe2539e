// CRC-32 of model files and checkpoints.
let tables: Uint32Array[] | undefined;
/**
 * CRC-32 (IEEE 802.3, as zip and PNG), slicing by 4: four bytes per step through four tables
 * (Intel's slicing-by-N); 4x fewer steps matters when a model loads on cold (interpreted) code.
 */
export function crc32(bytes: Uint8Array): number {
  if (!tables) {
    tables = Array.from({ length: 4 }, () => new Uint32Array(256));
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      tables[0][n] = c >>> 0;
    }
    for (let n = 0; n < 256; n++) for (let t = 1; t < 4; t++) tables[t][n] = (tables[0][tables[t - 1][n] & 255] ^ (tables[t - 1][n] >>> 8)) >>> 0;
  }
  const [t0, t1, t2, t3] = tables;
  let c = 0xffffffff, i = 0;
  const n4 = bytes.length & ~3;
  for (; i < n4; i += 4) { // once per file load or checkpoint, not per step
    c ^= bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24);
    c = t3[c & 255] ^ t2[(c >>> 8) & 255] ^ t1[(c >>> 16) & 255] ^ t0[c >>> 24];
  }
  for (; i < bytes.length; i++) c = t0[(c ^ bytes[i]) & 255] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
