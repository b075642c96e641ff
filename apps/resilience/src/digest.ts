// A fingerprint of the database's content: per table, its row count and an md5 of its rows in a
// fixed order. Equal digests before and after mean nothing was written.
import pg from 'pg';

export type Digest = Record<string, string>;

/**
 * Tables a background worker updates on its own (the e-mail outbox's delivery state): only the
 * columns a request writes are compared, so a delivery attempt does not read as a refused request's write.
 */
const REQUEST_COLUMNS: Record<string, string> = {
  email_outbox: 'id, order_id, kind, created_at',
};

export async function digest(databaseUrl: string): Promise<Digest> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const tables = await client.query<{ name: string }>(
      // socket_presence is the instances' heartbeat (their open sockets, rewritten every few seconds),
      // not content any request writes.
      `select tablename as name from pg_tables
       where schemaname = 'public' and tablename not like 'mikro_orm%' and tablename <> 'socket_presence' order by 1`,
    );
    const out: Digest = {};
    for (const { name } of tables.rows) {
      const { rows } = await client.query<{ n: number; h: string | null }>(
        `select count(*)::int as n, md5(string_agg(t::text, E'\\n' order by t::text)) as h from (select ${REQUEST_COLUMNS[name] ?? '*'} from "${name}") t`,
      );
      out[name] = `${rows[0]?.n}:${rows[0]?.h ?? ''}`;
    }
    return out;
  } finally {
    await client.end();
  }
}

/** The tables whose content differs, for a readable failure. */
export function changedTables(before: Digest, after: Digest): string[] {
  return [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((t) => before[t] !== after[t]);
}
