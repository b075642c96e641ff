import { Redis, type RedisOptions } from 'ioredis';

export interface SentinelAddress {
  host: string;
  port: number;
}

/**
 * Where Redis is: one server by URL, or whichever server the Sentinels name primary of `name`,
 * followed through failovers. `password` is the servers' AUTH password, for a URL that carries none.
 */
export type RedisConnection =
  | { url: string; password?: string | undefined }
  | { sentinels: SentinelAddress[]; name: string; password?: string | undefined; sentinelPassword?: string | undefined };

/** How long a Sentinel may take to answer which server is primary before the next one is asked. */
const SENTINEL_COMMAND_TIMEOUT_MS = 2_000;

/** A client for `connection` with `options` (every Redis client of the shop is made here). */
export function connectRedis(connection: RedisConnection, options: RedisOptions = {}): Redis {
  const password = connection.password ? { password: connection.password } : {};
  if ('url' in connection) return new Redis(connection.url, { ...options, ...password });
  return new Redis({
    ...options,
    ...password,
    sentinels: connection.sentinels,
    name: connection.name,
    ...(connection.sentinelPassword ? { sentinelPassword: connection.sentinelPassword } : {}),
    sentinelCommandTimeout: SENTINEL_COMMAND_TIMEOUT_MS,
    // Reconnect when a Sentinel announces a new primary (+switch-master). Otherwise a client stays
    // on an old primary that still runs until Sentinel demotes it, 8 s or more later, while new
    // connections reach the new one: pub/sub split in two meanwhile.
    failoverDetector: true,
  });
}

/** For logs: where the connection goes, without its passwords. */
export function describeRedis(connection: RedisConnection): string {
  if (!('url' in connection)) {
    return `primary "${connection.name}" through Sentinels ${connection.sentinels.map((s) => `${s.host}:${s.port}`).join(', ')}`;
  }
  const url = new URL(connection.url);
  url.username = '';
  url.password = '';
  return url.toString();
}
