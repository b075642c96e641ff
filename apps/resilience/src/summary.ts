// The suite's summary table. Each test file appends its rows to one file (named by the global
// setup); the global teardown prints them all once the run ends.
import { appendFileSync, existsSync, readFileSync } from 'node:fs';

export interface Row {
  scenario: string;
  load: string;
  faults: string;
  requests: number;
  failures: number;
  /** Lost or duplicated items (orders, messages, rows); any non-zero fails the suite. */
  lostOrDuplicated: number;
}

export function record(file: string, row: Row): void {
  appendFileSync(file, `${JSON.stringify(row)}\n`);
  console.log(`[resilience] ${row.scenario}: ${row.requests} requests, ${row.failures} failures, ${row.lostOrDuplicated} lost/duplicated`);
}

export function table(file: string): string {
  if (!existsSync(file)) return '(no scenario recorded a result)';
  const rows: Row[] = readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
  const head = ['scenario', 'load', 'faults injected', 'requests', 'failures', 'lost/duplicated'];
  const cells = rows.map((r) => [r.scenario, r.load, r.faults, String(r.requests), String(r.failures), String(r.lostOrDuplicated)]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]?.length ?? 0)));
  const line = (c: string[]) => `| ${c.map((v, i) => v.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.map(line)].join('\n');
}
