// Which binary-weight kernel runs k-bit codes, and the sizes of the lookup-table GEMM's operands
// (assembly/lut.ts).

/**
 * The lookup-table GEMM for 2..4-bit codes: measured 2.5-4x the bit-serial passes (bench/RESULTS.md).
 * 1-bit codes stay one xor-popcount pass; 5+-bit table entries do not fit its byte sums.
 */
export function useLut(bits: number): boolean {
  return bits >= 2 && bits <= 4;
}

/** Bytes of lutPackWeights panels for n weight rows of k. */
export function lutPanelBytes(n: number, k: number): number {
  return Math.ceil(n / 16) * Math.ceil(k / 8) * 32;
}
