import { once } from 'node:events';
import type { EntityManager } from '@mikro-orm/postgresql';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { type GeneratedProduct, generateProducts } from './generate.ts';
import { CATEGORIES } from './vocabulary.ts';

export interface SeedUser {
  email: string;
  name: string;
  role: 'shopper' | 'staff';
  passwordHash: string;
}

export type SeedPhase = 'products' | 'indexes';

export interface SeedOptions {
  products: number;
  users: SeedUser[];
  seed?: number;
  onProgress?: (done: number, total: number, phase: SeedPhase) => void;
}

// Rows per COPY statement: each statement's trigger (category counts, search words) reads its
// rows as one transition table, which stays in memory at this size.
const COPY_ROWS = 100_000;

/** One field of COPY's text format. */
const copyText = (value: string) =>
  value.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));

/**
 * Loads the demo catalog and accounts into a database in one transaction. Products stream in
 * through COPY; into an empty table, the secondary indexes are dropped first and built once at the
 * end (what pg_restore does), which is several times faster than maintaining them row by row.
 * Category counts, the search-word dictionary and each product's one variant come from the
 * products table's own triggers; the few products with options then get their variants instead.
 */
export async function seedDatabase(em: EntityManager, options: SeedOptions): Promise<void> {
  const { products, users, seed = 42, onProgress } = options;
  const client = new pg.Client({ connectionString: em.config.get('clientUrl') });
  await client.connect();
  try {
    await client.query('begin');
    // Index builds sort in memory; the transition tables of the triggers stay in memory too.
    await client.query(`set local maintenance_work_mem = '512MB'`);
    await client.query(`set local work_mem = '128MB'`);

    const { rows: categories } = await client.query<{ id: number; slug: string }>(
      `insert into categories (slug, name) select slug, name from jsonb_to_recordset($1::jsonb) as c(slug text, name text)
       returning id, slug`,
      [JSON.stringify(CATEGORIES.map(({ slug, name }) => ({ slug, name })))],
    );
    const categoryId = new Map(categories.map((c) => [c.slug, c.id]));
    await client.query(
      `insert into users (email, name, role, password_hash)
       select lower(email), name, role, password_hash
       from jsonb_to_recordset($1::jsonb) as u(email text, name text, role text, password_hash text)`,
      [JSON.stringify(users.map((u) => ({ email: u.email, name: u.name, role: u.role, password_hash: u.passwordHash })))],
    );

    const { rows: empty } = await client.query<{ empty: boolean }>('select not exists (select 1 from products) as empty');
    // Indexes backing a constraint (primary key, unique slug) stay: the load is checked as it goes.
    const { rows: indexes } = empty[0]?.empty
      ? await client.query<{ name: string; definition: string }>(
          `select i.relname as name, pg_get_indexdef(i.oid) as definition
           from pg_index x join pg_class i on i.oid = x.indexrelid
           where x.indrelid = 'products'::regclass and not exists (select 1 from pg_constraint c where c.conindid = x.indexrelid)
           order by i.relname`,
        )
      : { rows: [] };
    for (const { name } of indexes) await client.query(`drop index "${name}"`);
    // The variants' unique and foreign keys too (the products trigger fills the table, one row per
    // product): built or validated once at the end, their checks cost no index lookup and no key-share
    // lock on a product per row. The database still checks every row, at the end instead.
    const { rows: constraints } = empty[0]?.empty
      ? await client.query<{ name: string; definition: string }>(
          `select conname as name, pg_get_constraintdef(oid) as definition from pg_constraint
           where conrelid = 'product_variants'::regclass and contype in ('u', 'f') order by conname`,
        )
      : { rows: [] };
    for (const { name } of constraints) await client.query(`alter table product_variants drop constraint "${name}"`);

    const rows = generateProducts(products, seed);
    const withOptions: GeneratedProduct[] = [];
    let done = 0;
    while (done < products) {
      const copy = client.query(
        copyFrom('copy products (slug, name, description, price_cents, stock, category_id, image_url, created_at) from stdin'),
      );
      const end = Math.min(products, done + COPY_ROWS);
      let lines = '';
      for (; done < end; done++) {
        const p = rows.next().value;
        if (!p) throw new Error('the generator ended early');
        if (p.variants) withOptions.push(p);
        lines += `${copyText(p.slug)}\t${copyText(p.name)}\t${copyText(p.description)}\t${p.priceCents}\t${p.stock}\t${categoryId.get(p.categorySlug)}\t${copyText(p.imageUrl)}\t${p.createdAt.toISOString()}\n`;
        if (lines.length > 1 << 20) {
          if (!copy.write(lines)) await once(copy, 'drain');
          lines = '';
        }
      }
      copy.end(lines);
      await once(copy, 'finish');
      onProgress?.(done, products, 'products');
    }

    await loadVariants(client, withOptions);

    const rebuilds = [
      ...indexes.map(({ definition }) => definition),
      ...constraints.map(({ name, definition }) => `alter table product_variants add constraint "${name}" ${definition}`),
    ];
    for (const [i, statement] of rebuilds.entries()) {
      await client.query(statement);
      onProgress?.(i + 1, rebuilds.length, 'indexes');
    }
    await client.query('commit');
  } catch (error) {
    await client.query('rollback').catch(() => {});
    throw error;
  } finally {
    await client.end();
  }
  // Fresh statistics, so the planner picks the keyset indexes right away; and the visibility map and
  // hint bits a freshly copied table lacks (until autovacuum comes by, every read of a page it
  // touches writes it again, and index-only scans visit the heap): the first reader is not slower.
  await em.getConnection().execute('vacuum (analyze) products');
  await em.getConnection().execute('vacuum (analyze) search_words');
  await em.getConnection().execute('vacuum (analyze) search_term_categories');
  await em.getConnection().execute('vacuum (analyze) product_variants');
}

