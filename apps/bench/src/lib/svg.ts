// Small hand-written SVG charts: latency by percentile (lines) and grouped bars.
const W = 640;
const H = 320;
const M = { top: 36, right: 16, bottom: 44, left: 64 };
const COLOURS = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2'];

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (n: number) => (n === 0 ? '0' : n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));

function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const step = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * step >= v) return m * step;
  return 10 * step;
}

function frame(title: string, yLabel: string, yMax: number, body: string, xLabels: string[]): string {
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const grid = [0, 0.25, 0.5, 0.75, 1]
    .map((f) => {
      const y = M.top + plotH * (1 - f);
      return `<line x1="${M.left}" x2="${W - M.right}" y1="${y}" y2="${y}" stroke="#e5e7eb"/><text x="${M.left - 6}" y="${y + 4}" text-anchor="end">${fmt(yMax * f)}</text>`;
    })
    .join('');
  const xs = xLabels
    .map(
      (label, i) =>
        `<text x="${M.left + (plotW * (i + 0.5)) / xLabels.length}" y="${H - M.bottom + 16}" text-anchor="middle">${esc(label)}</text>`,
    )
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, sans-serif" font-size="11" fill="#111827">
<rect width="${W}" height="${H}" fill="#fff"/>
<text x="${W / 2}" y="18" text-anchor="middle" font-size="13" font-weight="600">${esc(title)}</text>
<text transform="translate(14 ${M.top + plotH / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>
${grid}${xs}
<line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${M.top + plotH}" stroke="#9ca3af"/>
${body}
</svg>
`;
}

function legend(names: string[]): string {
  return names
    .map((name, i) => {
      const x = M.left + 8 + i * 150;
      return `<rect x="${x}" y="${H - 16}" width="10" height="10" fill="${COLOURS[i % COLOURS.length]}"/><text x="${x + 14}" y="${H - 7}">${esc(name)}</text>`;
    })
    .join('');
}

export interface LatencySeries {
  name: string;
  /** ms at p50, p75, p90, p95?, p99, p99.9 */
  points: Partial<Record<'p50' | 'p75' | 'p90' | 'p95' | 'p99' | 'p999', number>>;
}

const PERCENTILES = [
  ['p50', 'p50'],
  ['p75', 'p75'],
  ['p90', 'p90'],
  ['p95', 'p95'],
  ['p99', 'p99'],
  ['p999', 'p99.9'],
] as const;

/** Latency (ms) against percentile, one line per series. */
export function latencyChart(title: string, series: LatencySeries[]): string {
  const keys = PERCENTILES.filter(([k]) => series.some((s) => Number.isFinite(s.points[k])));
  const yMax = niceMax(Math.max(...series.flatMap((s) => keys.map(([k]) => s.points[k] ?? 0))));
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const lines = series
    .map((s, i) => {
      const pts = keys
        .map(([k], j) => [j, s.points[k]] as const)
        .filter((p): p is readonly [number, number] => Number.isFinite(p[1]))
        .map(([j, v]) => [M.left + (plotW * (j + 0.5)) / keys.length, M.top + plotH * (1 - v / yMax)] as const);
      const colour = COLOURS[i % COLOURS.length];
      return `<polyline fill="none" stroke="${colour}" stroke-width="2" points="${pts.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' ')}"/>${pts
        .map(([x, y]) => `<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="3" fill="${colour}"/>`)
        .join('')}`;
    })
    .join('');
  return frame(
    title,
    'latency (ms)',
    yMax,
    lines + legend(series.map((s) => s.name)),
    keys.map(([, label]) => label),
  );
}

/** Grouped bars: one group per label, one bar per series. */
export function barChart(title: string, yLabel: string, labels: string[], series: { name: string; values: number[] }[]): string {
  const yMax = niceMax(Math.max(...series.flatMap((s) => s.values.filter(Number.isFinite))));
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const groupW = plotW / labels.length;
  const barW = (groupW * 0.7) / series.length;
  const bars = labels
    .map((_, g) =>
      series
        .map((s, i) => {
          const v = s.values[g] ?? 0;
          const h = Number.isFinite(v) ? (plotH * v) / yMax : 0;
          const x = M.left + g * groupW + groupW * 0.15 + i * barW;
          return `<rect x="${x.toFixed(1)}" y="${(M.top + plotH - h).toFixed(1)}" width="${(barW - 2).toFixed(1)}" height="${h.toFixed(1)}" fill="${COLOURS[i % COLOURS.length]}"/><text x="${(x + barW / 2).toFixed(1)}" y="${(M.top + plotH - h - 3).toFixed(1)}" text-anchor="middle" font-size="9">${fmt(v)}</text>`;
        })
        .join(''),
    )
    .join('');
  return frame(title, yLabel, yMax, bars + legend(series.map((s) => s.name)), labels);
}
