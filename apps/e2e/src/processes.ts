// Builds the SPA and starts a shop server (@shop/proc's kit) and Redis for browser tests, on the
// suite's own ports. Everything started here is stopped by PID.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildWebInto } from '@shop/nginx';
import { freePorts, type PortRange, type RedisServer, type ShopInstance, startRedis as startRedisIn, startShopInstance } from '@shop/proc';

/** The e2e suite's own port range, so it never collides with other servers on the machine. */
export const E2E_PORTS: PortRange = { first: 4100, last: 4199 };

/** `n` distinct free ports of E2E_PORTS. */
export const e2ePorts = (n: number): Promise<number[]> => freePorts(n, E2E_PORTS);

/**
 * Builds the SPA fresh into a folder of its own: the suite tests the current source, and neither
 * races with other builds of apps/web/dist nor replaces the files a running server is serving.
 */
export async function buildWeb(): Promise<string> {
  const outDir = await mkdtemp(join(tmpdir(), 'shop-e2e-web-'));
  await buildWebInto(outDir);
  return outDir;
}

export type { RedisServer };

/** A redis-server of the suite's own (see @shop/proc's startRedis), on a port of E2E_PORTS. */
export const startRedis = (): Promise<RedisServer> => startRedisIn({ ports: E2E_PORTS });

/** What every server of the suite runs with: the test mode, a 200-product catalog, a fixed secret. */
export const E2E_ENV = { NODE_ENV: 'test', SEED_PRODUCTS: '200', SESSION_SECRET: 'e2e-session-secret-0123456789-abcdefghij' };

/** A shop server of the suite; `output()` holds what it printed, for the report when something fails. */
export type ServerProcess = ShopInstance & { output(): string };

/** One shop server serving the SPA, ready when /ready answers 200. */
export async function startServer(options: { databaseUrl: string; redisUrl: string; webDist: string }): Promise<ServerProcess> {
  let output = '';
  const server = await startShopInstance({
    name: 'e2e',
    ports: E2E_PORTS,
    env: { ...E2E_ENV, DATABASE_URL: options.databaseUrl, REDIS_URL: options.redisUrl, WEB_DIST: options.webDist },
    onOutput: (line) => {
      output += `${line}\n`;
    },
    readyTimeoutMs: 30_000,
  });
  return Object.assign(server, { output: () => output });
}
