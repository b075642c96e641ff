import { sleep } from '@shop/proc';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createOrm, type Orm } from '../orm.ts';
import { createTestDatabase, type TestDatabase } from '../testing/index.ts';

// A database as it was before variants, with a product in a cart, an order and low stock, then
// migrated; then the triggers that keep products' price and stock the aggregates of their variants.
let db: TestDatabase;
let orm: Orm;
const sql = <T = unknown>(query: string, params: unknown[] = []) => orm.em.getConnection().execute<T[]>(query, params);

beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'));
  await db.orm.migrator.down({ to: 'Migration20261206213000_promotions' });
  orm = await createOrm({ url: db.url });
});
afterAll(async () => {
  await orm?.close(true);
  await db?.drop();
});

async function insertProduct(slug: string, priceCents: number, stock: number): Promise<number> {
  const [row] = await sql<{ id: number }>(
    `insert into products (slug, name, description, price_cents, stock, category_id, image_url)
     values (?, 'Variant Test', 'x', ?, ?, (select id from categories where slug = 'v'), '/x.svg') returning id`,
    [slug, priceCents, stock],
  );
  if (!row) throw new Error('no product');
  return row.id;
}

const productRow = async (id: number) =>
  (await sql<{ price_cents: number; stock: number }>('select price_cents, stock from products where id = ?', [id]))[0];

describe('the variants migration', () => {
  it('gives each product one variant with its price and stock, and moves cart lines, order lines and low stock to it', async () => {
    await sql(`insert into categories (slug, name) values ('v', 'V')`);
    const shirt = await insertProduct('old-shirt-1', 1999, 3);
    const mug = await insertProduct('old-mug-2', 499, 40);
    const [user] = await sql<{ id: string }>(
      `insert into users (email, name, password_hash) values ('old@example.test', 'Old', 'h') returning id`,
    );
    const [cart] = await sql<{ id: string }>('insert into carts (user_id) values (?) returning id', [user?.id]);
    await sql('insert into cart_items (cart_id, product_id, quantity) values (?, ?, 2)', [cart?.id, mug]);
    const [order] = await sql<{ id: string }>(
      `insert into orders (user_id, subtotal_cents, total_cents, currency, shipping_address, idempotency_key, cart_fingerprint)
       values (?, 1999, 1999, 'EUR', '{}', gen_random_uuid(), 'f') returning id`,
      [user?.id],
    );
    await sql(
      `insert into order_lines (order_id, product_id, name, unit_price_cents, quantity, line_total_cents) values (?, ?, 'Old Shirt', 1999, 1, 1999)`,
      [order?.id, shirt],
    );

    await orm.migrator.up();
    expect(await orm.migrator.getPending()).toEqual([]);

    const variants = await sql<{ id: number; product_id: number; sku: string; options: unknown; price_cents: number; stock: number }>(
      'select id, product_id, sku, options, price_cents, stock from product_variants order by product_id',
    );
    expect(variants.map(({ id: _, ...v }) => v)).toEqual([
      { product_id: shirt, sku: 'old-shirt-1', options: {}, price_cents: 1999, stock: 3 },
      { product_id: mug, sku: 'old-mug-2', options: {}, price_cents: 499, stock: 40 },
    ]);
    const [shirtVariant, mugVariant] = variants;
    expect(await sql('select product_id, variant_id, quantity from cart_items')).toEqual([
      { product_id: mug, variant_id: mugVariant?.id, quantity: 2 },
    ]);
    expect(await sql('select product_id, variant_id, sku, options from order_lines')).toEqual([
      { product_id: shirt, variant_id: shirtVariant?.id, sku: 'old-shirt-1', options: {} },
    ]);
    expect(await sql('select variant_id, product_id, stock from low_stock')).toEqual([
      { variant_id: shirtVariant?.id, product_id: shirt, stock: 3 },
    ]);
  });
});

