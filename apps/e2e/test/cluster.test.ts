// Issue: the storefront's browser journey passes through Nginx (static files, /trpc proxying,
// WebSocket upgrades) in front of three instances sharing PostgreSQL and Redis.
import { createTestDatabase, type TestDatabase } from '@shop/db/testing';
import { type Cluster, startCluster } from '@shop/nginx';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runJourney } from '../src/journey.ts';
import { E2E_ENV, e2ePorts, type RedisServer, startRedis } from '../src/processes.ts';

let db: TestDatabase | undefined;
let redis: RedisServer | undefined;
let cluster: Cluster | undefined;
const output: string[] = [];

beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'));
  redis = await startRedis();
  const [httpPort, ...instancePorts] = await e2ePorts(4);
  cluster = await startCluster({
    instances: 3,
    httpPort,
    instancePorts,
    databaseUrl: db.url,
    redisUrl: redis.url,
    webDist: inject('webDist'),
    env: E2E_ENV,
    onOutput: (instance, line) => output.push(`${instance}: ${line}`),
  });
});

afterAll(async () => {
  await cluster?.stop();
  await redis?.stop();
  await db?.drop();
});

describe('the storefront in a real browser, through Nginx and three instances', () => {
  it('takes a new shopper from the catalog through checkout to a live chat message', async () => {
    const result = await runJourney(cluster?.url ?? '', { label: 'cluster', log: (line) => console.log(line) }).catch((error) => {
      console.error(`instance output:\n${output.join('\n')}`);
      throw error;
    });
    expect(result.orderNumber).toMatch(/\d/);
    expect(result.problems).toEqual([]);
    expect(result.overflow).toEqual([]);
    // Google's threshold for a good cumulative layout shift; images and skeletons reserve their space.
    for (const shift of Object.values(result.layoutShift)) expect(shift).toBeLessThan(0.1);
    // Nginx spread the API calls: sessions (sealed cookies) and live events (Redis) crossed instances.
    expect(result.instances.length).toBeGreaterThan(1);
  });
});
