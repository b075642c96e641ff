import { defineEntity, p } from '@mikro-orm/core';
import { type Address, ORDER_STATUSES } from '@shop/schemas';
import { Product, ProductVariant } from './catalog.ts';
import { Promotion } from './promotion.ts';
import { User } from './user.ts';

const OrderSchema = defineEntity({
  name: 'Order',
  tableName: 'orders',
  properties: {
    id: p.uuid().primary().defaultRaw('gen_random_uuid()'),
    // Human-facing order number, from its own sequence so it never reveals or reuses ids.
    // (The schema differ misreads sequence defaults on bigint columns, hence ignoreSchemaChanges.)
    number: p
      .bigint('number')
      .defaultRaw("nextval('order_number_seq'::regclass)")
      .ignoreSchemaChanges('default')
      .unique('orders_number_unique'),
    user: () => p.manyToOne(User).deleteRule('restrict'),
    status: p.enum([...ORDER_STATUSES]).default('placed'),
    // The code redeemed (a use that a cancellation gives back) and its spelling at the time.
    promotion: () => p.manyToOne(Promotion).nullable().deleteRule('restrict'),
    code: p.string().length(32).nullable(),
    subtotalCents: p.integer().check('subtotal_cents >= 0'),
    discountCents: p.integer().default(0).check('discount_cents >= 0'),
    totalCents: p.integer().check('total_cents >= 0'),
    currency: p.string().length(3),
    shippingAddress: p.json<Address>(),
    idempotencyKey: p.uuid(),
    // Hash of the cart the key was first used with: the same key with another cart is refused.
    cartFingerprint: p.string().length(64),
    createdAt: p.datetime().defaultRaw('now()'),
    updatedAt: p.datetime().defaultRaw('now()'),
    lines: () => p.oneToMany(OrderLine).mappedBy('order'),
  },
  uniques: [{ name: 'orders_user_idempotency_unique', properties: ['user', 'idempotencyKey'] }],
  checks: [{ name: 'orders_total_check', expression: 'total_cents = subtotal_cents - discount_cents' }],
  indexes: [
    { name: 'orders_user_created_idx', properties: ['user', 'createdAt', 'id'] },
    { name: 'orders_status_created_idx', properties: ['status', 'createdAt', 'id'] },
    // Also the staff dashboard's: today's orders and revenue read from the index alone.
    {
      name: 'orders_created_idx',
      expression: 'create index "orders_created_idx" on "orders" ("created_at", "id") include ("status", "total_cents")',
    },
  ],
});
export class Order extends OrderSchema.class {}
OrderSchema.setClass(Order);

const OrderLineSchema = defineEntity({
  name: 'OrderLine',
  tableName: 'order_lines',
  properties: {
    id: p.integer().primary().autoincrement(),
    order: () => p.manyToOne(Order).deleteRule('cascade'),
    product: () => p.manyToOne(Product).deleteRule('restrict'),
    // Null once staff remove the variant: the line keeps its SKU and options below.
    variant: () => p.manyToOne(ProductVariant).nullable().deleteRule('set null'),
    // Snapshots: what the shopper saw and paid, whatever the catalog says later.
    name: p.string().length(200),
    sku: p.string().length(160),
    options: p.json<Record<string, string>>().default('{}'),
    unitPriceCents: p.integer().check('unit_price_cents >= 0'),
    quantity: p.integer().check('quantity >= 1 and quantity <= 99'),
    lineTotalCents: p.integer().check('line_total_cents >= 0'),
  },
  indexes: [
    { name: 'order_lines_order_idx', properties: ['order'] },
    // Removing a variant finds its lines by index.
    {
      name: 'order_lines_variant_idx',
      expression: 'create index "order_lines_variant_idx" on "order_lines" ("variant_id") where "variant_id" is not null',
    },
  ],
});
export class OrderLine extends OrderLineSchema.class {}
OrderLineSchema.setClass(OrderLine);

/** One status change of an order, numbered per user, for orders.onUpdate to replay on resume. */
const OrderEventSchema = defineEntity({
  name: 'OrderEvent',
  tableName: 'order_events',
  properties: {
    user: () => p.manyToOne(User).primary().deleteRule('cascade'),
    seq: p.bigint('number').primary(),
    order: () => p.manyToOne(Order).deleteRule('cascade'),
    status: p.enum([...ORDER_STATUSES]),
    createdAt: p.datetime().defaultRaw('now()'),
  },
  indexes: [{ name: 'order_events_order_idx', properties: ['order'] }],
});
export class OrderEvent extends OrderEventSchema.class {}
OrderEventSchema.setClass(OrderEvent);
