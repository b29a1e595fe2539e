// Small dense symmetric linear algebra for the SDP trainer (matrices of size d + 1 <= a few
// hundred, row-major Float64Array): eigen-decomposition by cyclic Jacobi rotations, accurate to
// machine precision, which the certified bound and the PSD projection of the sampler rely on.

/** Eigenvalues (ascending) and eigenvectors (columns of `vectors`, row-major n x n) of symmetric `a`. */
export function symmetricEigen(a: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  const m = Float64Array.from(a), v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0, norm = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) { const x = m[i * n + j] ** 2; norm += x; if (i !== j) off += x; }
    if (off <= 1e-30 * Math.max(norm, 1e-300)) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = m[p * n + q];
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (m[q * n + q] - m[p * n + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1), s = t * c;
        for (let k = 0; k < n; k++) { // rotate columns p, q
          const mkp = m[k * n + p], mkq = m[k * n + q];
          m[k * n + p] = c * mkp - s * mkq; m[k * n + q] = s * mkp + c * mkq;
        }
        for (let k = 0; k < n; k++) { // rotate rows p, q
          const mpk = m[p * n + k], mqk = m[q * n + k];
          m[p * n + k] = c * mpk - s * mqk; m[q * n + k] = s * mpk + c * mqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p], vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq; v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => m[i * n + i] - m[j * n + j]);
  const values = Float64Array.from(order, (i) => m[i * n + i]), vectors = new Float64Array(n * n);
  order.forEach((src, dst) => { for (let k = 0; k < n; k++) vectors[k * n + dst] = v[k * n + src]; });
  return { values, vectors };
}

/** The largest eigenvalue of symmetric `a`. */
export function maxEigenvalue(a: Float64Array, n: number): number {
  const { values } = symmetricEigen(a, n);
  return values[n - 1];
}

/**
 * A factor L (n x n, row-major) with L L^T = the projection of symmetric `a` onto the PSD cone
 * (negative eigenvalues set to 0); `clipped` is the most negative eigenvalue removed (0 if none).
 */
export function psdFactor(a: Float64Array, n: number): { factor: Float64Array; clipped: number } {
  const { values, vectors } = symmetricEigen(a, n);
  const f = new Float64Array(n * n);
  let clipped = 0;
  for (let j = 0; j < n; j++) {
    if (values[j] < 0) { clipped = Math.min(clipped, values[j]); continue; }
    const s = Math.sqrt(values[j]);
    for (let i = 0; i < n; i++) f[i * n + j] = vectors[i * n + j] * s;
  }
  return { factor: f, clipped };
}
