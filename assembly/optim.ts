// Optimizer steps over flat f32 parameter buffers (w, gradient g, state), n elements each.
// The quantized-training rules of docs/algorithms.md compose these with the projections in
// quant.ts: BinaryConnect = step on w_f then project; BCGD = blend(w_f, proj(w_f), rho) then step;
// BinaryRelax phase 1 = step, then relax(w_f, proj(w_f), lambda) for the forward weights.

/** SGD with momentum and L2 weight decay: v = mu v + (g + wd w); w -= lr v. */
export function sgdStep(w: usize, g: usize, v: usize, n: i32, lr: f32, mu: f32, wd: f32): void {
  const lrv = f32x4.splat(lr), muv = f32x4.splat(mu), wdv = f32x4.splat(wd);
  const n4 = n & ~3;
  for (let i = 0; i < n4; i += 4) {
    const o = <usize>i << 2;
    const wi = v128.load(w + o);
    const vi = f32x4.add(f32x4.mul(muv, v128.load(v + o)), f32x4.add(v128.load(g + o), f32x4.mul(wdv, wi)));
    v128.store(v + o, vi);
    v128.store(w + o, f32x4.sub(wi, f32x4.mul(lrv, vi)));
  }
  for (let i = n4; i < n; i++) {
    const o = <usize>i << 2;
    const wi = load<f32>(w + o);
    const vi = mu * load<f32>(v + o) + load<f32>(g + o) + wd * wi;
    store<f32>(v + o, vi);
    store<f32>(w + o, wi - lr * vi);
  }
}

/**
 * Adam with L2 weight decay folded into the gradient (g' = g + wd w):
 * m = b1 m + (1 - b1) g'; v = b2 v + (1 - b2) g'^2; w -= lr (m / bc1) / (sqrt(v / bc2) + eps),
 * bc1 = 1 - b1^t and bc2 = 1 - b2^t passed in by the caller for step t.
 */
export function adamStep(w: usize, g: usize, m: usize, v: usize, n: i32, lr: f32, b1: f32, b2: f32, eps: f32,
                         wd: f32, bc1: f32, bc2: f32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const wi = load<f32>(w + o);
    const gi = load<f32>(g + o) + wd * wi;
    const mi = b1 * load<f32>(m + o) + (1 - b1) * gi;
    const vi = b2 * load<f32>(v + o) + (1 - b2) * gi * gi;
    store<f32>(m + o, mi);
    store<f32>(v + o, vi);
    store<f32>(w + o, wi - lr * (mi / bc1) / (Mathf.sqrt(vi / bc2) + eps));
  }
}

/** BCGD blending: wf = (1 - rho) wf + rho wq. */
export function blend(wf: usize, wq: usize, n: i32, rho: f32): void {
  const a = f32x4.splat(1 - rho), b = f32x4.splat(rho);
  const n4 = n & ~3;
  for (let i = 0; i < n4; i += 4) {
    const o = <usize>i << 2;
    v128.store(wf + o, f32x4.add(f32x4.mul(a, v128.load(wf + o)), f32x4.mul(b, v128.load(wq + o))));
  }
  for (let i = n4; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(wf + o, (1 - rho) * load<f32>(wf + o) + rho * load<f32>(wq + o));
  }
}

/** BinaryRelax's relaxed weights: out = (lambda wq + wf) / (lambda + 1). */
export function relax(wf: usize, wq: usize, out: usize, n: i32, lambda: f32): void {
  const inv: f32 = <f32>1 / (lambda + <f32>1);
  const a = f32x4.splat(lambda * inv), b = f32x4.splat(inv);
  const n4 = n & ~3;
  for (let i = 0; i < n4; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, f32x4.add(f32x4.mul(a, v128.load(wq + o)), f32x4.mul(b, v128.load(wf + o))));
  }
  for (let i = n4; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, lambda * inv * load<f32>(wq + o) + inv * load<f32>(wf + o));
  }
}
