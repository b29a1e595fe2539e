// Interleaved rounds for peer benchmarks: each round times every contender once (tinybench), so
// ratios taken round by round cancel the machine's drift.
import { Bench } from 'tinybench';

/** Per task name, the median latency (ms) of each of `rounds` rounds; `tasks` is [name, fn][]. */
export async function measureRounds(tasks, rounds, time = 300) {
  const lat = {};
  for (let r = 0; r < rounds; r++) {
    const bench = new Bench({ time, warmupTime: 50 });
    for (const [name, fn] of tasks) bench.add(name, fn);
    await bench.run();
    for (const t of bench.tasks) {
      if (t.result.state !== 'completed') throw new Error(`${t.name}: ${t.result.state} ${t.result.error ?? ''}`);
      (lat[t.name] ??= []).push(t.result.latency.p50);
    }
  }
  return lat;
}

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** How many times faster a is than b: the median of per-round ratios. */
export const ratio = (lat, a, b) => median(lat[b].map((x, r) => x / lat[a][r]));

/** Images per second of `fn` (async or not), which runs `batch` images per call, over `time` ms after one warm-up call. */
export async function batchRate(fn, batch, time = 1000) {
  await fn();
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < time) { await fn(); n += batch; }
  return n / ((performance.now() - t0) / 1000);
}
