// Vitest global setup for suites that need a Redis: REDIS_URL's when set, else a private
// redis-server for the run (so nothing needs to be running first), stopped when the run ends.
import { startRedis } from './redis.ts';

export default async function setup(): Promise<(() => Promise<void>) | undefined> {
  if (process.env.REDIS_URL) return undefined;
  const redis = await startRedis();
  // The test workers start after this, with this environment.
  process.env.REDIS_URL = redis.url;
  return async () => {
    delete process.env.REDIS_URL;
    await redis.stop();
  };
}
