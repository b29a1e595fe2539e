/** Class index per row of logits [count][classes]: the first largest. */
export function argmaxRows(z: Float32Array, count: number, classes: number): Int32Array {
  const out = new Int32Array(count);
  for (let i = 0; i < count; i++) { // per image: argmax over the classes
    let best = 0;
    for (let j = 1; j < classes; j++) if (z[i * classes + j] > z[i * classes + best]) best = j;
    out[i] = best;
  }
  return out;
}