describe('products follow their variants', () => {
  let product: number;

  it('a product inserted on its own gets one variant, its SKU the slug', async () => {
    product = await insertProduct('tee-3', 1500, 10);
    expect(await sql('select sku, options, price_cents, stock from product_variants where product_id = ?', [product])).toEqual([
      { sku: 'tee-3', options: {}, price_cents: 1500, stock: 10 },
    ]);
  });

  it("writing a single-variant product's price or stock writes its variant", async () => {
    await sql('update products set stock = 7, price_cents = 1400 where id = ?', [product]);
    expect(await sql('select price_cents, stock from product_variants where product_id = ?', [product])).toEqual([
      { price_cents: 1400, stock: 7 },
    ]);
  });

  it('keeps the lowest variant price and the total stock as variants come, change and go', async () => {
    await sql(
      `insert into product_variants (product_id, sku, options, price_cents, stock) values
       (?, 'tee-3-l', '{"Size":"L"}', 1600, 4), (?, 'tee-3-xs', '{"Size":"XS"}', 1200, 0)`,
      [product, product],
    );
    expect(await productRow(product)).toEqual({ price_cents: 1200, stock: 11 });
    await sql(`update product_variants set stock = stock + 5, price_cents = 1300 where sku = 'tee-3-xs'`);
    expect(await productRow(product)).toEqual({ price_cents: 1300, stock: 16 });
    await sql(`delete from product_variants where sku in ('tee-3-xs', 'tee-3')`);
    expect(await productRow(product)).toEqual({ price_cents: 1600, stock: 4 });
  });

  it('refuses a direct stock write on a product with several variants, which would not say which', async () => {
    await sql(
      `insert into product_variants (product_id, sku, options, price_cents, stock) values (?, 'tee-3-m', '{"Size":"M"}', 1600, 2)`,
      [product],
    );
    await expect(sql('update products set stock = 1 where id = ?', [product])).rejects.toThrow(/several variants/);
    expect(await productRow(product)).toEqual({ price_cents: 1600, stock: 6 });
  });

  it("gives a cart line inserted without a variant its product's only one, and refuses it for a product with several", async () => {
    const single = await insertProduct('mug-4', 500, 9);
    const [user] = await sql<{ id: string }>(
      `insert into users (email, name, password_hash) values ('cart@example.test', 'C', 'h') returning id`,
    );
    const [cart] = await sql<{ id: string }>('insert into carts (user_id) values (?) returning id', [user?.id]);
    await sql('insert into cart_items (cart_id, product_id, quantity) values (?, ?, 1)', [cart?.id, single]);
    expect(
      await sql('select v.sku from cart_items i join product_variants v on v.id = i.variant_id where i.cart_id = ?', [cart?.id]),
    ).toEqual([{ sku: 'mug-4' }]);
    await expect(sql('insert into cart_items (cart_id, product_id, quantity) values (?, ?, 1)', [cart?.id, product])).rejects.toThrow(
      /variant_id/,
    );
  });

  it('never lets a variant go below zero stock, and keeps SKUs and option combinations unique', async () => {
    await expect(sql(`update product_variants set stock = stock - 5 where sku = 'tee-3-l'`)).rejects.toThrow(
      /product_variants_stock_check/,
    );
    await expect(
      sql(`insert into product_variants (product_id, sku, options, price_cents) values (?, 'tee-3-l', '{"Size":"XL"}', 1)`, [product]),
    ).rejects.toThrow(/product_variants_sku_unique/);
    await expect(
      sql(`insert into product_variants (product_id, sku, options, price_cents) values (?, 'tee-3-m2', '{"Size":"M"}', 1)`, [product]),
    ).rejects.toThrow(/product_variants_product_options_unique/);
  });

  it('lists low stock per variant', async () => {
    const low = await sql<{ sku: string; stock: number }>(
      `select v.sku, l.stock from low_stock l join product_variants v on v.id = l.variant_id where l.product_id = ? order by v.sku`,
      [product],
    );
    expect(low).toEqual([
      { sku: 'tee-3-l', stock: 4 },
      { sku: 'tee-3-m', stock: 2 },
    ]);
    await sql(`update product_variants set stock = 50 where sku = 'tee-3-m'`);
    expect(await sql('select stock from low_stock where product_id = ?', [product])).toEqual([{ stock: 4 }]);
  });

  it('sums the stock right when two transactions change two variants of one product at once', async () => {
    const connect = async () => {
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      return client;
    };
    const [a, b] = await Promise.all([connect(), connect()]);
    try {
      const before = await productRow(product);
      await a.query('begin');
      await b.query('begin');
      await a.query(`update product_variants set stock = stock + 10 where sku = 'tee-3-l'`);
      // b's aggregate waits for a's product lock, then counts a's committed change.
      const second = b.query(`update product_variants set stock = stock + 100 where sku = 'tee-3-m'`);
      await sleep(200);
      await a.query('commit');
      await second;
      await b.query('commit');
      expect(await productRow(product)).toEqual({ price_cents: before?.price_cents, stock: (before?.stock ?? 0) + 110 });
    } finally {
      await Promise.all([a.end(), b.end()]);
    }
  });
});
