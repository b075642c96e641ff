import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Starts (or finds) the PostgreSQL server; each test file then creates its own database.
    globalSetup: [new URL('../packages/db/src/testing/global-setup.ts', import.meta.url).pathname],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
