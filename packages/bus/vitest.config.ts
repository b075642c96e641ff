import { defineConfig } from 'vitest/config';

export default defineConfig({
  // REDIS_URL, else a private redis-server for the run.
  test: { globalSetup: ['@shop/proc/redis-global-setup'] },
});
