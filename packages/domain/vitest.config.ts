import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Starts (or finds) the PostgreSQL server; each test file then creates its own database.
    globalSetup: ['@shop/db/testing/global-setup'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
