import { LOW_STOCK_LIMIT, type LowStockItem, type OrdersInMinute, STATS_MINUTES, type StaffStats } from '@shop/schemas';
import { optionsInOrder } from '../catalog/variants.ts';
import { type Db, sql } from '../sql.ts';

/** The dashboard's day: UTC (one zone for every instance and every viewer). */
export const STATS_TIME_ZONE = 'UTC';

const ISO = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;

/**
 * Every figure in one statement, each part on an index: today's and the last hour's orders on
 * orders_created_idx, the low stock on low_stock_stock_idx (kept by triggers), the sockets on the
 * instances' few presence rows (those whose heartbeat has not expired).
 */
const STATS_SQL = `with bounds as (
    select now() as at, date_trunc('day', now(), ?) as day, date_trunc('minute', now()) - interval '${STATS_MINUTES - 1} minutes' as since
  ),
  today as (
    select count(*)::int as orders, coalesce(sum(o.total_cents), 0)::bigint::text as revenue
    from orders o, bounds b where o.created_at >= b.day and o.status <> 'cancelled'
  ),
  per_minute as (
    select date_trunc('minute', o.created_at) as minute, count(*)::int as n
    from orders o, bounds b where o.created_at >= b.since and o.status <> 'cancelled'
    group by 1
  ),
  low as (
    select l.variant_id, l.product_id, l.stock from low_stock l order by l.stock, l.variant_id limit ${LOW_STOCK_LIMIT}
  )
  select to_char(b.at at time zone 'UTC', ${ISO}) as at, t.orders, t.revenue,
    (select json_agg(json_build_object('minute', to_char(m at time zone 'UTC', ${ISO}), 'count', coalesce(p.n, 0)) order by m)
     from generate_series(b.since, date_trunc('minute', b.at), interval '1 minute') m left join per_minute p on p.minute = m) as per_minute,
    (select coalesce(sum(s.sockets), 0)::int from socket_presence s where s.expires_at > b.at) as online,
    (select coalesce(json_agg(json_build_object('productId', l.product_id, 'variantId', l.variant_id, 'name', pr.name,
       'options', ${optionsInOrder('v.options', 'v.product_id')}, 'stock', l.stock) order by l.stock, l.variant_id), '[]')
     from low l join products pr on pr.id = l.product_id join product_variants v on v.id = l.variant_id) as low
  from bounds b, today t`;

interface StatsRow {
  at: string;
  orders: number;
  /** bigint, which the driver returns as text. */
  revenue: string;
  per_minute: OrdersInMinute[];
  online: number;
  low: LowStockItem[];
}

export async function readStaffStats(db: Db): Promise<StaffStats> {
  const [row] = await sql<StatsRow>(db, STATS_SQL, [STATS_TIME_ZONE]);
  if (!row) throw new Error('the stats statement returned no row');
  return {
    at: row.at,
    ordersToday: row.orders,
    revenueTodayCents: Number(row.revenue),
    ordersPerMinute: row.per_minute,
    shoppersOnline: row.online,
    lowStock: row.low,
  };
}

/** Whether two readings show the same figures (`at` aside). */
export function sameStats(a: StaffStats, b: StaffStats): boolean {
  return JSON.stringify({ ...a, at: '' }) === JSON.stringify({ ...b, at: '' });
}
