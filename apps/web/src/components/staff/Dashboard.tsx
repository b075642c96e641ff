import { LOW_STOCK_THRESHOLD, type StaffStats } from '@shop/schemas';
import { useQuery } from '@tanstack/react-query';
import { useSubscription } from '@trpc/tanstack-react-query';
import { formatPrice } from '../../lib/format.ts';
import { useTRPC } from '../../lib/trpc.ts';
import { OptionsLabel } from '../OptionsLabel.tsx';
import { OrdersChart } from './OrdersChart.tsx';

const timeFormat = new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' });

/**
 * The shop's day, live: the server sends the figures at once and again after each change (at
 * most one update a second), the same on every instance. Kept on screen while the socket reconnects.
 */
export function Dashboard() {
  const trpc = useTRPC();
  const live = useSubscription(trpc.admin.stats.onUpdate.subscriptionOptions());
  // The shop's one currency, from the cart every page has loaded already.
  const currency = useQuery(trpc.cart.get.queryOptions()).data?.currency ?? 'EUR';
  const stats = live.data;
  return (
    <section className="staff-section dashboard" aria-labelledby="staff-dashboard">
      <h2 id="staff-dashboard">Today</h2>
      {live.status === 'error' && (
        <div role="alert" className="error">
          <p>Live figures unavailable: {live.error.message}</p>
          <button type="button" onClick={() => live.reset()}>
            Try again
          </button>
        </div>
      )}
      {stats ? (
        <Figures stats={stats} currency={currency} reconnecting={live.status === 'connecting'} />
      ) : (
        live.status !== 'error' && (
          <div className="card-skeleton" role="status" aria-busy="true" aria-label="Loading the figures">
            <span className="skeleton-line" />
            <span className="skeleton-line short" />
          </div>
        )
      )}
    </section>
  );
}

function Figures({ stats, currency, reconnecting }: { stats: StaffStats; currency: string; reconnecting: boolean }) {
  return (
    <>
      <dl className="figures">
        <div>
          <dt>Orders today</dt>
          <dd>{stats.ordersToday}</dd>
        </div>
        <div>
          <dt>Revenue today</dt>
          <dd>{formatPrice(stats.revenueTodayCents, currency)}</dd>
        </div>
        <div>
          <dt>Shoppers online</dt>
          <dd>{stats.shoppersOnline}</dd>
        </div>
      </dl>
      <p className="dashboard-status" aria-live="polite">
        {reconnecting ? 'Reconnecting…' : `Live · updated ${timeFormat.format(new Date(stats.at))}`} (UTC day)
      </p>
      <OrdersChart minutes={stats.ordersPerMinute} />
      <h3 id="low-stock">Low stock (≤ {LOW_STOCK_THRESHOLD})</h3>
      {stats.lowStock.length === 0 ? (
        <p className="status">Nothing is running low.</p>
      ) : (
        <ul className="low-stock" aria-labelledby="low-stock">
          {stats.lowStock.map((item) => (
            <li key={item.variantId}>
              <span>
                {item.name}
                <OptionsLabel options={item.options} />
              </span>
              <span className={item.stock === 0 ? 'sold-out' : undefined}>{item.stock === 0 ? 'sold out' : `${item.stock} left`}</span>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
