// Metric names in PromQL, read with Prometheus's own grammar (its Lezer parser), and the names a
// /metrics page declares: what the monitoring test compares.
import { parser } from '@prometheus-io/lezer-promql';

/** The metric names an expression selects; throws on a syntax error or a selector without a name. */
export function metricNames(expr: string): string[] {
  const names = new Set<string>();
  const problems: string[] = [];
  parser.parse(expr).iterate({
    enter(node) {
      if (node.type.isError) problems.push(`syntax error at "${expr.slice(node.from, node.from + 20)}"`);
      if (node.name !== 'VectorSelector') return;
      const identifier = node.node.getChild('Identifier');
      if (identifier) names.add(expr.slice(identifier.from, identifier.to));
      else problems.push(`a selector without a metric name: ${expr.slice(node.from, node.to)}`);
    },
  });
  if (problems.length) throw new Error(`${problems.join('; ')} in: ${expr}`);
  return [...names];
}

/** Series names a Prometheus text page declares (`# TYPE`), with those a histogram or summary adds. */
export function declaredNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const [, name, type] of exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    if (!name) continue;
    names.add(name);
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(name + suffix);
    if (type === 'summary') for (const suffix of ['_sum', '_count']) names.add(name + suffix);
  }
  return names;
}
