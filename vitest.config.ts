import { defineConfig } from 'vitest/config';

// Node 20 runs the suite twice: as it is (the baseline SIMD128 build loads), and with its
// relaxed-SIMD flag, where init() loads lowbit-relaxed.wasm, so every kernel tester checks both.
// Node 22 and later validate relaxed SIMD by default and have no flag to turn it off (npm run
// test:node24): one run, on the relaxed build; the baseline build is the Node 20 run's.
const relaxedByDefault = Number(process.versions.node.split('.')[0]) >= 22;

const baseline = { extends: true, test: { name: 'baseline', include: ['test/**/*.test.ts'], env: { LOWBIT_EXPECT_RELAXED: '0' } } };
const relaxed = {
  extends: true,
  test: {
    name: 'relaxed',
    include: ['test/**/*.test.ts'],
    // and not the tests that run lowbit in other processes (the CLI, an installed package, Deno,
    // workerd, Chromium): the flag does not reach them, so they would repeat the baseline run
    exclude: ['test/onnx-oracle.test.ts', 'test/idx.test.ts', 'test/core-purity.test.ts', 'test/cli.test.ts', 'test/consumer.test.ts',
      'test/example-browser.test.ts', 'test/example-deno.test.ts', 'test/example-workers.test.ts', 'test/api-docs.test.ts',
      // ONNX import, export and quantization: parser and lowering (their integer kernels run in both builds' kernel tests)
      'test/onnx-import.test.ts', 'test/onnx-errors.test.ts', 'test/onnx-backend.test.ts', 'test/onnx-int8.test.ts', 'test/onnx-thresholds.test.ts', 'test/onnx-tensor-ops.test.ts', 'test/qonnx-export.test.ts', 'test/ptq.test.ts'],
    execArgv: ['--experimental-wasm-relaxed-simd'],
    env: { LOWBIT_EXPECT_RELAXED: '1' },
  },
};
const relaxedOnly = { extends: true, test: { name: 'relaxed', include: ['test/**/*.test.ts'], env: { LOWBIT_EXPECT_RELAXED: '1' } } };

export default defineConfig({
  test: {
    testTimeout: 120_000,
    pool: 'forks',
    setupFiles: ['test/setup.ts'],
    projects: relaxedByDefault ? [relaxedOnly] : [baseline, relaxed],
  },
});
