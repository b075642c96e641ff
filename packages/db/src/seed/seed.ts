import type { EntityManager } from '@mikro-orm/postgresql';
import { type GeneratedProduct, generateProducts } from './generate.ts';
import { CATEGORIES } from './vocabulary.ts';

export interface SeedUser {
  email: string;
  name: string;
  role: 'shopper' | 'staff';
  passwordHash: string;
}

export interface SeedOptions {
  products: number;
  users: SeedUser[];
  seed?: number;
  onProgress?: (done: number, total: number) => void;
}

const BATCH = 5_000;

/**
 * Loads the demo catalog and accounts into an empty database in one transaction. Products go in
 * batches through `unnest`, which keeps 100,000 rows well under a minute.
 */
export async function seedDatabase(em: EntityManager, options: SeedOptions): Promise<void> {
  const { products, users, seed = 42, onProgress } = options;
  await em.transactional(async (tx) => {
    const conn = tx.getConnection();
    const exec = (sql: string, params: unknown[] = []) => conn.execute(sql, params, 'run', tx.getTransactionContext());

    // Rows travel as one JSON parameter: no per-row round trips, no parameter-count limits.
    await exec(`insert into categories (slug, name) select slug, name from jsonb_to_recordset(?::jsonb) as c(slug text, name text)`, [
      JSON.stringify(CATEGORIES.map(({ slug, name }) => ({ slug, name }))),
    ]);
    await exec(
      `insert into users (email, name, role, password_hash)
       select lower(email), name, role, password_hash
       from jsonb_to_recordset(?::jsonb) as u(email text, name text, role text, password_hash text)`,
      [JSON.stringify(users.map((u) => ({ email: u.email, name: u.name, role: u.role, password_hash: u.passwordHash })))],
    );

    let batch: GeneratedProduct[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      await exec(
        `insert into products (slug, name, description, price_cents, stock, category_id, image_url, created_at)
         select e.doc->>'slug', e.doc->>'name', e.doc->>'description', (e.doc->>'priceCents')::int,
                (e.doc->>'stock')::int, c.id, e.doc->>'imageUrl', (e.doc->>'createdAt')::timestamptz
         from jsonb_array_elements(?::jsonb) with ordinality as e(doc, ord)
         join categories c on c.slug = e.doc->>'categorySlug'
         order by e.ord`,
        [JSON.stringify(batch)],
      );
      batch = [];
    };

    let done = 0;
    for (const product of generateProducts(products, seed)) {
      batch.push(product);
      done++;
      if (batch.length === BATCH) {
        await flush();
        onProgress?.(done, products);
      }
    }
    await flush();
    onProgress?.(done, products);
  });
  // Fresh statistics, so the planner picks the keyset indexes right away.
  await em.getConnection().execute('analyze products');
}

export async function isSeeded(em: EntityManager): Promise<boolean> {
  const rows = await em.getConnection().execute<{ n: number }[]>('select count(*)::int as n from categories');
  return (rows[0]?.n ?? 0) > 0;
}
