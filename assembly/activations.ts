// Activations and loss for training, with the coarse (straight-through) gradients of
// docs/algorithms.md, section 1.

/**
 * Quantized ReLU with resolution alpha and levels L = 2^bits - 1 (BCGD's code rounds up):
 *   y = 0 for x <= 0; min(ceil(x / alpha), L) * alpha otherwise.
 */
export function qreluForward(x: usize, y: usize, n: i32, alpha: f32, levels: i32): void {
  const L = <f32>levels;
  const vz = f32x4.splat(0), vL = f32x4.splat(L), va = f32x4.splat(alpha);
  const n4 = n & ~3;
  for (let i = 0; i < n4; i += 4) {
    const o = <usize>i << 2;
    // max(., 0) maps x <= 0 to code 0: ceil of a non-positive x / alpha is <= 0
    const code = f32x4.min(f32x4.max(f32x4.ceil(f32x4.div(v128.load(x + o), va)), vz), vL); // divide, as the reference: x * (1 / alpha) can round across a level
    v128.store(y + o, f32x4.mul(code, va));
  }
  for (let i = n4; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, min(max(Mathf.ceil(load<f32>(x + o) / alpha), <f32>0), L) * alpha);
  }
}

/**
 * Coarse backward of qreluForward. In x, the clipped-ReLU straight-through estimator:
 * dx = dy on 0 < x <= L alpha, else 0. In alpha, returns sum dy * d sigma / d alpha with the
 * derivative replaced by 0 (x <= 0), `inside` (0 < x <= L alpha), L (x > L alpha): inside =
 * 2^(bits-1) is the paper's 3-valued form, inside = 0 the 2-valued (PACT) one.
 */
export function qreluBackward(x: usize, dy: usize, dx: usize, n: i32, alpha: f32, levels: i32, inside: f32): f32 {
  const top = <f32>levels * alpha;
  const vz = f32x4.splat(0), vt = f32x4.splat(top);
  let sIn = f32x4.splat(0), sOut = f32x4.splat(0); // sums of dy inside / above, per lane
  const n4 = n & ~3;
  for (let i = 0; i < n4; i += 4) {
    const o = <usize>i << 2;
    const v = v128.load(x + o), g = v128.load(dy + o);
    const above = f32x4.gt(v, vt);
    const inMask = v128.andnot(f32x4.gt(v, vz), above);
    v128.store(dx + o, v128.and(g, inMask));
    sIn = f32x4.add(sIn, v128.and(g, inMask));
    sOut = f32x4.add(sOut, v128.and(g, above));
  }
  let tin = <f64>f32x4.extract_lane(sIn, 0) + <f64>f32x4.extract_lane(sIn, 1) + <f64>f32x4.extract_lane(sIn, 2) + <f64>f32x4.extract_lane(sIn, 3);
  let tout = <f64>f32x4.extract_lane(sOut, 0) + <f64>f32x4.extract_lane(sOut, 1) + <f64>f32x4.extract_lane(sOut, 2) + <f64>f32x4.extract_lane(sOut, 3);
  for (let i = n4; i < n; i++) {
    const o = <usize>i << 2;
    const v = load<f32>(x + o), g = load<f32>(dy + o);
    if (v <= 0) {
      store<f32>(dx + o, 0);
    } else if (v <= top) {
      store<f32>(dx + o, g);
      tin += <f64>g;
    } else {
      store<f32>(dx + o, 0);
      tout += <f64>g;
    }
  }
  return <f32>(tin * <f64>inside + tout * <f64>levels);
}

/** Sign activation: +1 for x >= 0, -1 otherwise (the binary layers' convention). */
export function signForward(x: usize, y: usize, n: i32): void {
  const z = f32x4.splat(0), one = f32x4.splat(1), minus = f32x4.splat(-1);
  const n4 = n & ~3;
  for (let i = 0; i < n4; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, v128.bitselect(one, minus, f32x4.ge(v128.load(x + o), z)));
  }
  for (let i = n4; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, load<f32>(x + o) >= 0 ? 1 : -1);
  }
}

