import type { EntityManager } from '@mikro-orm/postgresql';
import type { Address, Order, OrderLine, OrderStatus, VariantOptions } from '@shop/schemas';
import { optionsInOrder } from '../catalog/variants.ts';
import { type Db, sql } from '../sql.ts';

export interface OrderRow {
  id: string;
  /** bigint, which the driver returns as text. */
  number: string;
  status: OrderStatus;
  /** ISO-8601 UTC, printed by PostgreSQL (the driver would return its own text format). */
  created_at: string;
  code: string | null;
  subtotal_cents: number;
  discount_cents: number;
  total_cents: number;
  currency: string;
  shipping_address: Address;
  sort_key: string;
}

/** An order_lines row. */
export interface OrderLineRow {
  order_id: string;
  product_id: number;
  variant_id: number | null;
  sku: string;
  options: VariantOptions;
  name: string;
  unit_price_cents: number;
  quantity: number;
  line_total_cents: number;
}

/** An order's columns from a relation named `o` (orders, or a CTE returning its columns). */
export const ORDER_COLUMNS = `o.id, o.number::text as number, o.status,
  to_char(o.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as created_at,
  o.code, o.subtotal_cents, o.discount_cents, o.total_cents, o.currency, o.shipping_address,
  (extract(epoch from o.created_at) * 1000000)::bigint::text as sort_key`;

/** Orders with their lines: one query for the lines of all of them, whatever their number. */
export async function withLines(db: Db, rows: readonly OrderRow[]): Promise<Order[]> {
  if (rows.length === 0) return [];
  const lineRows = await sql<OrderLineRow>(
    db,
    `select order_id, product_id, variant_id, sku, ${optionsInOrder('l.options', 'l.product_id')} as options, name, unit_price_cents,
            quantity, line_total_cents
     from order_lines l where order_id in (?) order by id`,
    [rows.map((r) => r.id)],
  );
  const linesByOrder = new Map<string, OrderLine[]>();
  for (const l of lineRows) {
    const line = toOrderLine(l);
    const lines = linesByOrder.get(l.order_id);
    if (lines) lines.push(line);
    else linesByOrder.set(l.order_id, [line]);
  }
  return rows.map((r) => toOrder(r, linesByOrder.get(r.id) ?? []));
}

/** An order line from its columns (as stored, or as the checkout is about to store them). */
export function toOrderLine(row: Omit<OrderLineRow, 'order_id'>): OrderLine {
  return {
    productId: row.product_id,
    variantId: row.variant_id,
    sku: row.sku,
    options: row.options,
    name: row.name,
    unitPriceCents: row.unit_price_cents,
    quantity: row.quantity,
    lineTotalCents: row.line_total_cents,
  };
}

export function toOrder(row: OrderRow, lines: OrderLine[]): Order {
  return {
    id: row.id,
    number: Number(row.number),
    status: row.status,
    createdAt: row.created_at,
    lines,
    code: row.code,
    subtotalCents: row.subtotal_cents,
    discountCents: row.discount_cents,
    totalCents: row.total_cents,
    currency: row.currency,
    shippingAddress: row.shipping_address,
  };
}

/** One order, or null; with `userId`, only if that user placed it. */
export async function loadOrder(em: EntityManager, id: string, userId?: string): Promise<Order | null> {
  const rows = await sql<OrderRow>(
    em,
    `select ${ORDER_COLUMNS} from orders o where o.id = ?${userId === undefined ? '' : ' and o.user_id = ?'}`,
    userId === undefined ? [id] : [id, userId],
  );
  const [order] = await withLines(em, rows);
  return order ?? null;
}
