// A short copy inside the kernels (im2col rows and taps).

// memory.copy is a call into the engine (~20 ns a call): runs up to 256 bytes (a 3x3 kernel row of
// up to 85 channels) go by hand, 16 bytes at a time from 16 on
// @ts-ignore: decorator
@inline export function copyShort(d: usize, s: usize, n: usize): void {
  if (n >= 16) {
    if (n > 256) { memory.copy(d, s, n); return; }
    let i: usize = 0;
    for (; i + 16 <= n; i += 16) v128.store(d + i, v128.load(s + i));
    if (i < n) v128.store(d + n - 16, v128.load(s + n - 16)); // the tail, overlapping bytes already copied
    return;
  }
  let i: usize = 0;
  for (; i + 4 <= n; i += 4) store<u32>(d + i, load<u32>(s + i));
  for (; i < n; i++) store<u8>(d + i, load<u8>(s + i));
}