/**
 * Replaces the one variant the products trigger gave each product with options by its real ones,
 * and stores its options: three statements, whatever the number of products.
 */
async function loadVariants(client: pg.Client, products: GeneratedProduct[]): Promise<void> {
  if (products.length === 0) return;
  await client.query('delete from product_variants v using products p where v.product_id = p.id and p.slug = any($1::text[])', [
    products.map((p) => p.slug),
  ]);
  const variants = products.flatMap((p) =>
    (p.variants ?? []).map((v) => ({ slug: p.slug, sku: v.sku, options: v.options, price_cents: v.priceCents, stock: v.stock })),
  );
  await client.query(
    `insert into product_variants (product_id, sku, options, price_cents, stock)
     select p.id, v.j->>'sku', v.j->'options', (v.j->>'price_cents')::int, (v.j->>'stock')::int
     from jsonb_array_elements($1::jsonb) with ordinality as v(j, ord)
     join products p on p.slug = v.j->>'slug' order by v.ord`,
    [JSON.stringify(variants)],
  );
  const options = products.flatMap((p) =>
    (p.options ?? []).map((o, position) => ({ slug: p.slug, position, name: o.name, option_values: o.values })),
  );
  await client.query(
    `insert into product_options (product_id, position, name, option_values)
     select p.id, o.position, o.name, o.option_values
     from jsonb_to_recordset($1::jsonb) as o(slug text, position int, name text, option_values jsonb)
     join products p on p.slug = o.slug`,
    [JSON.stringify(options)],
  );
}

/**
 * Empties everything the shop and the seed write, for `pnpm db:seed --reset` and the benchmarks'
 * reseeding: truncating users cascades to chat_rooms, so the lobby the initial migration made is
 * put back in the same transaction.
 */
export async function resetShop(em: EntityManager): Promise<void> {
  await em.transactional(async (tx) => {
    await tx.execute(
      `truncate users, recovery_codes, categories, products, product_variants, product_options, search_words, carts, cart_items, wishlist_items,
         orders, order_lines, order_events, chat_rooms, chat_messages, promotions restart identity cascade`,
    );
    await tx.execute(`insert into chat_rooms (id, kind, name) values ('lobby', 'lobby', 'Lobby') on conflict do nothing`);
  });
}

export async function isSeeded(em: EntityManager): Promise<boolean> {
  const rows = await em.getConnection().execute<{ n: number }[]>('select count(*)::int as n from categories');
  return (rows[0]?.n ?? 0) > 0;
}
