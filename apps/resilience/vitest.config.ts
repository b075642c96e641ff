import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // PostgreSQL for per-file databases (as in apps/server), then the summary table's file.
    globalSetup: ['@shop/db/testing/global-setup', './src/global-setup.ts'],
    // Scenarios start whole clusters and inject faults: one file at a time on a 2-core machine.
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 120_000,
  },
});
