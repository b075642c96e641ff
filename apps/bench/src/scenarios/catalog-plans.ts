// The catalog's query-plan check, as a bench step: every named query shape under EXPLAIN ANALYZE on
// a seeded catalog, with its median time and top plan node, flagged when a plan reads every product.
// Run alone: node catalog-plans.ts <databaseUrl> <products>.
import { pgSessionOptions } from '@shop/db';
import { catalog } from '@shop/domain';
import pg from 'pg';
import type { Table } from '../lib/report.ts';

/** Below this many products a sequential scan is the planner's right choice, not a regression. */
export const FULL_SCAN_CHECKED_FROM = 100_000;

export interface CatalogPlanReport {
  table: Table;
  plans: catalog.ShapePlan[];
  /** One line per shape whose plan scans every product (only at FULL_SCAN_CHECKED_FROM and more). */
  problems: string[];
}

export async function catalogPlans(databaseUrl: string, size: number, repetitions = 5): Promise<CatalogPlanReport> {
  // The shop's session settings (packages/db/src/config.ts), as the floor server sets them.
  const client = new pg.Client({
    connectionString: databaseUrl,
    options: pgSessionOptions,
  });
  await client.connect();
  try {
    const execute: catalog.ExecuteSql = async (query, params) => {
      let n = 0;
      return (
        await client.query(
          query.replace(/\?/g, () => `$${++n}`),
          params,
        )
      ).rows;
    };
    const plans = await catalog.explainCatalogShapes(execute, size, { repetitions });
    const problems =
      size >= FULL_SCAN_CHECKED_FROM
        ? plans.filter((p) => p.scansEveryRow).map((p) => `${p.name}: reads ${p.productRowsRead} of ${size} products (${p.topNode})`)
        : [];
    return {
      plans,
      problems,
      table: {
        title: `Catalog query plans, ${size.toLocaleString('en')} products (EXPLAIN ANALYZE, median of ${repetitions})`,
        columns: ['shape', 'median ms', 'top node', 'products read', 'scans every row'],
        rows: plans.map((p) => [p.name, Math.round(p.medianMs * 100) / 100, p.topNode, p.productRowsRead, p.scansEveryRow ? 'yes' : 'no']),
      },
    };
  } finally {
    await client.end();
  }
}

if (import.meta.main) {
  const [url, products] = process.argv.slice(2);
  if (!url || !products) throw new Error('usage: node catalog-plans.ts <databaseUrl> <products>');
  const report = await catalogPlans(url, Number(products));
  for (const p of report.plans)
    console.log(
      `${p.name.padEnd(34)} ${p.medianMs.toFixed(3).padStart(9)} ms  read ${String(p.productRowsRead).padStart(8)}  ${p.scansEveryRow ? 'FULL ' : ''}${p.topNode}`,
    );
  for (const problem of report.problems) console.error(`full scan: ${problem}`);
  if (report.problems.length) process.exitCode = 1;
}
