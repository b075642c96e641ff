// Shared set-up of the abuse files (test/abuse-*.test.ts): the cluster they attack (Nginx in front
// of three instances, on a database and a Redis of their own), the counters behind their summary
// rows, and the shopper steps several cases begin with.
import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '@shop/db/testing';
import type { Cluster } from '@shop/nginx';
import type { Order, Product, ProductSummary } from '@shop/schemas';
import { afterAll, afterEach, beforeAll, expect, inject } from 'vitest';
import { shopCluster, UNTHROTTLED } from './cluster.ts';
import { changedTables, type Digest, digest } from './digest.ts';
import { mutate, query } from './http.ts';
import { startRedis, stopAll } from './processes.ts';
import { record } from './summary.ts';

export const ADDRESS = { name: 'Ada Lovelace', line1: '12 Analytical St', city: 'London', postalCode: 'N1 9GU', country: 'GB' };
export const EVIL = 'http://evil.example';
// The instances' sign-in window, short so the brute-force test can wait for it to pass; long
// enough that its 15 sequential attempts (each an argon2 verification) fit well inside it.
export const LOGIN_WINDOW_S = 10;

// Set before the file's tests run (abuseCluster); read by them through these live bindings.
export let db: TestDatabase;
export let cluster: Cluster;
/** Nginx's URL, where every hostile request goes. */
export let base: string;

let requests = 0;
let failedTests = 0;
/** Tables that refused mutations changed, counted for the summary. */
let writtenByRefused = 0;
const ownRows = new Set<string>();

/**
 * Starts the cluster before the file's tests and stops it after them. `scenario` names the file's
 * summary row: the hostile requests counted (refused, countRequests), the tests that failed and
 * the tables refused calls changed.
 */
export function abuseCluster(scenario: string): void {
  beforeAll(async () => {
    db = await createTestDatabase(inject('pgAdminUrl'));
    const redis = await startRedis();
    cluster = await shopCluster({
      databaseUrl: db.url,
      redisUrl: redis.url,
      rateLimits: UNTHROTTLED,
      env: { LOGIN_WINDOW_S: String(LOGIN_WINDOW_S) },
    });
    base = cluster.url;
  });
  afterEach(({ task }) => {
    if (task.result?.errors?.length && !ownRows.has(task.name)) failedTests++;
  });
  afterAll(async () => {
    await cluster?.stop();
    await stopAll();
    await db?.drop();
    if (requests === 0 && failedTests === 0) return;
    record(inject('summaryFile'), {
      scenario,
      load: 'sequential',
      faults: 'hostile requests through Nginx',
      requests,
      // Scenarios whose hostile requests were not all refused as they should be.
      failures: failedTests,
      lostOrDuplicated: writtenByRefused,
    });
  });
}

/** A test that records a summary row of its own: its failure is not counted in the file's row. */
export function ownSummaryRow(testName: string): void {
  ownRows.add(testName);
}

/** Counts hostile requests whose refusal the caller asserts. */
export function countRequests(n = 1): void {
  requests += n;
}

/** Counts a hostile request (its refusal is asserted by the caller). */
export function refused<T>(value: T): T {
  countRequests();
  return value;
}

export async function expectUnchanged(before: Digest): Promise<void> {
  const changed = changedTables(before, await digest(db.url));
  writtenByRefused += changed.length;
  expect(changed).toEqual([]);
}

/**
 * A case's own summary row: `sent` the calls it made, `wrong` those not answered as they must be,
 * `written` the tables (or rows) that hostile calls changed when they should have changed none.
 */
export function row(
  scenario: string,
  sent: number,
  wrong: number,
  load: string,
  written: number,
  faults = 'hostile requests through Nginx',
) {
  record(inject('summaryFile'), { scenario, load, faults, requests: sent, failures: wrong, lostOrDuplicated: written });
}
/** Tables changed since `before`: the tables' digest once the case's own set-up was done. */
export const writtenSince = async (before: Digest) => changedTables(before, await digest(db.url)).length;

/** The cheapest product in stock with one variant: cart calls about it need no variant named. */
export async function inStockProduct(): Promise<ProductSummary> {
  const list = await query(base, 'catalog.list', { inStock: true, limit: 24, sort: 'price_asc' });
  for (const product of (list.data as { items: ProductSummary[] }).items) {
    const detail = (await query(base, 'catalog.product', { slug: product.slug })).data as Product;
    if (detail.variants.length === 1) return product;
  }
  throw new Error('no single-variant product in stock');
}

export async function placeOrder(cookie: string): Promise<Order> {
  const product = await inStockProduct();
  expect((await mutate(base, 'cart.add', { productId: product.id }, cookie)).status).toBe(200);
  const placed = await mutate(base, 'checkout.placeOrder', { idempotencyKey: randomUUID(), shippingAddress: ADDRESS }, cookie);
  expect(placed.status).toBe(200);
  return placed.data as Order;
}
