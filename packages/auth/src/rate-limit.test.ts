import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createRateLimiter } from './rate-limit.ts';

// REDIS_URL, or the run's own redis-server (vitest.config.ts).
const REDIS_URL = process.env.REDIS_URL as string;
const clients: Redis[] = [];
const redis = (url = REDIS_URL) => {
  const client = new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: false });
  client.on('error', () => {});
  clients.push(client);
  return client;
};
afterAll(() => {
  for (const c of clients) c.disconnect();
});
const ready = (client: Redis) =>
  new Promise<void>((resolve) => (client.status === 'ready' ? resolve() : client.once('ready', () => resolve())));

describe('rate limiter', () => {
  it('allows the window’s points, then refuses with the time to wait', async () => {
    const limiter = createRateLimiter({ name: `mem-${randomUUID()}`, points: 3, windowS: 60 });
    for (let i = 0; i < 3; i++) expect((await limiter.consume('k')).allowed).toBe(true);
    const refused = await limiter.consume('k');
    expect(refused.allowed).toBe(false);
    expect(refused.retryAfterMs).toBeGreaterThan(0);
    expect((await limiter.isBlocked('k')).blocked).toBe(true);
    expect((await limiter.isBlocked('other')).blocked).toBe(false);
    await limiter.reset('k');
    expect((await limiter.isBlocked('k')).blocked).toBe(false);
  });

  it('gives an attempt back on reward, so a refused key is allowed again', async () => {
    const limiter = createRateLimiter({ name: `reward-${randomUUID()}`, points: 2, windowS: 60 });
    await limiter.consume('k');
    await limiter.consume('k');
    expect((await limiter.isBlocked('k')).blocked).toBe(true);
    await limiter.reward('k');
    expect((await limiter.isBlocked('k')).blocked).toBe(false);
    expect((await limiter.consume('k')).allowed).toBe(true);
  });

  it('shares one count between instances through Redis', async () => {
    const name = `shared-${randomUUID()}`;
    const [a, b] = [redis(), redis()];
    await Promise.all([ready(a), ready(b)]);
    // Two limiters with their own connections stand for two server processes.
    const instanceA = createRateLimiter({ name, points: 4, windowS: 60 }, a);
    const instanceB = createRateLimiter({ name, points: 4, windowS: 60 }, b);
    await instanceA.consume('user@example.test');
    await instanceB.consume('user@example.test');
    await instanceA.consume('user@example.test');
    await instanceB.consume('user@example.test');
    expect((await instanceA.consume('user@example.test')).allowed).toBe(false);
    expect((await instanceB.isBlocked('user@example.test')).blocked).toBe(true);
  });

  it('keeps limiting inside the process when Redis is unreachable', async () => {
    const down = redis('redis://127.0.0.1:1');
    const limiter = createRateLimiter({ name: `down-${randomUUID()}`, points: 2, windowS: 60 }, down);
    expect((await limiter.consume('k')).allowed).toBe(true);
    expect((await limiter.consume('k')).allowed).toBe(true);
    expect((await limiter.consume('k')).allowed).toBe(false);
  });
});
