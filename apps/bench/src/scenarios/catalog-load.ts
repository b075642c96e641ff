import type { catalog } from '@shop/domain';
import { spawnTracked, stop, waitForHttp } from '@shop/proc';
import { databaseIdle } from '../lib/db.ts';
import { port } from '../lib/ports.ts';
import { round } from '../lib/stats.ts';
import { startWorker } from '../lib/workers.ts';
import type { AutocannonConfig, AutocannonResult } from '../workers/autocannon.ts';

export const CONNECTIONS = 64;
export const INSTANCES = 3;
/** DB_POOL_MAX's default, set explicitly on the instances and given to each floor process. */
export const POOL_MAX = 10;

export type Shape = catalog.CatalogQueryShape;
export type Headers = Record<string, string>;

/** The GET a browser sends for a shape (tRPC's query encoding, no transformer). */
export const shapePath = ({ input }: Shape): string =>
  input === 'categories' ? '/trpc/catalog.categories' : `/trpc/catalog.list?input=${encodeURIComponent(JSON.stringify(input))}`;

/** Where load goes: a server, the headers every request carries, the database it reads. */
export interface Target {
  url: string;
  database: string;
  headers?: Headers;
}

export async function load({ url, headers }: Target, paths: string[], durationS: number, label: string): Promise<AutocannonResult> {
  const cfg: AutocannonConfig = { url, paths, connections: CONNECTIONS, durationS, label, ...(headers ? { headers } : {}) };
  const worker = startWorker<AutocannonResult>('autocannon', cfg);
  try {
    return await worker.result;
  } finally {
    await worker.stop();
  }
}

/**
 * A short unmeasured run first (JIT, connection pools, PostgreSQL's buffers, Nginx's cache), and
 * before each run the database idle: slow queries of the previous run would still be queued.
 */
export async function measure(target: Target, paths: string[], durationS: number, label: string): Promise<AutocannonResult> {
  await databaseIdle(target.database);
  await load(target, paths, Math.min(2, durationS), `${label} (warm-up)`);
  await databaseIdle(target.database);
  return load(target, paths, durationS, label);
}

export interface ShapeLatency {
  median: number;
  max: number;
  samples: number;
}

/**
 * Each shape alone, one request at a time: what a shape costs without queueing. Up to 20 requests
 * or 3 s a shape, after an unmeasured one.
 */
export async function shapeLatencies({ url, database, headers = {} }: Target, shapes: Shape[]): Promise<ShapeLatency[]> {
  await databaseIdle(database);
  const once = async (path: string) => {
    const t0 = performance.now();
    const res = await fetch(url + path, { headers });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`${url + path} answered ${res.status}`);
    return performance.now() - t0;
  };
  const out: ShapeLatency[] = [];
  for (const shape of shapes) {
    const path = shapePath(shape);
    await once(path);
    const times: number[] = [];
    const until = performance.now() + 3_000;
    while (times.length < 20 && (times.length < 1 || performance.now() < until)) times.push(await once(path));
    times.sort((a, b) => a - b);
    out.push({ median: round(times[Math.floor(times.length / 2)] ?? 0, 1), max: round(times.at(-1) ?? 0, 1), samples: times.length });
  }
  return out;
}

/**
 * Every shape answers 200 on both servers, and with the same data: a shape that fails fast (a 400)
 * or a floor that answers something else would make the comparison meaningless.
 */
export async function sameAnswers(floorUrl: string, shopUrl: string, shapes: Shape[], headers: Headers): Promise<string[]> {
  const differing: string[] = [];
  for (const shape of shapes) {
    const [floor, shop] = await Promise.all(
      [fetch(floorUrl + shapePath(shape)), fetch(shopUrl + shapePath(shape), { headers })].map(async (pending, i) => {
        const res = await pending;
        const text = await res.text();
        if (res.status !== 200) throw new Error(`${i ? 'shop' : 'floor'} answered ${res.status} to "${shape.name}": ${text.slice(0, 300)}`);
        return JSON.stringify((JSON.parse(text) as { result: { data: unknown } }).result.data);
      }),
    );
    if (floor !== shop) differing.push(shape.name);
  }
  return differing;
}

export interface Floor {
  url: string;
  /** processes × database connections each */
  form: string;
  stop(): Promise<void>;
}

/** The floor server (floor.ts) as `processes` processes sharing one port, each with POOL_MAX connections. */
export async function startFloor(databaseUrl: string, processes: number): Promise<Floor> {
  const floorPort = await port();
  const child = spawnTracked(
    process.execPath,
    [new URL('../floor.ts', import.meta.url).pathname, String(floorPort), databaseUrl, String(processes), String(POOL_MAX)],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const url = `http://127.0.0.1:${floorPort}`;
  try {
    await waitForHttp(`${url}/ready`, 'floor server', { child });
  } catch (error) {
    await stop(child);
    throw error;
  }
  return {
    url,
    form: `${processes} × ${POOL_MAX}`,
    stop: async () => {
      await stop(child);
    },
  };
}
