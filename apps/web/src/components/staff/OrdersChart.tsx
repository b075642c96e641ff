import type { OrdersInMinute } from '@shop/schemas';

/** The drawing's own units: the SVG stretches to the figure's width and its CSS height. */
const WIDTH = 600;
const HEIGHT = 100;
const timeFormat = new Intl.DateTimeFormat(undefined, { timeStyle: 'short' });

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;

/**
 * Orders per minute as bars, oldest left, the current minute right: an inline SVG (no chart
 * library in the staff chunk). Screen readers get the summary; each bar's title names its minute.
 * Text stays outside the stretched drawing, so it keeps its size at any width.
 */
export function OrdersChart({ minutes }: { minutes: OrdersInMinute[] }) {
  const total = minutes.reduce((sum, m) => sum + m.count, 0);
  const peak = Math.max(0, ...minutes.map((m) => m.count));
  // At least 1, so an empty hour draws a flat baseline rather than dividing by zero.
  const scale = Math.max(1, peak);
  const slot = WIDTH / Math.max(1, minutes.length);
  const first = minutes[0];
  return (
    <figure className="orders-chart">
      <figcaption>
        Orders per minute, last hour <span className="chart-peak">peak {peak}/min</span>
      </figcaption>
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        preserveAspectRatio="none"
        role="img"
        aria-label={`${plural(total, 'order')} in the last hour, at most ${peak} in one minute`}
      >
        {minutes.map((m, i) => {
          const height = (m.count / scale) * (HEIGHT - 2);
          return (
            <rect key={m.minute} className="bar" x={i * slot + 1} y={HEIGHT - height} width={Math.max(1, slot - 2)} height={height}>
              <title>{`${timeFormat.format(new Date(m.minute))}: ${plural(m.count, 'order')}`}</title>
            </rect>
          );
        })}
        <line className="axis" x1={0} x2={WIDTH} y1={HEIGHT} y2={HEIGHT} vectorEffect="non-scaling-stroke" />
      </svg>
      <div className="chart-axis" aria-hidden="true">
        <span>{first ? timeFormat.format(new Date(first.minute)) : ''}</span>
        <span>now</span>
      </div>
    </figure>
  );
}
