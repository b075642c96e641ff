// The floor: bare node:http answering the catalog's reads with the same SQL through pg, nothing
// else (no tRPC, no ORM, no validation, no session). Run as its own process:
//   node floor.ts <port> <databaseUrl> <processes> <poolMax>
// With several processes, node:cluster workers share the port (the primary hands each new
// connection to the next worker in turn), each with its own pool of <poolMax> connections: the
// shop's three instances with their pools, minus the framework.
import cluster from 'node:cluster';
import { createServer } from 'node:http';
import { pgSessionOptions } from '@shop/db';
import { catalog } from '@shop/domain';
import type { CatalogListInput } from '@shop/schemas';
import pg from 'pg';

const [port, databaseUrl, processesArg = '1', poolMaxArg = '10'] = process.argv.slice(2);
const processes = Number(processesArg);
const poolMax = Number(poolMaxArg);

if (processes > 1 && cluster.isPrimary) {
  for (let i = 0; i < processes; i++) cluster.fork();
  // Ready only once every worker listens: connections opened earlier would all go to the first.
  let listening = 0;
  cluster.on('listening', () => {
    if (++listening === processes) for (const worker of Object.values(cluster.workers ?? {})) worker?.send('all-listening');
  });
  // A worker lost is a floor that measures less than it says: stop, so the run fails loudly.
  cluster.on('exit', (worker, code, signal) => {
    process.stderr.write(`floor worker ${worker.process.pid} exited (${code ?? signal})\n`);
    process.exit(1);
  });
  process.once('SIGTERM', () => {
    cluster.removeAllListeners('exit');
    for (const worker of Object.values(cluster.workers ?? {})) worker?.kill();
    process.exit(0);
  });
} else {
  serve();
}

function serve() {
  let ready = processes <= 1;
  process.on('message', (m) => {
    if (m === 'all-listening') ready = true;
  });
  // The shop's connection settings (packages/db/src/config.ts): the same rows, the same plans.
  // All of it opened at start and kept, as the shop's instances keep theirs (DB_POOL_MIN).
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: poolMax,
    min: poolMax,
    options: pgSessionOptions,
  });
  // A database that cannot be reached shows in the first request's answer.
  Promise.all(Array.from({ length: poolMax }, () => pool.query('select 1'))).catch(() => {});

  async function list(input: CatalogListInput) {
    // Exactly the statement the shop runs (the domain's pure SQL builder), with pg's placeholders,
    // and the shop's own page from its rows: the floor skips tRPC and the ORM, not the output's form.
    const limit = input.limit ?? 24;
    const { query, params, sort } = catalog.catalogListQuery({ ...input, limit });
    let n = 0;
    const { rows } = await pool.query<catalog.CatalogListRow>(
      query.replace(/\?/g, () => `$${++n}`),
      params,
    );
    return catalog.catalogPage(rows, limit, sort);
  }

  async function categories() {
    return (await pool.query(catalog.CATEGORIES_QUERY)).rows;
  }

  createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://floor');
    const answer =
      url.pathname === '/trpc/catalog.list'
        ? list(JSON.parse(url.searchParams.get('input') ?? '{}'))
        : url.pathname === '/trpc/catalog.categories'
          ? categories()
          : undefined;
    if (!answer) {
      res.writeHead(url.pathname !== '/ready' ? 404 : ready ? 200 : 503).end();
      return;
    }
    answer
      .then((data) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ result: { data } }));
      })
      .catch((error: Error) => {
        res.writeHead(500).end(error.message);
      });
  }).listen(Number(port), '127.0.0.1');
}
