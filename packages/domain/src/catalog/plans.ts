import { CATEGORIES_QUERY } from './catalog.service.ts';
import { catalogListQuery } from './list-query.ts';
import { catalogQueryShapes } from './query-shapes.ts';

/** Runs one statement with `?` placeholders and returns its rows (an ORM connection, or pg with `$n`). */
export type ExecuteSql = (query: string, params: unknown[]) => Promise<unknown[]>;

export interface ShapePlan {
  name: string;
  /** Median of EXPLAIN ANALYZE's execution time over the repetitions (after one warm-up run). */
  medianMs: number;
  /** The plan's root and every node that reads products, e.g. 'Limit → Index Scan using products_price_idx'. */
  topNode: string;
  /** Rows the plan read from products (returned plus filtered out), summed over its scans. */
  productRowsRead: number;
  /** A sequential scan of products, or scans that read at least half of its rows. */
  scansEveryRow: boolean;
}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  'Rows Removed by Filter'?: number;
  'Rows Removed by Index Recheck'?: number;
  Plans?: PlanNode[];
}

const bitmapIndexes = (node: PlanNode): string[] =>
  (node.Plans ?? []).flatMap((child) => (child['Node Type'] === 'Bitmap Index Scan' ? [child['Index Name'] ?? '?'] : bitmapIndexes(child)));

function describe(node: PlanNode): string {
  if (node['Index Name']) return `${node['Node Type']} using ${node['Index Name']}`;
  if (node['Node Type'] === 'Bitmap Heap Scan') return `Bitmap Heap Scan on ${bitmapIndexes(node).join(' + ')}`;
  return node['Node Type'];
}

function productScans(node: PlanNode, found: PlanNode[] = []): PlanNode[] {
  if (node['Relation Name'] === 'products') found.push(node);
  for (const child of node.Plans ?? []) productScans(child, found);
  return found;
}

const rowsRead = (n: PlanNode) =>
  ((n['Actual Rows'] ?? 0) + (n['Rows Removed by Filter'] ?? 0) + (n['Rows Removed by Index Recheck'] ?? 0)) * (n['Actual Loops'] ?? 1);

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};

/**
 * Runs every catalog query shape under EXPLAIN (ANALYZE, FORMAT JSON) and reports, per shape, its
 * median execution time, its plan's top node and whether it read (about) every product. `size` is
 * the catalog's product count: the shapes' deep cursor depends on it, and so does "every row".
 */
export async function explainCatalogShapes(
  execute: ExecuteSql,
  size: number,
  { repetitions = 5 }: { repetitions?: number } = {},
): Promise<ShapePlan[]> {
  const plans: ShapePlan[] = [];
  for (const shape of catalogQueryShapes(size)) {
    const { query, params } = shape.input === 'categories' ? { query: CATEGORIES_QUERY, params: [] } : catalogListQuery(shape.input);
    const times: number[] = [];
    let root: PlanNode | undefined;
    for (let run = 0; run <= repetitions; run++) {
      const [row] = (await execute(`explain (analyze, format json) ${query}`, params)) as { 'QUERY PLAN': unknown }[];
      const raw = row?.['QUERY PLAN'];
      const [result] = (typeof raw === 'string' ? JSON.parse(raw) : raw) as { Plan: PlanNode; 'Execution Time': number }[];
      if (!result) throw new Error(`no plan for ${shape.name}`);
      if (run > 0) times.push(result['Execution Time']);
      root = result.Plan;
    }
    if (!root) throw new Error(`no plan for ${shape.name}`);
    const scans = productScans(root);
    const read = scans.reduce((sum, n) => sum + rowsRead(n), 0);
    plans.push({
      name: shape.name,
      medianMs: median(times),
      topNode: [describe(root), ...new Set(scans.filter((n) => n !== root).map(describe))].join(' → '),
      productRowsRead: read,
      scansEveryRow: scans.some((n) => n['Node Type'] === 'Seq Scan') || read >= size / 2,
    });
  }
  return plans;
}
