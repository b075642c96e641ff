import type { TRPC_ERROR_CODE_KEY } from '@trpc/server';
import { ws } from 'msw';
import type { ZodType } from 'zod';
import type { At, Inputs, Outputs, Path } from './paths.ts';

/** Subscription outputs are async iterables; every other procedure's is not. */
type SubscriptionPath = { [P in Path]: At<Outputs, P> extends AsyncIterable<unknown> ? P : never }[Path];
type Yield<P extends SubscriptionPath> = At<Outputs, P> extends AsyncIterable<infer Y> ? Y : never;
/** What the server yields: the payload of a `tracked(id, payload)` event, or the plain event. */
export type EventOf<P extends SubscriptionPath> = Yield<P> extends { id: string; data: infer D } ? D : Yield<P>;
export type SubscriptionInput<P extends SubscriptionPath> = At<Inputs, P>;

/** One subscription a client opened on the mocked socket. */
export interface LiveSubscription<P extends SubscriptionPath> {
  path: P;
  input: SubscriptionInput<P>;
  /** Sent by the client when it resumes after a reconnect. */
  lastEventId: string | undefined;
  /** Pushes one event; with an event id it is `tracked`, as the real server sends it. */
  emit(data: EventOf<P>, eventId?: string): void;
  /** Ends the subscription with a tRPC error, as the server does for NOT_FOUND and the like. */
  fail(code: TRPC_ERROR_CODE_KEY, message: string): void;
  readonly stopped: boolean;
}

interface ClientMessage {
  id: number | string;
  method: string;
  params?: { path: string; input?: unknown; lastEventId?: string };
}

const JSON_RPC_CODES: Partial<Record<TRPC_ERROR_CODE_KEY, number>> = {
  BAD_REQUEST: -32600,
  UNAUTHORIZED: -32001,
  FORBIDDEN: -32003,
  NOT_FOUND: -32004,
  TOO_MANY_REQUESTS: -32029,
};

/** One call as tRPC's HTTP batch would make it, answered in the socket protocol's shape. */
async function answerOverHttp(origin: string, method: 'query' | 'mutation', path: string, input: unknown): Promise<object> {
  const url = `${origin}/trpc/${path}?batch=1`;
  const batch = JSON.stringify({ 0: input });
  const response =
    method === 'query'
      ? await fetch(`${url}&input=${encodeURIComponent(batch)}`)
      : await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: batch });
  const [answer] = (await response.json()) as [{ result?: { data: unknown }; error?: object }];
  return answer?.error ? { error: answer.error } : { result: { type: 'data', data: answer?.result?.data } };
}

/**
 * A mocked tRPC WebSocket endpoint speaking the server's wire protocol: it acknowledges every
 * subscription (`started`) and stays quiet until a test pushes events with `emit`. Subscription
 * inputs are checked against the server's own schemas, like the HTTP mock does; queries and
 * mutations sent over the socket are answered by the HTTP mock.
 */
export function trpcLive(origin: string, schemas: { [P in SubscriptionPath]?: ZodType } = {}) {
  const link = ws.link(`${origin.replace(/^http/, 'ws')}/trpc`);
  // biome-ignore lint/suspicious/noExplicitAny: one list holds subscriptions of every path.
  let subscriptions: LiveSubscription<any>[] = [];
  // biome-ignore lint/suspicious/noExplicitAny: as above.
  let waiters: { path: SubscriptionPath; resolve: (sub: LiveSubscription<any>) => void }[] = [];
  let calls: string[] = [];

  const handler = link.addEventListener('connection', ({ client }) => {
    const send = (message: unknown) => client.send(JSON.stringify(message));
    const open = new Map<ClientMessage['id'], { stopped: boolean }>();

    client.addEventListener('message', (event) => {
      if (typeof event.data !== 'string' || event.data === 'PING') return;
      const messages = [JSON.parse(event.data) as ClientMessage | ClientMessage[]].flat();
      for (const message of messages) {
        const { id, method, params } = message;
        if (method === 'subscription.stop') {
          const state = open.get(id);
          if (state) state.stopped = true;
          open.delete(id);
          continue;
        }
        const path = (params?.path ?? '') as SubscriptionPath;
        const error = (code: TRPC_ERROR_CODE_KEY, text: string) =>
          send({ id, error: { message: text, code: JSON_RPC_CODES[code] ?? -32603, data: { code, path } } });
        if (method === 'query' || method === 'mutation') {
          // Answered by the HTTP mock's resolvers (msw intercepts this fetch too), so a test
          // declares a procedure once whichever way the app sends it.
          calls.push(params?.path ?? '');
          void answerOverHttp(origin, method, params?.path ?? '', params?.input).then((answer) => send({ id, ...answer }));
          continue;
        }
        if (method !== 'subscription') {
          error('BAD_REQUEST', `msw: unknown method ${method}`);
          continue;
        }
        const parsed = schemas[path]?.safeParse(params?.input);
        if (parsed && !parsed.success) {
          error('BAD_REQUEST', `msw: the server would refuse this input: ${parsed.error.message}`);
          continue;
        }
        const state = { stopped: false };
        open.set(id, state);
        send({ id, result: { type: 'started' } });
        const subscription: LiveSubscription<typeof path> = {
          path,
          input: params?.input as never,
          lastEventId: params?.lastEventId,
          emit(data, eventId) {
            if (state.stopped) throw new Error(`msw: ${path} was already stopped by the client`);
            send({
              id,
              result: eventId === undefined ? { type: 'data', data } : { type: 'data', id: eventId, data: { id: eventId, data } },
            });
          },
          fail(code, text) {
            state.stopped = true;
            open.delete(id);
            error(code, text);
          },
          get stopped() {
            return state.stopped;
          },
        };
        subscriptions.push(subscription);
        for (const w of waiters.filter((w) => w.path === path)) w.resolve(subscription);
        waiters = waiters.filter((w) => w.path !== path);
      }
    });
  });

  return {
    /** Register once with the msw server; `reset` between tests. */
    handler,
    /** The first live subscription to `path`, now or when a client opens one. */
    subscribed<P extends SubscriptionPath>(path: P): Promise<LiveSubscription<P>> {
      const current = subscriptions.find((s) => s.path === path && !s.stopped);
      if (current) return Promise.resolve(current);
      return new Promise((resolve) => waiters.push({ path, resolve }));
    },
    /** Every subscription opened since the last reset, stopped ones included. */
    subscriptions<P extends SubscriptionPath>(path: P): LiveSubscription<P>[] {
      return subscriptions.filter((s) => s.path === path);
    },
    /** Paths of the queries and mutations sent over the socket since the last reset. */
    calls(): string[] {
      return [...calls];
    },
    /** Forgets this test's subscriptions and calls and closes the sockets still open. */
    reset() {
      subscriptions = [];
      calls = [];
      waiters = [];
      for (const client of link.clients) client.close();
    },
  };
}
