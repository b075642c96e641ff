// The run's report: JSON for machines, Markdown with SVG charts for people.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface Figure {
  label: string;
  value: number;
  unit: string;
  /** The same-run baseline it is compared with, and what that baseline is. */
  baseline?: { label: string; value: number; unit: string };
  ratio?: number;
  target?: string;
  met?: boolean;
}

export interface Table {
  title: string;
  columns: string[];
  rows: (string | number)[][];
}

export interface ScenarioReport {
  id: string;
  title: string;
  figures: Figure[];
  tables: Table[];
  charts: { name: string; title: string; svg: string }[];
  notes: string[];
  error?: string;
  seconds: number;
}

export interface RunReport {
  startedAt: string;
  quick: boolean;
  durationS: number;
  machine: { cpus: number; load: number[]; node: string; memoryGb: number };
  scenarios: ScenarioReport[];
}

const cell = (v: string | number | undefined) =>
  v === undefined ? '' : typeof v === 'number' ? (Number.isInteger(v) ? v.toLocaleString('en') : String(v)) : v;
const verdict = (f: Figure) => (f.met === undefined ? '' : f.met ? '✅' : '❌');

function table(t: Table): string {
  return [
    `**${t.title}**`,
    '',
    `| ${t.columns.join(' | ')} |`,
    `|${t.columns.map(() => '---').join('|')}|`,
    ...t.rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
    '',
  ].join('\n');
}

export function markdown(run: RunReport): string {
  const out = [
    `# Benchmark report, ${run.startedAt}`,
    '',
    `${run.quick ? 'Quick run' : 'Full run'}, ${run.durationS} s per measurement; ${run.machine.cpus} CPUs, load average ${run.machine.load.map((l) => l.toFixed(2)).join(' / ')} at start, Node ${run.machine.node}.`,
    'Every headline figure is compared with a baseline measured in the same run, on the same machine, so a noisy machine shifts both.',
    '',
    '## Summary',
    '',
    '| scenario | figure | value | baseline (same run) | ratio | target | met |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const s of run.scenarios) {
    if (s.error) out.push(`| ${s.title} | failed: ${s.error.split('\n')[0]} | | | | | ❌ |`);
    for (const f of s.figures) {
      out.push(
        `| ${s.title} | ${f.label} | ${cell(f.value)} ${f.unit} | ${f.baseline ? `${f.baseline.label}: ${cell(f.baseline.value)} ${f.baseline.unit}` : ''} | ${f.ratio !== undefined ? `${f.ratio}×` : ''} | ${f.target ?? ''} | ${verdict(f)} |`,
      );
    }
  }
  out.push('');
  for (const s of run.scenarios) {
    out.push(`## ${s.title}`, '', `_${s.seconds.toFixed(0)} s_`, '');
    if (s.error) out.push('```', s.error, '```', '');
    for (const t of s.tables) out.push(table(t));
    for (const c of s.charts) out.push(`![${c.title}](${c.name})`, '');
    for (const n of s.notes) out.push(`- ${n}`);
    out.push('');
  }
  return out.join('\n');
}

/** Writes results/<stamp>/{report.json,report.md,*.svg} and results/latest.{json,md}. */
export async function writeReport(dir: string, run: RunReport): Promise<string> {
  const stamp = run.startedAt.replace(/[:.]/g, '-');
  const out = join(dir, stamp);
  await mkdir(out, { recursive: true });
  for (const s of run.scenarios) for (const c of s.charts) await writeFile(join(out, c.name), c.svg);
  const json = JSON.stringify(
    { ...run, scenarios: run.scenarios.map(({ charts, ...s }) => ({ ...s, charts: charts.map((c) => c.name) })) },
    null,
    2,
  );
  const md = markdown(run);
  await writeFile(join(out, 'report.json'), json);
  await writeFile(join(out, 'report.md'), md);
  await writeFile(join(dir, 'latest.md'), md.replaceAll('](', `](${stamp}/`));
  await writeFile(join(dir, 'latest.json'), json);
  return out;
}
