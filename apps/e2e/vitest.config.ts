import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globalSetup: [
      // Starts (or finds) the PostgreSQL server; each test file then creates its own database.
      '@shop/db/testing/global-setup',
      // Builds the SPA from the current source once for all files.
      new URL('./test/global-setup.ts', import.meta.url).pathname,
    ],
    include: ['test/**/*.test.ts'],
    // Each file starts servers and two Chromiums: one file at a time is enough for two cores.
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
