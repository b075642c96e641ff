// The floor: bare node:http answering the catalog's reads with the same SQL through pg, nothing
// else (no tRPC, no ORM, no validation). Run as its own process: node floor.ts <port> <databaseUrl>.
import { createServer } from 'node:http';
import pg from 'pg';

const [port, databaseUrl] = process.argv.slice(2);
const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 });

// As packages/domain/src/catalog builds them (product-row.ts, catalog.service.ts).
const COLUMNS = `p.id, p.slug, p.name, p.price_cents, p.currency, p.image_url, p.stock,
  c.slug as category_slug, c.name as category_name`;
const NEWEST_KEY = '(extract(epoch from p.created_at) * 1000000)::bigint::text';
const RANK = `(ts_rank(p.search, to_tsquery('english', $1)) * 2 + word_similarity($2, p.name))::real`;

interface Row {
  id: number;
  slug: string;
  name: string;
  price_cents: number;
  currency: string;
  image_url: string;
  stock: number;
  category_slug: string;
  category_name: string;
  sort_key: string;
}

function prefixQuery(search: string): string | null {
  const words =
    search
      .toLowerCase()
      .match(/[\p{L}\p{N}]+/gu)
      ?.slice(0, 8) ?? [];
  return words.length ? words.map((w) => `${w}:*`).join(' & ') : null;
}

async function list(input: { search?: string; category?: string; limit?: number }) {
  const limit = input.limit ?? 24;
  const tsquery = input.search ? prefixQuery(input.search) : null;
  let sql: string;
  let params: unknown[];
  if (tsquery) {
    sql = `select ${COLUMNS}, ${RANK}::text as sort_key from products p join categories c on c.id = p.category_id
      where (p.search @@ to_tsquery('english', $1) or $2 <% p.name)${input.category ? ' and c.slug = $4' : ''}
      order by ${RANK} desc, p.id asc limit $3`;
    params = [tsquery, input.search, limit + 1, ...(input.category ? [input.category] : [])];
    if (!input.category) params = params.slice(0, 3);
  } else {
    sql = `select ${COLUMNS}, ${NEWEST_KEY} as sort_key from products p join categories c on c.id = p.category_id
      ${input.category ? 'where c.slug = $2' : ''} order by p.created_at desc, p.id desc limit $1`;
    params = input.category ? [limit + 1, input.category] : [limit + 1];
  }
  const { rows } = await pool.query<Row>(sql, params);
  const more = rows.length > limit;
  const items = more ? rows.slice(0, limit) : rows;
  const last = items.at(-1);
  return {
    items: items.map((r) => ({
      id: r.id,
      slug: r.slug,
      name: r.name,
      priceCents: r.price_cents,
      currency: r.currency,
      imageUrl: r.image_url,
      stock: r.stock,
      category: { slug: r.category_slug, name: r.category_name },
    })),
    nextCursor:
      more && last ? Buffer.from(JSON.stringify([tsquery ? 'relevance' : 'newest', last.sort_key, last.id])).toString('base64url') : null,
  };
}

createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://floor');
  if (url.pathname !== '/trpc/catalog.list') {
    res.writeHead(url.pathname === '/ready' ? 200 : 404).end();
    return;
  }
  list(JSON.parse(url.searchParams.get('input') ?? '{}'))
    .then((data) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ result: { data } }));
    })
    .catch((error: Error) => {
      res.writeHead(500).end(error.message);
    });
}).listen(Number(port), '127.0.0.1');
