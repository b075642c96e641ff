import { fileURLToPath } from 'node:url';
import { createTestDatabase, type TestDatabase } from '@shop/db/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runJourney } from '../src/journey.ts';
import { type RedisServer, type ServerProcess, startRedis, startServer } from '../src/processes.ts';

const artifactsDir = fileURLToPath(new URL('../artifacts/', import.meta.url));

let db: TestDatabase | undefined;
let redis: RedisServer | undefined;
let server: ServerProcess | undefined;

beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'));
  redis = await startRedis();
  server = await startServer({ databaseUrl: db.url, redisUrl: redis.url, webDist: inject('webDist') });
});

afterAll(async () => {
  await server?.stop();
  await redis?.stop();
  await db?.drop();
});

describe('the storefront in a real browser, one instance', () => {
  it('takes a new shopper from the catalog through checkout to a live chat message', async () => {
    const result = await runJourney(server?.url ?? '', { artifactsDir, label: 'single', log: (line) => console.log(line) }).catch(
      (error) => {
        console.error(`server output:\n${server?.output()}`);
        throw error;
      },
    );
    expect(result.orderNumber).toMatch(/\d/);
    expect(result.problems).toEqual([]);
    expect(result.overflow).toEqual([]);
    // Google's threshold for a good cumulative layout shift; images and skeletons reserve their space.
    for (const shift of Object.values(result.layoutShift)) expect(shift).toBeLessThan(0.1);
  });
});
