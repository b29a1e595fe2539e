// Batch normalization over `rows` positions (N*H*W) of `channels` channels, NHWC rows.

/**
 * Training forward: per channel mean and biased variance over the rows, xhat = (x - mean) * invStd,
 * y = gamma xhat + beta; writes mean and invStd = 1 / sqrt(var + eps) for the backward pass.
 * With `useStats` != 0 the given mean / invStd are used instead (inference, running statistics).
 */
export function batchNormForward(x: usize, rows: i32, channels: i32, gamma: usize, beta: usize, eps: f32,
                                 useStats: i32, mean: usize, invStd: usize, y: usize): void {
  const rowBytes = <usize>channels << 2;
  if (!useStats) {
    memory.fill(mean, 0, rowBytes);
    memory.fill(invStd, 0, rowBytes); // holds sums of squares first
    for (let r = 0; r < rows; r++) {
      const p = x + <usize>r * rowBytes;
      for (let c = 0; c < channels; c++) {
        const o = <usize>c << 2;
        const v = load<f32>(p + o);
        store<f32>(mean + o, load<f32>(mean + o) + v);
      }
    }
    const inv = <f32>1 / <f32>rows;
    for (let c = 0; c < channels; c++) store<f32>(mean + (<usize>c << 2), load<f32>(mean + (<usize>c << 2)) * inv);
    for (let r = 0; r < rows; r++) {
      const p = x + <usize>r * rowBytes;
      for (let c = 0; c < channels; c++) {
        const o = <usize>c << 2;
        const d = load<f32>(p + o) - load<f32>(mean + o);
        store<f32>(invStd + o, load<f32>(invStd + o) + d * d);
      }
    }
    for (let c = 0; c < channels; c++) {
      const o = <usize>c << 2;
      store<f32>(invStd + o, <f32>1 / Mathf.sqrt(load<f32>(invStd + o) * inv + eps));
    }
  }
  for (let r = 0; r < rows; r++) {
    const p = x + <usize>r * rowBytes, q = y + <usize>r * rowBytes;
    for (let c = 0; c < channels; c++) {
      const o = <usize>c << 2;
      const xh = (load<f32>(p + o) - load<f32>(mean + o)) * load<f32>(invStd + o);
      store<f32>(q + o, load<f32>(gamma + o) * xh + load<f32>(beta + o));
    }
  }
}

/**
 * Backward of the training forward: dgamma = sum dy xhat, dbeta = sum dy,
 * dx = gamma invStd / M (M dy - dbeta - xhat dgamma), M = rows.
 */
export function batchNormBackward(x: usize, dy: usize, rows: i32, channels: i32, gamma: usize, mean: usize, invStd: usize,
                                  dx: usize, dgamma: usize, dbeta: usize): void {
  const rowBytes = <usize>channels << 2;
  memory.fill(dgamma, 0, rowBytes);
  memory.fill(dbeta, 0, rowBytes);
  for (let r = 0; r < rows; r++) {
    const p = x + <usize>r * rowBytes, g = dy + <usize>r * rowBytes;
    for (let c = 0; c < channels; c++) {
      const o = <usize>c << 2;
      const xh = (load<f32>(p + o) - load<f32>(mean + o)) * load<f32>(invStd + o);
      const d = load<f32>(g + o);
      store<f32>(dgamma + o, load<f32>(dgamma + o) + d * xh);
      store<f32>(dbeta + o, load<f32>(dbeta + o) + d);
    }
  }
  const M = <f32>rows;
  for (let r = 0; r < rows; r++) {
    const p = x + <usize>r * rowBytes, g = dy + <usize>r * rowBytes, q = dx + <usize>r * rowBytes;
    for (let c = 0; c < channels; c++) {
      const o = <usize>c << 2;
      const is = load<f32>(invStd + o);
      const xh = (load<f32>(p + o) - load<f32>(mean + o)) * is;
      store<f32>(q + o, load<f32>(gamma + o) * is / M * (M * load<f32>(g + o) - load<f32>(dbeta + o) - xh * load<f32>(dgamma + o)));
    }
  }
}
