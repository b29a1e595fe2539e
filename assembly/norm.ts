// Batch normalization over `rows` positions (N*H*W) of `channels` channels, NHWC rows.
// Channels go 4 to a v128 lane group; a channel count that is not a multiple of 4 finishes in
// scalar code. Per-channel sums run across rows in f32 lanes (rows <= a few 100k in training).

/**
 * Training forward: per channel mean and biased variance over the rows, xhat = (x - mean) * invStd,
 * y = gamma xhat + beta; writes mean and invStd = 1 / sqrt(var + eps) for the backward pass.
 * With `useStats` != 0 the given mean / invStd are used instead (inference, running statistics).
 */
export function batchNormForward(x: usize, rows: i32, channels: i32, gamma: usize, beta: usize, eps: f32,
                                 useStats: i32, mean: usize, invStd: usize, y: usize): void {
  if (!useStats) {
    const inv = <f32>1 / <f32>rows;
    batchNormSums(x, rows, channels, 0, mean);
    for (let c = 0; c < channels; c++) store<f32>(mean + (<usize>c << 2), load<f32>(mean + (<usize>c << 2)) * inv);
    batchNormSums(x, rows, channels, mean, invStd); // sums of squares first
    for (let c = 0; c < channels; c++) {
      const o = <usize>c << 2;
      store<f32>(invStd + o, <f32>1 / Mathf.sqrt(load<f32>(invStd + o) * inv + eps));
    }
  }
  affineRows(x, rows, channels, gamma, beta, mean, invStd, y);
}

/**
 * Per channel over the rows: out[c] = sum x[r][c] (center 0), or sum (x[r][c] - center[c])^2.
 * (Data-parallel training adds these up across shards before finishing the statistics.)
 */
export function batchNormSums(x: usize, rows: i32, channels: i32, center: usize, out: usize): void {
  const rowBytes = <usize>channels << 2, c4 = channels & ~3;
  memory.fill(out, 0, rowBytes);
  for (let r = 0; r < rows; r++) {
    const p = x + <usize>r * rowBytes;
    if (!center) {
      for (let c = 0; c < c4; c += 4) {
        const o = <usize>c << 2;
        v128.store(out + o, f32x4.add(v128.load(out + o), v128.load(p + o)));
      }
      for (let c = c4; c < channels; c++) {
        const o = <usize>c << 2;
        store<f32>(out + o, load<f32>(out + o) + load<f32>(p + o));
      }
      continue;
    }
    for (let c = 0; c < c4; c += 4) {
      const o = <usize>c << 2;
      const d = f32x4.sub(v128.load(p + o), v128.load(center + o));
      v128.store(out + o, f32x4.add(v128.load(out + o), f32x4.mul(d, d)));
    }
    for (let c = c4; c < channels; c++) {
      const o = <usize>c << 2;
      const d = load<f32>(p + o) - load<f32>(center + o);
      store<f32>(out + o, load<f32>(out + o) + d * d);
    }
  }
}

// y[r][c] = x[r][c] * a[c] + b[c], a = gamma invStd, b = beta - mean a. Rows outer: one pass over
// x; a and b are recomputed per row from L1-resident per-channel vectors (cheaper than the traffic).
function affineRows(x: usize, rows: i32, channels: i32, gamma: usize, beta: usize, mean: usize, invStd: usize, y: usize): void {
  const rowBytes = <usize>channels << 2, c4 = channels & ~3;
  for (let r = 0; r < rows; r++) {
    const p = x + <usize>r * rowBytes, q = y + <usize>r * rowBytes;
    for (let c = 0; c < c4; c += 4) {
      const o = <usize>c << 2;
      const a = f32x4.mul(v128.load(gamma + o), v128.load(invStd + o));
      v128.store(q + o, f32x4.add(f32x4.mul(f32x4.sub(v128.load(p + o), v128.load(mean + o)), a), v128.load(beta + o)));
    }
    for (let c = c4; c < channels; c++) {
      const o = <usize>c << 2;
      store<f32>(q + o, (load<f32>(p + o) - load<f32>(mean + o)) * load<f32>(gamma + o) * load<f32>(invStd + o) + load<f32>(beta + o));
    }
  }
}

