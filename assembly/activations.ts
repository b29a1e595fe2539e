// Activations and loss for training, with the coarse (straight-through) gradients of
// ../shared/algorithms.md sections 1 and 6.

/**
 * Quantized ReLU with resolution alpha and levels L = 2^bits - 1 (BCGD's code rounds up):
 *   y = 0 for x <= 0; min(ceil(x / alpha), L) * alpha otherwise.
 */
export function qreluForward(x: usize, y: usize, n: i32, alpha: f32, levels: i32): void {
  const L = <f32>levels;
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const v = load<f32>(x + o);
    store<f32>(y + o, v > 0 ? min(Mathf.ceil(v / alpha), L) * alpha : 0);
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
  let da: f64 = 0;
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const v = load<f32>(x + o), g = load<f32>(dy + o);
    if (v <= 0) {
      store<f32>(dx + o, 0);
    } else if (v <= top) {
      store<f32>(dx + o, g);
      da += <f64>(g * inside);
    } else {
      store<f32>(dx + o, 0);
      da += <f64>(g * <f32>levels);
    }
  }
  return <f32>da;
}

/** Sign activation: +1 for x >= 0, -1 otherwise (the binary layers' convention). */
export function signForward(x: usize, y: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, load<f32>(x + o) >= 0 ? 1 : -1);
  }
}

/** Clipped straight-through gradient of sign: dx = dy for |x| <= 1, else 0. */
export function signBackward(x: usize, dy: usize, dx: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
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
