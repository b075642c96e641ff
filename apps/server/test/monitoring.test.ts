import { type ChildProcess, execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createTestDatabase, type TestDatabase } from '@shop/db/testing';
import { freePorts, repoRoot, spawnTracked, stop, waitForHttp } from '@shop/proc';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { startInstance, stopAll } from './harness.ts';
import { declaredNames, metricNames } from './promql.ts';

// The monitoring files are checked by Prometheus's own tool and against a real instance's /metrics:
// a rule or panel on a metric nobody exports would stay silent forever.
const run = promisify(execFile);
const monitoring = fileURLToPath(new URL('../deploy/monitoring/', import.meta.url));
const read = (file: string) => readFileSync(join(monitoring, file), 'utf8');

/** Series that come from elsewhere than the instances; alerts.yml and the README name each. */
const EXTERNAL = ['up', 'redis_up', 'redis_memory_used_bytes', 'redis_memory_max_bytes'];

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
}
const rules = (parseYaml(read('alerts.yml')) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules);

interface Target {
  refId: string;
  expr: string;
  datasource: { uid: string };
}
interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource: { uid: string };
  targets: Target[];
}
const dashboard = JSON.parse(read('grafana-dashboard.json')) as {
  uid: string;
  panels: Panel[];
  templating: { list: { name: string; type: string; definition?: string }[] };
};
/** Grafana's reference to the dashboard's data source variable. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, meant literally
const DATASOURCE = '${datasource}';
/** A panel's query as Prometheus receives it: Grafana fills in its interval variable first. */
const asPromql = (expr: string) => expr.replaceAll('$__rate_interval', '5m');
const dashboardExprs = dashboard.panels.flatMap((p) => p.targets.map((t) => asPromql(t.expr)));

async function promtool(args: string[]): Promise<string> {
  const result = await run('promtool', args, { cwd: monitoring }).catch(
    (error: NodeJS.ErrnoException & { stdout?: string; stderr?: string }) => {
      if (error.code === 'ENOENT') throw new Error('promtool is not installed: apt-get install prometheus (.ci/run installs it)');
      throw new Error(`promtool ${args.join(' ')} failed:\n${error.stdout ?? ''}${error.stderr ?? ''}`);
    },
  );
  return result.stdout + result.stderr;
}

describe('Prometheus configuration and alert rules', () => {
  it('pass promtool check config and check rules', async () => {
    expect(await promtool(['check', 'config', 'prometheus.yml'])).toMatch(/SUCCESS: 1 rule files found/);
    expect(await promtool(['check', 'rules', 'alerts.yml'])).toContain(`SUCCESS: ${rules.length} rules found`);
  }, 60_000);

  it('fire and stay quiet as alerts.test.yml expects (promtool test rules)', async () => {
    expect(await promtool(['test', 'rules', 'alerts.test.yml'])).toContain('SUCCESS');
    // Every alert has a unit test.
    const tested = read('alerts.test.yml');
    for (const rule of rules) expect(tested, `no test of ${rule.alert}`).toContain(`alertname: ${rule.alert}\n`);
  }, 60_000);

  it('cover what operations asked for: instance down, errors, p99 per procedure, pool, bus lag, Redis down and its memory', () => {
    const byName = new Map(rules.map((r) => [r.alert, metricNames(r.expr)]));
    expect(byName.get('ShopInstanceDown')).toEqual(['up']);
    expect(byName.get('ShopHighErrorRate')).toEqual(['shop_trpc_calls_total']);
    expect(byName.get('ShopSlowProcedure')).toEqual(['shop_trpc_call_duration_seconds_bucket']);
    expect(rules.find((r) => r.alert === 'ShopSlowProcedure')?.expr).toMatch(/sum by \(procedure, le\)/);
    expect(byName.get('ShopDbPoolSaturated')).toEqual(['shop_db_pool_connections', 'shop_db_pool_max']);
    expect(byName.get('ShopDbPoolQueueing')).toEqual(['shop_db_pool_waiting']);
    expect(byName.get('ShopBusDeliveryLag')).toEqual(['shop_bus_delivery_lag_seconds_bucket']);
    expect(byName.get('RedisDown')).toEqual(['redis_up', 'up']);
    expect(byName.get('RedisMemoryHigh')).toEqual(['redis_memory_used_bytes', 'redis_memory_max_bytes']);
  });
});