/**
 * Backward of the training forward: dgamma = sum dy xhat, dbeta = sum dy,
 * dx = gamma invStd / M (M dy - dbeta - xhat dgamma), M = rows.
 */
export function batchNormBackward(x: usize, dy: usize, rows: i32, channels: i32, gamma: usize, mean: usize, invStd: usize,
                                  dx: usize, dgamma: usize, dbeta: usize): void {
  batchNormBackwardSums(x, dy, rows, channels, mean, invStd, dgamma, dbeta);
  batchNormBackwardDx(x, dy, rows, channels, gamma, mean, invStd, dgamma, dbeta, <f32>1 / <f32>rows, dx);
}

/** The backward pass's per-channel sums over the rows: dgamma = sum dy xhat, dbeta = sum dy. */
export function batchNormBackwardSums(x: usize, dy: usize, rows: i32, channels: i32, mean: usize, invStd: usize, dgamma: usize, dbeta: usize): void {
  const rowBytes = <usize>channels << 2, c4 = channels & ~3;
  memory.fill(dgamma, 0, rowBytes);
  memory.fill(dbeta, 0, rowBytes);
  for (let r = 0; r < rows; r++) {
    const p = x + <usize>r * rowBytes, g = dy + <usize>r * rowBytes;
    for (let c = 0; c < c4; c += 4) {
      const o = <usize>c << 2;
      const xh = f32x4.mul(f32x4.sub(v128.load(p + o), v128.load(mean + o)), v128.load(invStd + o));
      const d = v128.load(g + o);
      v128.store(dgamma + o, f32x4.add(v128.load(dgamma + o), f32x4.mul(d, xh)));
      v128.store(dbeta + o, f32x4.add(v128.load(dbeta + o), d));
    }
    for (let c = c4; c < channels; c++) {
      const o = <usize>c << 2;
      const xh = (load<f32>(p + o) - load<f32>(mean + o)) * load<f32>(invStd + o);
      const d = load<f32>(g + o);
      store<f32>(dgamma + o, load<f32>(dgamma + o) + d * xh);
      store<f32>(dbeta + o, load<f32>(dbeta + o) + d);
    }
  }
}

/**
 * dx = k (dy - dbeta invM - xhat dgamma invM), k = gamma invStd, from the sums of the whole batch
 * (invM = 1 / its rows, which may be more than these rows); rows outer (one pass).
 */
export function batchNormBackwardDx(x: usize, dy: usize, rows: i32, channels: i32, gamma: usize, mean: usize, invStd: usize,
                                    dgamma: usize, dbeta: usize, invM: f32, dx: usize): void {
  const rowBytes = <usize>channels << 2, c4 = channels & ~3;
  const vInvM = f32x4.splat(invM);
  for (let r = 0; r < rows; r++) {
    const p = x + <usize>r * rowBytes, g = dy + <usize>r * rowBytes, q = dx + <usize>r * rowBytes;
    for (let c = 0; c < c4; c += 4) {
      const o = <usize>c << 2;
      const is = v128.load(invStd + o);
      const xh = f32x4.mul(f32x4.sub(v128.load(p + o), v128.load(mean + o)), is);
      const t = f32x4.sub(v128.load(g + o), f32x4.mul(f32x4.add(v128.load(dbeta + o), f32x4.mul(xh, v128.load(dgamma + o))), vInvM));
      v128.store(q + o, f32x4.mul(f32x4.mul(v128.load(gamma + o), is), t));
    }
    for (let c = c4; c < channels; c++) {
      const o = <usize>c << 2;
      const is = load<f32>(invStd + o), xh = (load<f32>(p + o) - load<f32>(mean + o)) * is;
      store<f32>(q + o, load<f32>(gamma + o) * is * (load<f32>(g + o) - (load<f32>(dbeta + o) + xh * load<f32>(dgamma + o)) * invM));
    }
  }
}
