// The floor: bare node:http answering the catalog's reads with the same SQL through pg, nothing
// else (no tRPC, no ORM, no validation). Run as its own process: node floor.ts <port> <databaseUrl>.
import { createServer } from 'node:http';
import { catalog } from '@shop/domain';
import type { CatalogListInput } from '@shop/schemas';
import pg from 'pg';

const [port, databaseUrl] = process.argv.slice(2);
// The shop's connection settings (packages/db/src/config.ts): the same rows, the same plans.
const pool = new pg.Pool({
  connectionString: databaseUrl,
  max: 10,
  options: '-c pg_trgm.word_similarity_threshold=0.4 -c max_parallel_workers_per_gather=0',
});

// The shop's own row shape and mapping: the floor skips tRPC and the ORM, not the output's form.
type Row = catalog.ProductSummaryRow & { sort_key: string };

async function list(input: CatalogListInput) {
  // Exactly the statement the shop runs (the domain's pure SQL builder), with pg's placeholders.
  const { query, params, sort } = catalog.catalogListQuery({ ...input, limit: input.limit ?? 24 });
  let n = 0;
  const { rows } = await pool.query<Row>(
    query.replace(/\?/g, () => `$${++n}`),
    params,
  );
  const limit = input.limit ?? 24;
  const more = rows.length > limit;
  const items = more ? rows.slice(0, limit) : rows;
  const last = items.at(-1);
  return {
    items: items.map(catalog.toSummary),
    nextCursor: more && last ? catalog.encodeCursor({ sort, key: last.sort_key, id: last.id }) : null,
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
