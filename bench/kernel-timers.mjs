// Times every wasm kernel call of a runtime while switched on: the heap gets a copy of the (read-only)
// exports whose functions add their time under the kernel's name and second argument (a size or a
// resident pointer, which tells the layers apart). Used by bench/engine-profile.mjs and bench/onnx-profile.mjs.

/** Wrap lb's kernels; returns { on(), times } with times: Map of key -> total ms while on. */
export function kernelTimers(lb) {
  const times = new Map();
  let active = false;
  lb.heap.wasm = Object.fromEntries(Object.entries(lb.heap.wasm).map(([k, f]) => [k, typeof f !== 'function' ? f : (...a) => {
    if (!active) return f(...a);
    const t = performance.now(), r = f(...a), key = `${k}(${a[1]})`;
    times.set(key, (times.get(key) ?? 0) + performance.now() - t);
    return r;
  }]));
  return { on: () => { active = true; }, times };
}

/** The timed kernels, slowest first, in us per `per` calls of the measured loop. */
export function printKernelTimes(times, per) {
  for (const [k, v] of [...times].sort((a, b) => b[1] - a[1])) console.log(`  ${k.padEnd(36)} ${((v / per) * 1000).toFixed(1)} us`);
}
