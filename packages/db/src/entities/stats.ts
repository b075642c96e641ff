import { defineEntity, p } from '@mikro-orm/core';
import { Product, ProductVariant } from './catalog.ts';

/**
 * Variants at or below the low-stock threshold (5) with their stock, kept by triggers on
 * product_variants: the staff dashboard reads the lowest few from this index instead of scanning
 * the catalog, and no stock column gets an index (one would end the heap-only updates of every
 * checkout).
 */
const LowStockSchema = defineEntity({
  name: 'LowStock',
  tableName: 'low_stock',
  properties: {
    variant: () => p.manyToOne(ProductVariant).primary().deleteRule('cascade'),
    product: () => p.manyToOne(Product).deleteRule('cascade'),
    stock: p.integer(),
  },
  indexes: [{ name: 'low_stock_stock_idx', properties: ['stock', 'variant'] }],
});
export class LowStock extends LowStockSchema.class {}
LowStockSchema.setClass(LowStock);

/**
 * Each running instance's count of open WebSockets, refreshed by its heartbeat: a row whose
 * `expires_at` has passed belongs to an instance that died without saying so, and counts no more.
 */
const SocketPresenceSchema = defineEntity({
  name: 'SocketPresence',
  tableName: 'socket_presence',
  properties: {
    instance: p.uuid().primary(),
    name: p.string().length(200),
    sockets: p.integer().check('sockets >= 0'),
    expiresAt: p.datetime(),
  },
});
export class SocketPresence extends SocketPresenceSchema.class {}
SocketPresenceSchema.setClass(SocketPresence);
