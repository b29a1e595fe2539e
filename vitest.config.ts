import { defineConfig } from 'vitest/config';

// The suite runs twice: on Node as it is (the baseline SIMD128 build loads), and with Node's
// relaxed-SIMD flag, where init() loads lowbit-relaxed.wasm, so every kernel tester checks both.
export default defineConfig({
  test: {
    testTimeout: 120_000,
    pool: 'forks',
    setupFiles: ['test/setup.ts'],
    projects: [
      { extends: true, test: { name: 'baseline', include: ['test/**/*.test.ts'], env: { LOWBIT_EXPECT_RELAXED: '0' } } },
      {
        extends: true,
        test: {
          name: 'relaxed',
          include: ['test/**/*.test.ts'],
          // and not the tests that run lowbit in other processes (the CLI, an installed package, Deno,
          // workerd, Chromium): the flag does not reach them, so they would repeat the baseline run
          exclude: ['test/onnx-oracle.test.ts', 'test/idx.test.ts', 'test/core-purity.test.ts', 'test/cli.test.ts', 'test/consumer.test.ts',
            'test/example-browser.test.ts', 'test/example-deno.test.ts', 'test/example-workers.test.ts', 'test/api-docs.test.ts',
            // ONNX import, export and quantization: parser and lowering (their integer kernels run in both builds' kernel tests)
            'test/onnx-import.test.ts', 'test/onnx-errors.test.ts', 'test/onnx-backend.test.ts', 'test/onnx-int8.test.ts', 'test/qonnx-export.test.ts', 'test/ptq.test.ts'],
          execArgv: ['--experimental-wasm-relaxed-simd'],
          env: { LOWBIT_EXPECT_RELAXED: '1' },
        },
      },
    ],
  },
});
