import { z } from 'zod';
import type { VariantOptions } from './catalog.ts';
import { cursorSchema, pageLimit, storedText } from './common.ts';
import { COUNTRY_CODES } from './countries.ts';

export const ORDER_STATUSES = ['placed', 'shipped', 'delivered', 'cancelled'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/**
 * The order life cycle: only forward, and only a placed order can be cancelled. The server
 * enforces it; the SPA reads the same table to offer only the moves the server will accept.
 */
export const ORDER_TRANSITIONS: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  placed: ['shipped', 'cancelled'],
  shipped: ['delivered'],
  delivered: [],
  cancelled: [],
};

export function nextStatuses(from: OrderStatus): readonly OrderStatus[] {
  return ORDER_TRANSITIONS[from];
}

export function canTransition(from: OrderStatus, to: OrderStatus): boolean {
  return ORDER_TRANSITIONS[from].includes(to);
}

const line = (max: number) => storedText().trim().min(1).max(max);

/** Also validates the SPA's checkout form, field by field. */
export const addressSchema = z.strictObject({
  name: line(80),
  line1: line(120),
  line2: storedText()
    .trim()
    .max(120)
    .optional()
    .transform((v) => v || undefined)
    .optional(),
  city: line(80),
  postalCode: z
    .string()
    .trim()
    .min(2)
    .max(12)
    .regex(/^[A-Za-z0-9][A-Za-z0-9 -]*$/, 'letters, digits, spaces and hyphens only'),
  country: z
    .string()
    .trim()
    .toUpperCase()
    .refine((c) => COUNTRY_CODES.has(c), 'an ISO 3166-1 alpha-2 country code, such as DE'),
});
export type Address = z.infer<typeof addressSchema>;

export const placeOrderInput = z.strictObject({
  idempotencyKey: z.uuid(),
  shippingAddress: addressSchema,
});
export type PlaceOrderInput = z.infer<typeof placeOrderInput>;

export const orderIdSchema = z.uuid();

export const ordersListInput = z
  .strictObject({
    cursor: cursorSchema.optional(),
    limit: pageLimit(20),
    direction: z.enum(['forward', 'backward']).optional(),
  })
  .prefault({});
export type OrdersListInput = z.infer<typeof ordersListInput>;

export const orderByIdInput = z.strictObject({ id: orderIdSchema });
export type OrderByIdInput = z.infer<typeof orderByIdInput>;

export interface OrderLine {
  productId: number;
  /** Null once staff removed the variant; its SKU and options stay as ordered. */
  variantId: number | null;
  sku: string;
  options: VariantOptions;
  name: string;
  unitPriceCents: number;
  quantity: number;
  lineTotalCents: number;
}

export interface Order {
  id: string;
  number: number;
  status: OrderStatus;
  /** ISO-8601, UTC. */
  createdAt: string;
  lines: OrderLine[];
  /** The promotion code redeemed by this order, or null. */
  code: string | null;
  subtotalCents: number;
  discountCents: number;
  /** subtotalCents − discountCents. */
  totalCents: number;
  currency: string;
  shippingAddress: Address;
}
