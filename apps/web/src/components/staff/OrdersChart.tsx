import type { OrdersInMinute } from '@shop/schemas';

const WIDTH = 600;
const HEIGHT = 140;
/** Room under the bars for the time labels. */
const AXIS = 18;
const timeFormat = new Intl.DateTimeFormat(undefined, { timeStyle: 'short' });

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;

/**
 * Orders per minute as bars, oldest left, the current minute right: an inline SVG (no chart
 * library in the staff chunk). Screen readers get the summary; each bar's title names its minute.
 */
export function OrdersChart({ minutes }: { minutes: OrdersInMinute[] }) {
  const total = minutes.reduce((sum, m) => sum + m.count, 0);
  const peak = Math.max(0, ...minutes.map((m) => m.count));
  // At least 1, so an empty hour draws a flat baseline rather than dividing by zero.
  const scale = Math.max(1, peak);
  const slot = WIDTH / Math.max(1, minutes.length);
  const plot = HEIGHT - AXIS;
  const first = minutes[0];
  const summary = `${plural(total, 'order')} in the last hour, at most ${peak} in one minute`;
  return (
    <figure className="orders-chart">
      <figcaption>Orders per minute, last hour</figcaption>
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={summary}>
        <line className="axis" x1={0} x2={WIDTH} y1={plot} y2={plot} />
        {minutes.map((m, i) => {
          const height = (m.count / scale) * (plot - 4);
          return (
            <rect key={m.minute} className="bar" x={i * slot + 1} y={plot - height} width={Math.max(1, slot - 2)} height={height}>
              <title>{`${timeFormat.format(new Date(m.minute))}: ${plural(m.count, 'order')}`}</title>
            </rect>
          );
        })}
        {first && (
          <text className="tick" x={0} y={HEIGHT - 4}>
            {timeFormat.format(new Date(first.minute))}
          </text>
        )}
        <text className="tick" x={WIDTH} y={HEIGHT - 4} textAnchor="end">
          now
        </text>
        <text className="tick" x={WIDTH} y={12} textAnchor="end">
          {`peak ${peak}/min`}
        </text>
      </svg>
    </figure>
  );
}
