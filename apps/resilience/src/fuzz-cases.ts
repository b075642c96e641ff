// The fuzz suite's cases (test/fuzz.test.ts): who sends them, and the requests fast-check draws
// for every procedure (inputs from its schema and beyond it, batches, bad URLs, other methods).
import fc from 'fast-check';
import { anyJson, broken, deepNesting, fromSchema, malformedBody, nastyString, pollutingJson } from './arbitraries.ts';
import type { RawRequest } from './http.ts';
import type { ProcedureInfo } from './procedures.ts';

export const PERSONAS = ['guest', 'shopper', 'staff'] as const;
export type Persona = (typeof PERSONAS)[number];

export interface FuzzCase {
  persona: Persona;
  kind: string;
  req: RawRequest;
  /** An event stream (a subscription over SSE): read briefly, then dropped. */
  stream: boolean;
  /** Refused by construction (input the procedure's schema rejects, a wrong method, bytes that are not JSON, a bad URL). */
  refused: boolean;
  /** A malformed session cookie sent instead of (or beside) the persona's, in one case of ten. */
  cookie: { value: string; place: 'instead' | 'before' | 'after' } | null;
}

const enc = (v: unknown) => encodeURIComponent(JSON.stringify(v));
/** Percent-encodes every UTF-8 byte; unlike encodeURIComponent it takes lone surrogates too. */
const uri = (s: string) => [...Buffer.from(s, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
const json = { 'content-type': 'application/json' };

/** How a procedure's input travels: a query's in the URL, a mutation's in a JSON body. */
function call(proc: ProcedureInfo, input: unknown): RawRequest {
  if (proc.type === 'mutation')
    return { method: 'POST', path: `/trpc/${proc.path}`, headers: json, body: input === undefined ? '' : JSON.stringify(input) };
  return { method: 'GET', path: `/trpc/${proc.path}${input === undefined ? '' : `?input=${enc(input)}`}` };
}

/** What the server receives: JSON drops `undefined` members (`{ a: undefined }` arrives as `{}`). */
function onTheWire(input: unknown): unknown {
  const text = JSON.stringify(input);
  return text === undefined ? undefined : JSON.parse(text);
}

/** Whether the server must refuse `text` as the procedure's input ('' means no input). */
function refusedText(proc: ProcedureInfo, text: string): boolean {
  // tRPC reads the input lazily: a procedure without one never looks at the body.
  if (proc.input === null) return false;
  if (text === '') return !proc.accepts(undefined);
  try {
    return !proc.accepts(JSON.parse(text));
  } catch {
    return true;
  }
}

/** One request of a fuzz case: a procedure's input (valid or not), a batch URL or a bad URL. */
export function caseArbitrary(procs: ProcedureInfo[]): fc.Arbitrary<Omit<FuzzCase, 'persona' | 'cookie'>> {
  const paths = procs.map((p) => p.path);
  const perProcedure = fc.constantFrom(...procs).chain((proc) => {
    // Subscriptions are served over the WebSocket only: over HTTP every call to one is refused (405).
    const subscription = proc.type === 'subscription';
    const stream = false;
    const schemaInputs = proc.input
      ? [fromSchema(proc.input).map((i) => ['schema', i] as const), broken(proc.input).map((i) => ['broken', i] as const)]
      : [fc.constant(['schema', undefined] as const)];
    const inputs = fc.oneof(
      { weight: 4, arbitrary: fc.oneof(...schemaInputs) },
      { weight: 2, arbitrary: fc.anything({ maxDepth: 3, withNullPrototype: true }).map((i) => ['anything', i] as const) },
      { weight: 1, arbitrary: fc.oneof(anyJson, deepNesting(2_000)).map((i) => ['wrong-type', i] as const) },
    );
    return fc.oneof(
      {
        weight: 8,
        arbitrary: inputs.map(([kind, input]) => ({
          kind,
          req: call(proc, input),
          stream,
          refused: subscription || !proc.accepts(onTheWire(input)),
        })),
      },
      // The wrong method for the procedure's kind.
      {
        weight: 1,
        arbitrary: inputs.map(([kind, input]) => {
          const req = call(proc, input);
          return {
            kind: `wrong-method/${kind}`,
            stream,
            refused: true,
            req:
              req.method === 'GET'
                ? { method: 'POST', path: `/trpc/${proc.path}`, headers: json, body: JSON.stringify(input) ?? '' }
                : { method: 'GET', path: `/trpc/${proc.path}?input=${enc(input)}` },
          };
        }),
      },
      // A body or URL input that is not JSON at all, or pollutes prototypes.
      {
        weight: 2,
        arbitrary: fc.oneof(malformedBody, pollutingJson).map((full) => {
          const text = proc.type === 'mutation' ? full : full.slice(0, 10_000);
          return {
            kind: 'malformed',
            stream,
            // Some of these are JSON after all ('', 'null', '[]'): refused unless the schema takes them.
            refused: subscription || refusedText(proc, text),
            req:
              proc.type === 'mutation'
                ? { method: 'POST', path: `/trpc/${proc.path}`, headers: json, body: text }
                : { method: 'GET', path: `/trpc/${proc.path}?input=${uri(text)}` },
          };
        }),
      },
    );
  });
  const batchUrl = fc
    .tuple(
      fc.array(fc.oneof(fc.constantFrom(...paths), nastyString.map(uri)), { minLength: 0, maxLength: 60 }),
      fc.boolean(),
      fc.oneof(anyJson, fc.dictionary(fc.constantFrom('0', '1', '2', '-1', '999', 'x', '__proto__'), anyJson)),
    )
    .map(([ps, post, input]) => ({
      kind: 'batch',
      stream: true,
      refused: false,
      req: post
        ? { method: 'POST', path: `/trpc/${ps.join(',')}?batch=1`, headers: json, body: JSON.stringify(input) ?? '' }
        : { method: 'GET', path: `/trpc/${ps.join(',')}?batch=1&input=${enc(input)}` },
    }));
  const badUrl = fc
    .oneof(
      fc.constantFrom(
        '/trpc',
        '/trpc/',
        '/trpc/%',
        '/trpc/%E0%A4%A',
        '/trpc/..%2f..%2fetc%2fpasswd',
        '/trpc/catalog.list?input=%',
        '/trpc/catalog.list?batch=1',
        '/trpc/catalog.list?batch=abc&input=1',
        '/trpc/catalog.list?input=1&input=2',
        '/trpc/__proto__',
        '/trpc/constructor.prototype',
        '/trpc/admin',
        '/trpc/admin.product',
        '/trpc/toString',
      ),
      fc.string({ unit: 'binary', maxLength: 100 }).map((s) => `/trpc/${uri(s)}`),
      fc.integer({ min: 1, max: 7_000 }).map((n) => `/trpc/${'a.'.repeat(n)}b`),
    )
    .chain((path) =>
      fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'HEAD', 'PATCH').map((method) => ({
        kind: 'bad-url',
        stream: true,
        refused: true,
        req: { method, path, ...(method === 'GET' || method === 'HEAD' ? {} : { headers: json, body: '{}' }) },
      })),
    );
  return fc.oneof({ weight: 10, arbitrary: perProcedure }, { weight: 1, arbitrary: batchUrl }, { weight: 1, arbitrary: badUrl });
}

/** One line per request, long paths and bodies cut short. */
export function describeCase(c: FuzzCase | undefined): string {
  if (!c) return '';
  const body = c.req.body === undefined ? '' : ` body ${String(c.req.body).slice(0, 160)}`;
  const cookie = c.cookie ? ` cookie ${c.cookie.place} ${JSON.stringify(c.cookie.value.slice(0, 80))}` : '';
  return `[${c.persona} ${c.kind}${cookie}] ${c.req.method} ${c.req.path.slice(0, 200)}${body}`;
}
