// Prometheus metrics of one instance, served on /metrics (Nginx keeps that path off the internet).
import type { ProcedureObserver } from '@shop/api';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** What a `pg` pool reports: connections open, idle and requests waiting for one. */
export interface PoolCounts {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
}

export interface MetricsOptions {
  /** DB_POOL_MAX, exported as shop_db_pool_max from the start (not exported when not given). */
  poolMax?: number;
}

export interface MetricSources {
  webSockets(): number;
  pool(): Promise<PoolCounts | null>;
}

export interface Metrics {
  registry: Registry;
  /** Fed by packages/api's procedure middleware. */
  observer: ProcedureObserver;
  /** An HTTP response went out; `route` is a small fixed set (trpc, health, ready, …). */
  response(route: string, status: number): void;
  /** The bus handed a message to local subscribers this long after it was published. */
  busDelivery(lagMs: number): void;
  /** Something failed on the server side (bus, uncaught exception); internal procedure errors count too. */
  error(source: string): void;
  /** Gauges read at scrape time; set once the server exists. */
  watch(sources: MetricSources): void;
}

const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export function createMetrics(instance: string, { poolMax }: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  // Outside Prometheus (a curl, a test) the series say which instance they came from; Prometheus's
  // scrape sets `instance` to the address instead, and its prometheus.yml keeps ours as instance_name.
  registry.setDefaultLabels({ instance });
  // Event-loop lag, heap, GC, handles, CPU: Node's own health.
  collectDefaultMetrics({ register: registry });

  const calls = new Counter({
    name: 'shop_trpc_calls_total',
    help: 'tRPC procedure calls by outcome: ok or the tRPC error code',
    labelNames: ['procedure', 'type', 'outcome'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'shop_trpc_call_duration_seconds',
    help: 'tRPC procedure duration (for a subscription: until it starts streaming)',
    labelNames: ['procedure', 'type', 'outcome'],
    buckets: SECONDS,
    registers: [registry],
  });
  const responses = new Counter({
    name: 'shop_http_responses_total',
    help: 'HTTP responses by route and status',
    labelNames: ['route', 'status'],
    registers: [registry],
  });
  const errors = new Counter({
    name: 'shop_errors_total',
    help: 'Server-side failures by source: trpc (internal errors), bus_*, uncaught',
    labelNames: ['source'],
    registers: [registry],
  });
  const subscriptions = new Gauge({
    name: 'shop_subscriptions_active',
    help: 'tRPC subscriptions streaming now',
    labelNames: ['procedure'],
    registers: [registry],
  });
  const chatSent = new Counter({
    name: 'shop_chat_messages_sent_total',
    help: 'Chat messages sent through this instance',
    registers: [registry],
  });
  const busLag = new Histogram({
    name: 'shop_bus_delivery_lag_seconds',
    help: 'Time from publish (on any instance) to delivery to this instance’s subscribers; includes clock skew across hosts',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
    registers: [registry],
  });

  let sources: MetricSources | undefined;
  new Gauge({
    name: 'shop_websockets_open',
    help: 'WebSocket connections open now',
    registers: [registry],
    collect() {
      this.set(sources?.webSockets() ?? 0);
    },
  });
  // NaN while the pool cannot be read: unknown, not an idle pool.
  const pool = async () => (sources ? await sources.pool().catch(() => null) : null);
  new Gauge({
    name: 'shop_db_pool_connections',
    help: 'Database pool connections by state: in_use, idle',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const counts = await pool();
      this.set({ state: 'in_use' }, counts ? counts.totalCount - counts.idleCount : Number.NaN);
      this.set({ state: 'idle' }, counts?.idleCount ?? Number.NaN);
    },
  });
  // The limit beside the count, so an alert can say "90 % of the pool" whatever DB_POOL_MAX is.
  if (poolMax !== undefined)
    new Gauge({
      name: 'shop_db_pool_max',
      help: 'Database pool size limit (DB_POOL_MAX): in_use at this limit makes further queries wait',
      registers: [registry],
    }).set(poolMax);
  new Gauge({
    name: 'shop_db_pool_waiting',
    help: 'Queries waiting for a database pool connection',
    registers: [registry],
    async collect() {
      this.set((await pool())?.waitingCount ?? Number.NaN);
    },
  });

  return {
    registry,
    observer: {
      called({ path, type, durationMs, error }) {
        const labels = { procedure: path, type, outcome: error ?? 'ok' };
        calls.inc(labels);
        duration.observe(labels, durationMs / 1000);
        if (error === 'INTERNAL_SERVER_ERROR') errors.inc({ source: 'trpc' });
        if (path === 'chat.send' && error === null) chatSent.inc();
      },
      streaming(path, delta) {
        subscriptions.inc({ procedure: path }, delta);
      },
    },
    response(route, status) {
      responses.inc({ route, status: String(status) });
    },
    busDelivery(lagMs) {
      busLag.observe(lagMs / 1000);
    },
    error(source) {
      errors.inc({ source });
    },
    watch(next) {
      sources = next;
    },
  };
}
