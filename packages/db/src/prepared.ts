// Hot statements as server-side prepared statements. MikroORM's `execute` writes parameters
// into the SQL text, so PostgreSQL parses and plans every call afresh: for chat.send's one
// statement that was 0.71 ms of server CPU per message, against 0.29–0.33 ms prepared (planned
// once per connection, its generic plan reused). Only statements declared here are prepared;
// everything else keeps MikroORM's path, and its plans made for the values at hand (catalog
// search depends on those).
import pg from 'pg';

/** A statement with `$1…$n` parameters, prepared once per connection under its name. */
export interface PreparedStatement<Row extends object> {
  readonly name: string;
  readonly text: string;
  /** Only carries the row type. */
  readonly row?: Row;
}

/** What a prepared statement's parameters may be: pg sends these as text, unchanged. */
export type PreparedValue = string | number | boolean | null;

/** Declared statements: name by text (what the client is given), and text by name. */
const names = new Map<string, string>();
const texts = new Map<string, string>();

/**
 * Declares a prepared statement (at module load). A name is one text for good: the server keeps
 * each connection's statements until the connection closes.
 */
export function preparedStatement<Row extends object>(name: string, text: string): PreparedStatement<Row> {
  const declared = texts.get(name);
  if (declared !== undefined && declared !== text) throw new Error(`prepared statement "${name}" is declared twice with different SQL`);
  texts.set(name, text);
  names.set(text, name);
  return { name, text };
}

/**
 * Errors after which a connection's copy of a statement is unusable for good: 0A000 "cached plan
 * must not change result type" (a migration changed the type of a column it returns, as in a
 * rolling deploy), 26000 the statement is gone on the server. pg would keep sending the same name.
 */
const STALE = new Set(['0A000', '26000']);

type Query = (...args: unknown[]) => unknown;

/**
 * pg's client, naming the declared statements: Kysely (under MikroORM) sends every query as
 * `query(text, values)`, so the statement is told by its text, and pg parses it once per
 * connection and then only binds and executes it. A statement gone stale on this connection is
 * prepared again under a new name on its next use (the failed call's error stands: inside a
 * transaction the transaction has failed anyway).
 */
export class PreparingClient extends pg.Client {
  constructor(config?: string | pg.ClientConfig) {
    super(config);
    const query = super.query.bind(this) as Query;
    const current = new Map<string, string>();
    let renames = 0;
    const named: Query = (text, values, callback) => {
      const declared = typeof text === 'string' ? names.get(text) : undefined;
      if (!declared || !Array.isArray(values) || callback !== undefined) return query(text, values, callback);
      const name = current.get(declared) ?? declared;
      const result = query({ name, text, values }) as Promise<unknown>;
      result.catch((error: unknown) => {
        const code = (error as { code?: unknown } | null)?.code;
        if (typeof code === 'string' && STALE.has(code)) current.set(declared, `${declared}_${++renames}`);
      });
      return result;
    };
    Object.defineProperty(this, 'query', { value: named });
  }
}