/** Clipped straight-through gradient of sign: dx = dy for |x| <= 1, else 0. */
export function signBackward(x: usize, dy: usize, dx: usize, n: i32): void {
  const one = f32x4.splat(1);
  const n4 = n & ~3;
  for (let i = 0; i < n4; i += 4) {
    const o = <usize>i << 2;
    v128.store(dx + o, v128.and(v128.load(dy + o), f32x4.le(f32x4.abs(v128.load(x + o)), one)));
  }
  for (let i = n4; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dx + o, Mathf.abs(load<f32>(x + o)) <= 1 ? load<f32>(dy + o) : 0);
  }
}

/**
 * Softmax cross-entropy over `rows` rows of `classes` logits with u8 labels: returns the mean loss
 * and writes d loss / d logits = (softmax - onehot) / rows to grad. Max-subtracted for stability.
 * A label >= classes counts as no class (the caller validates labels).
 */
export function softmaxCrossEntropy(logits: usize, labels: usize, rows: i32, classes: i32, grad: usize): f32 {
  let loss: f64 = 0;
  const inv = <f32>1 / <f32>rows;
  for (let r = 0; r < rows; r++) {
    const z = logits + (<usize>r * <usize>classes << 2), gz = grad + (<usize>r * <usize>classes << 2);
    let mx = load<f32>(z);
    for (let c = 1; c < classes; c++) mx = max(mx, load<f32>(z + (<usize>c << 2)));
    let sum: f32 = 0;
    for (let c = 0; c < classes; c++) {
      const e = Mathf.exp(load<f32>(z + (<usize>c << 2)) - mx);
      store<f32>(gz + (<usize>c << 2), e);
      sum += e;
    }
    const label = <i32>load<u8>(labels + <usize>r);
    for (let c = 0; c < classes; c++) {
      const p = load<f32>(gz + (<usize>c << 2)) / sum;
      store<f32>(gz + (<usize>c << 2), (p - (c == label ? <f32>1 : <f32>0)) * inv);
    }
    loss += <f64>(Mathf.log(sum) + mx - load<f32>(z + (<usize>label << 2)));
  }
  return <f32>(loss / <f64>rows);
}

/** ReLU: y = max(x, 0). */
export function reluForward(x: usize, y: usize, n: i32): void {
  const z = f32x4.splat(0);
  const n4 = n & ~3;
  for (let i = 0; i < n4; i += 4) v128.store(y + (<usize>i << 2), f32x4.max(v128.load(x + (<usize>i << 2)), z));
  for (let i = n4; i < n; i++) store<f32>(y + (<usize>i << 2), max(load<f32>(x + (<usize>i << 2)), <f32>0));
}

/** ReLU backward: dx = dy where x > 0, else 0. */
export function reluBackward(x: usize, dy: usize, dx: usize, n: i32): void {
  const z = f32x4.splat(0);
  const n4 = n & ~3;
  for (let i = 0; i < n4; i += 4) {
    const o = <usize>i << 2;
    v128.store(dx + o, v128.and(v128.load(dy + o), f32x4.gt(v128.load(x + o), z)));
  }
  for (let i = n4; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dx + o, load<f32>(x + o) > 0 ? load<f32>(dy + o) : 0);
  }
}

/** y[r][c] += b[c] over `rows` rows of `cols`. */
export function addBias(y: usize, rows: i32, cols: i32, b: usize): void {
  for (let r = 0; r < rows; r++) {
    const p = y + (<usize>r * <usize>cols << 2);
    for (let c = 0; c < cols; c++) store<f32>(p + (<usize>c << 2), load<f32>(p + (<usize>c << 2)) + load<f32>(b + (<usize>c << 2)));
  }
}

/** out[c] = sum over rows of a[r][c] (bias gradients). */
export function columnSums(a: usize, rows: i32, cols: i32, out: usize): void {
  memory.fill(out, 0, <usize>cols << 2);
  for (let r = 0; r < rows; r++) {
    const p = a + (<usize>r * <usize>cols << 2);
    for (let c = 0; c < cols; c++) store<f32>(out + (<usize>c << 2), load<f32>(out + (<usize>c << 2)) + load<f32>(p + (<usize>c << 2)));
  }
}

/** dst = src * scale + offset for n bytes (u8 pixels -> f32 inputs). */
export function bytesToF32(src: usize, n: i32, scale: f32, offset: f32, dst: usize): void {
  for (let i = 0; i < n; i++) store<f32>(dst + (<usize>i << 2), <f32>load<u8>(src + <usize>i) * scale + offset);
}
