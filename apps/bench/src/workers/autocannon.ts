// HTTP load from its own process: autocannon against one URL, cycling through the given paths.
import autocannon from 'autocannon';
import { config, run, send } from './ipc.ts';

export interface AutocannonConfig {
  url: string;
  paths: string[];
  connections: number;
  durationS: number;
  label: string;
  headers?: Record<string, string>;
}

export interface AutocannonResult {
  /** Successful (2xx) responses per second: a 429 or 502 is not a served page. */
  rps: number;
  /** Every response per second, whatever its status. */
  allRps: number;
  requests: number;
  non2xx: number;
  errors: number;
  latency: { p50: number; p75: number; p90: number; p99: number; p999: number; max: number; mean: number };
}

run(async () => {
  const c = await config<AutocannonConfig>();
  const instance = autocannon({
    url: c.url,
    connections: c.connections,
    duration: c.durationS,
    requests: c.paths.map((path) => ({ method: 'GET', path })),
    ...(c.headers ? { headers: c.headers } : {}),
  });
  let second = 0;
  instance.on('tick', ({ counter }) => {
    second++;
    send({ type: 'progress', text: `${c.label}: ${second}/${c.durationS} s, ${counter} req/s` });
  });
  const r = await instance;
  return {
    rps: r['2xx'] / c.durationS,
    allRps: r.requests.average,
    requests: r.requests.total,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
    latency: {
      p50: r.latency.p50,
      p75: r.latency.p75,
      p90: r.latency.p90,
      p99: r.latency.p99,
      p999: r.latency.p99_9,
      max: r.latency.max,
      mean: r.latency.mean,
    },
  } satisfies AutocannonResult;
});
