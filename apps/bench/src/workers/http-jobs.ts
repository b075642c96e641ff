// A fixed list of HTTP requests (one per job, e.g. one checkout per shopper) at a bounded
// concurrency and time, from its own process; latency and status counts come back.
import { Histogram } from '../lib/stats.ts';
import { config, run, send } from './ipc.ts';

export interface Job {
  path: string;
  cookie: string;
  body: unknown;
}

export interface HttpJobsConfig {
  url: string;
  jobs: Job[];
  concurrency: number;
  maxSeconds: number;
  label: string;
}

export interface HttpJobsResult {
  done: number;
  statuses: Record<string, number>;
  seconds: number;
  latency: ReturnType<Histogram['toJSON']>;
}

run(async () => {
  const c = await config<HttpJobsConfig>();
  const hist = new Histogram();
  const statuses: Record<string, number> = {};
  const started = performance.now();
  const deadline = started + c.maxSeconds * 1000;
  let next = 0;
  let done = 0;
  const ticker = setInterval(() => {
    const s = (performance.now() - started) / 1000;
    send({ type: 'progress', text: `${c.label}: ${done}/${c.jobs.length} in ${s.toFixed(0)} s (${(done / s).toFixed(0)}/s)` });
  }, 1000);
  async function lane() {
    while (next < c.jobs.length && performance.now() < deadline) {
      const job = c.jobs[next++];
      if (!job) break;
      const t0 = performance.now();
      let status = 'error';
      try {
        const res = await fetch(`${c.url}${job.path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', cookie: job.cookie },
          body: JSON.stringify(job.body),
        });
        await res.arrayBuffer();
        status = String(res.status);
      } catch {}
      hist.record(performance.now() - t0);
      statuses[status] = (statuses[status] ?? 0) + 1;
      done++;
    }
  }
  await Promise.all(Array.from({ length: c.concurrency }, lane));
  clearInterval(ticker);
  return { done, statuses, seconds: (performance.now() - started) / 1000, latency: hist.toJSON() } satisfies HttpJobsResult;
});
