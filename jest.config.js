/** Jest: TypeScript through SWC (type-checking is `npm run build`). middy 6 ships ESM only, so it is transformed too. */
module.exports = {
  testEnvironment: 'node',
  // bench/*.test.ts: the benchmarks' own unit tests, beside what they test (never imported across).
  roots: ['<rootDir>/test', '<rootDir>/bench'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
  transform: {
    '^.+\\.(t|j)s$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!@middy/)'],
  setupFiles: ['<rootDir>/test/setup/polyfills.ts'],
  globalSetup: '<rootDir>/test/setup/global-setup.ts',
  globalTeardown: '<rootDir>/test/setup/global-teardown.ts',
  testTimeout: 60000,
  // At the end of a run each worker is idle, with no handle left but its three pipes, and its
  // 'exit' comes 1 ms after jest's end message; the process then takes 0.4-0.5 s to free a heap of
  // 1.1-1.3 GB on the 2-core machine. Jest's default 500 ms wait then reported a worker that "failed
  // to exit gracefully" in about half the runs (docs/DECISIONS.md, "Test time").
  workerGracefulExitTimeout: 5000,
  reporters: ['default', '<rootDir>/test/setup/summary-reporter.js'],
};
