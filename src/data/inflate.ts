// Bounded decompression with the web-standard DecompressionStream: the output is refused as soon as
// it passes a limit, without inflating the rest. The input goes in 1 KiB at a time: deflate expands
// at most ~1032x, so no single output chunk can be much more than 1 MiB, however the host's
// DecompressionStream sizes its chunks; a small file that inflates to gigabytes (a decompression
// bomb) costs only the bytes allowed.

/**
 * Inflate `data` ('deflate': zlib, 'gzip') to at most `limit` bytes. `fail` makes the error: with
 * 'limit' when the output passes the limit, else with the decoder's message.
 */
export async function inflateAtMost(data: Uint8Array, format: 'deflate' | 'gzip', limit: number, fail: (why: string) => Error): Promise<Uint8Array> {
  const ds = new DecompressionStream(format), writer = ds.writable.getWriter(), reader = ds.readable.getReader();
  let stop = false;
  const feed = (async () => {
    for (let at = 0; at < data.length && !stop; at += 1024) await writer.write(data.subarray(at, at + 1024) as Uint8Array<ArrayBuffer>);
    if (!stop) await writer.close();
  })();
  feed.catch(() => {}); // its failure shows on the reading side
  const parts: Uint8Array[] = []; // kept as they come: memory grows with real data, not a declared size
  let n = 0, limited = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (n + value.length > limit) { limited = true; break; }
      parts.push(value);
      n += value.length;
    }
  } catch (e) {
    stop = true;
    reader.cancel().catch(() => {});
    writer.abort().catch(() => {});
    throw fail((e as Error).message);
  }
  if (limited) {
    stop = true;
    reader.cancel().catch(() => {});
    writer.abort().catch(() => {});
    throw fail('limit');
  }
  const out = new Uint8Array(n);
  parts.reduce((o, p) => { out.set(p, o); return o + p.length; }, 0);
  return out;
}