describe('Grafana dashboard', () => {
  it('is dashboard JSON: unique panel ids, PromQL targets on the chosen data source, on the 24-column grid', () => {
    expect(dashboard.uid).toBeTruthy();
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(dashboard.templating.list.find((v) => v.name === 'datasource')).toMatchObject({ type: 'datasource' });
    for (const panel of dashboard.panels) {
      expect(['stat', 'timeseries'], panel.title).toContain(panel.type);
      expect(panel.gridPos.x + panel.gridPos.w, panel.title).toBeLessThanOrEqual(24);
      expect(panel.datasource.uid, panel.title).toBe(DATASOURCE);
      expect(panel.targets.length, panel.title).toBeGreaterThan(0);
      const refIds = panel.targets.map((t) => t.refId);
      expect(new Set(refIds).size, panel.title).toBe(refIds.length);
      for (const target of panel.targets) expect(target.datasource.uid, panel.title).toBe(DATASOURCE);
    }
    // Panels do not overlap.
    const cells = new Set<string>();
    for (const { gridPos: g, title } of dashboard.panels)
      for (let x = g.x; x < g.x + g.w; x++)
        for (let y = g.y; y < g.y + g.h; y++) {
          expect(cells.has(`${x},${y}`), `${title} overlaps at ${x},${y}`).toBe(false);
          cells.add(`${x},${y}`);
        }
  });

  it('queries valid PromQL (promtool checks every query as a recording rule)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'shop-dashboard-'));
    try {
      const recorded = dashboardExprs.map((expr, i) => ({ record: `dashboard:query_${i}`, expr }));
      await writeFile(join(dir, 'dashboard-rules.yml'), toYaml({ groups: [{ name: 'dashboard', rules: recorded }] }));
      expect(await promtool(['check', 'rules', join(dir, 'dashboard-rules.yml')])).toContain(`SUCCESS: ${recorded.length} rules found`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('metric names in the rules and the dashboard', () => {
  let db: TestDatabase;
  let exposition = '';
  beforeAll(async () => {
    db = await createTestDatabase(inject('pgAdminUrl'));
    const instance = await startInstance('monitoring', { DATABASE_URL: db.url, DB_POOL_MAX: '3', LOG_LEVEL: 'silent' });
    exposition = await (await fetch(`${instance.url}/metrics`)).text();
    await instance.stop('SIGTERM');
  }, 90_000);
  afterAll(async () => {
    await stopAll();
    await db?.drop();
  });

  /** Names used but neither declared on /metrics nor listed as external. */
  const unknown = (exprs: string[]) => {
    const exported = declaredNames(exposition);
    return [...new Set(exprs.flatMap(metricNames))].filter((name) => !exported.has(name) && !EXTERNAL.includes(name));
  };

  it('are read from the expressions (a parse that found nothing would let anything pass)', () => {
    expect(metricNames('sum by (le) (rate(a_bucket{x="1"}[5m])) / ignoring(y) b > 0 or up{job="shop"}')).toEqual(['a_bucket', 'b', 'up']);
    expect(() => metricNames('rate(a[5m]')).toThrow(/syntax error/);
    expect(() => metricNames('{__name__="a"}')).toThrow(/without a metric name/);
    expect(declaredNames(exposition).has('shop_trpc_call_duration_seconds_bucket')).toBe(true);
    // The instance reports its pool limit (DB_POOL_MAX), which the saturation alert divides by.
    expect(exposition).toMatch(/^shop_db_pool_max\{instance="monitoring"\} 3$/m);
  });

  it('of every alert rule are exported by an instance or documented external ones', () => {
    expect(unknown(rules.map((r) => r.expr))).toEqual([]);
  });

  it('of every dashboard query (and its instance variable) are exported by an instance or documented external ones', () => {
    const variables = dashboard.templating.list.flatMap((v) =>
      v.definition ? [/label_values\((\w+),/.exec(v.definition)?.[1] ?? '?'] : [],
    );
    expect(variables).toEqual(['shop_db_pool_max']);
    expect(unknown([...dashboardExprs, ...variables])).toEqual([]);
    // With a sample from the start, not only once something was called: an idle instance is listed.
    for (const name of variables) expect(exposition, name).toMatch(new RegExp(`^${name}\\{`, 'm'));
  });

  it('from outside the instances are documented where an operator reads them', () => {
    const header = read('alerts.yml').split('\ngroups:')[0] ?? '';
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    const used = new Set([...rules.map((r) => r.expr), ...dashboardExprs].flatMap(metricNames));
    for (const name of EXTERNAL) {
      expect(used.has(name), `${name} is listed as external but nothing uses it`).toBe(true);
      expect(header.includes(name), `alerts.yml's header does not name ${name}`).toBe(true);
      expect(readme.includes(`\`${name}\``), `README.md does not name ${name}`).toBe(true);
    }
  });
});

describe('Prometheus with prometheus.yml, scraping a real instance', () => {
  let db: TestDatabase | undefined;
  let dir: string | undefined;
  let prometheus: ChildProcess | undefined;
  afterAll(async () => {
    if (prometheus) await stop(prometheus, 'SIGTERM', 5_000);
    await stopAll();
    await db?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('labels `up` and the shop series with the same instance (its own name kept as instance_name), and raises RedisDown', async () => {
    db = await createTestDatabase(inject('pgAdminUrl'));
    // As the systemd units name it (INSTANCE_NAME=%H:%i): not the address Prometheus scrapes.
    const instance = await startInstance('shop-host:3001', { DATABASE_URL: db.url, DB_POOL_MAX: '3', LOG_LEVEL: 'silent' });
    dir = await mkdtemp(join(tmpdir(), 'shop-prometheus-'));
    // The redis job's port has nothing listening: an exporter that is down.
    const [port, noExporter] = await freePorts(2);
    const config = parseYaml(read('prometheus.yml')) as {
      global: Record<string, string>;
      rule_files: string[];
      scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
    };
    config.global = { scrape_interval: '1s', evaluation_interval: '1s' };
    config.rule_files = config.rule_files.map((file) => join(monitoring, file));
    const targets: Record<string, string> = { shop: `127.0.0.1:${instance.port}`, redis: `127.0.0.1:${noExporter}` };
    for (const job of config.scrape_configs) job.static_configs = [{ targets: [targets[job.job_name] ?? '?'] }];
    await writeFile(join(dir, 'prometheus.yml'), toYaml(config));
    prometheus = spawnTracked(
      'prometheus',
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: 'ignore' },
    );
    const api = `http://127.0.0.1:${port}/api/v1`;
    await waitForHttp(`http://127.0.0.1:${port}/-/ready`, 'prometheus', { child: prometheus, timeoutMs: 30_000 });
    const query = async (promql: string) =>
      ((await (await fetch(`${api}/query?query=${encodeURIComponent(promql)}`)).json()) as { data: { result: { metric: object }[] } }).data
        .result;

    const address = `127.0.0.1:${instance.port}`;
    await expect
      .poll(() => query('up{job="shop"}'), { timeout: 20_000 })
      .toEqual([{ metric: { __name__: 'up', job: 'shop', instance: address }, value: [expect.any(Number), '1'] }]);
    await expect
      .poll(() => query('shop_db_pool_max'), { timeout: 20_000 })
      .toEqual([
        {
          metric: { __name__: 'shop_db_pool_max', job: 'shop', instance: address, instance_name: 'shop-host:3001' },
          value: [expect.any(Number), '3'],
        },
      ]);
    const alerts = async () =>
      ((await (await fetch(`${api}/alerts`)).json()) as { data: { alerts: { labels: Record<string, string>; state: string }[] } }).data
        .alerts;
    // Pending: its `for` (a minute) has not passed yet; evaluated on the series a real scrape made.
    await expect.poll(alerts, { timeout: 20_000 }).toEqual([
      expect.objectContaining({
        labels: { alertname: 'RedisDown', job: 'redis', instance: `127.0.0.1:${noExporter}`, severity: 'critical' },
        state: 'pending',
      }),
    ]);
  }, 90_000);
});
