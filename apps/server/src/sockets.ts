// tRPC over WebSocket (the protocol of @trpc/client's wsLink), with less held per socket than
// @trpc/server's adapter: an idle subscription there keeps an async loop, a promise race with its
// subscribers and an abort listener (about 6 KB); here it keeps one record and one pending `next()`.
import type { AnyRouter, TRPCError } from '@trpc/server';
import { isObservable, observableToAsyncIterable } from '@trpc/server/observable';
import { parseTRPCMessage } from '@trpc/server/rpc';
import {
  callProcedure,
  getErrorShape,
  getTRPCErrorFromUnknown,
  isAsyncIterable,
  isTrackedEnvelope,
  TRPCError as TRPCErrorClass,
  transformTRPCResponse,
} from '@trpc/server/unstable-core-do-not-import';
import type { RawData, WebSocket } from 'ws';

type ProcedureType = 'query' | 'mutation' | 'subscription';

/** What one socket may ask of the server. */
export interface SocketLimits {
  /** Calls a socket may send at once (a token bucket's size)... */
  burst: number;
  /** ...and how many more it earns per second. */
  perSecond: number;
  /** Subscriptions open at the same time. */
  subscriptions: number;
}

/** Production defaults: far above what the SPA sends (a few calls a minute, a handful of streams). */
export const SOCKET_LIMITS: SocketLimits = { burst: 50, perSecond: 20, subscriptions: 50 };

export interface SocketHandlerOptions<TRouter extends AnyRouter, TRequest> {
  router: TRouter;
  createContext(req: TRequest): Promise<unknown>;
  onError(opts: { error: TRPCError; path: string | undefined; req: TRequest }): void;
  /** Why a call to `path` is refused on a socket, or null (procedures that need HTTP). */
  refuse?(path: string): { code: 'BAD_REQUEST' | 'METHOD_NOT_SUPPORTED'; message: string } | null;
  limits?: SocketLimits;
}

/** One running subscription: what its responses need, and how to stop it. */
interface Subscription {
  id: number | string;
  jsonrpc: '2.0' | undefined;
  path: string;
  input: unknown;
  iterator: AsyncIterator<unknown>;
  controller: AbortController;
  stopped: boolean;
}

type Outcome = { ok: true; ctx: unknown } | { ok: false; error: TRPCError };
type Message = ReturnType<typeof parseTRPCMessage>;

/** What all connections of one handler share. */
interface Shared {
  /** Queries, mutations and subscription starts not yet answered, over all sockets. */
  running: Set<Promise<void>>;
}

export interface SocketHandler<TRequest> {
  /** Serves a new connection (an upgraded socket and what it keeps of its request). */
  connect(client: WebSocket, req: TRequest): void;
  /**
   * Settles once every call running now has been answered (not those sent later, which a busy
   * socket keeps sending): a drain waits for it before it tells clients to reconnect.
   */
  answered(): Promise<void>;
}

export function socketHandler<TRouter extends AnyRouter, TRequest extends { url: string }>(
  opts: SocketHandlerOptions<TRouter, TRequest>,
): SocketHandler<TRequest> {
  const shared: Shared = { running: new Set() };
  return {
    connect(client, req) {
      const connection = new Connection(opts, shared, client, req);
      client.on('message', (raw: RawData, isBinary: boolean) => connection.message(raw, isBinary));
      client.on('error', (cause) => opts.onError({ error: getTRPCErrorFromUnknown(cause), path: undefined, req }));
      client.once('close', () => connection.close());
    },
    answered: async () => {
      await Promise.allSettled([...shared.running]);
    },
  };
}

/** One socket: methods on the prototype, so a connection costs its fields, not a closure each. */
class Connection<TRouter extends AnyRouter, TRequest extends { url: string }> {
  readonly opts: SocketHandlerOptions<TRouter, TRequest>;
  readonly shared: Shared;
  readonly client: WebSocket;
  readonly req: TRequest;
  readonly ready: Promise<Outcome>;
  ctx: unknown;
  subscriptions: Map<number | string, Subscription> | null = null;
  /**
   * The wsLink sends its connection params first when the URL asks for them; our context is made
   * from the upgrade request alone, so that message is only read.
   */
  awaitingParams: boolean;
  /** The call-rate bucket: calls the socket may still send, refilled lazily from `refilledAt`. */
  tokens: number;
  refilledAt: number;

  constructor(opts: SocketHandlerOptions<TRouter, TRequest>, shared: Shared, client: WebSocket, req: TRequest) {
    this.opts = opts;
    this.shared = shared;
    this.client = client;
    this.req = req;
    this.awaitingParams = new URL(req.url, 'http://localhost').searchParams.get('connectionParams') === '1';
    this.tokens = this.limits.burst;
    this.refilledAt = performance.now();
    // Through a promise: a createContext that throws synchronously is answered like one that rejects.
    this.ready = Promise.resolve()
      .then(() => opts.createContext(req))
      .then(
        (ctx): Outcome => {
          this.ctx = ctx;
          return { ok: true, ctx };
        },
        (cause: unknown): Outcome => {
          const error = getTRPCErrorFromUnknown(cause);
          guard(() => {
            this.opts.onError({ error, path: undefined, req });
            this.respond({ id: null, error: this.shape(error, 'unknown', undefined, undefined) });
          });
          setImmediate(() => client.close());
          return { ok: false, error };
        },
      );
  }

  message(raw: RawData, isBinary: boolean): void {
    const text = isBinary ? null : raw.toString();
    if (text === 'PONG') return;
    if (text === 'PING') {
      this.client.send('PONG');
      return;
    }
    if (this.awaitingParams) {
      this.awaitingParams = false;
      // Only the connection-params message itself is skipped; anything else is a call.
      if (text?.includes('"connectionParams"') && isConnectionParams(text)) return;
    }
    let messages: Message[];
    try {
      if (text === null) throw new Error('binary messages are not supported');
      const json: unknown = JSON.parse(text);
      // More calls in one message than the socket may send at once: one refusal for the message,
      // not a reply per call (a 100 KB frame holds thousands of them).
      if (Array.isArray(json) && json.length > this.limits.burst) {
        const error = new TRPCErrorClass({ code: 'TOO_MANY_REQUESTS', message: `at most ${this.limits.burst} calls in one message` });
        this.fail(null, undefined, error, 'unknown');
        return;
      }
      const transformer = this.opts.router._def._config.transformer;
      messages = (Array.isArray(json) ? json : [json]).map((one) => parseTRPCMessage(one, transformer));
    } catch (cause) {
      this.fail(null, undefined, new TRPCErrorClass({ code: 'PARSE_ERROR', cause }), 'unknown');
      return;
    }
    const running = this.shared.running;
    messages.forEach((message, index) => {
      // Stopping a running stream only frees resources: it costs no token (any other call does).
      const freeStop = message.method === 'subscription.stop' && message.id !== null && this.subscriptions?.has(message.id) === true;
      if (!freeStop && !this.take()) {
        const error = new TRPCErrorClass({ code: 'TOO_MANY_REQUESTS', message: 'too many calls on this connection; slow down' });
        guard(() =>
          message.method === 'subscription.stop'
            ? this.fail(message.id, message.jsonrpc, error, 'unknown')
            : this.fail(message.id, message.jsonrpc, error, message.method, message.params.path),
        );
        return;
      }
      const call = this.call(message, index).catch(ignore);
      running.add(call);
      void call.finally(() => running.delete(call));
    });
  }

  get limits(): SocketLimits {
    return this.opts.limits ?? SOCKET_LIMITS;
  }

  /** Takes one call from the socket's bucket; false when it is empty. */
  take(): boolean {
    const { burst, perSecond } = this.limits;
    const now = performance.now();
    this.tokens = Math.min(burst, this.tokens + ((now - this.refilledAt) * perSecond) / 1000);
    this.refilledAt = now;
    if (this.tokens < 1) return false;
    this.tokens--;
    return true;
  }

  /** The refusal of a new subscription once the socket has as many open as it may. */
  subscriptionCapRefusal(): TRPCError | null {
    const max = this.limits.subscriptions;
    if ((this.subscriptions?.size ?? 0) < max) return null;
    return new TRPCErrorClass({ code: 'TOO_MANY_REQUESTS', message: `at most ${max} open subscriptions per connection; stop one first` });
  }

  close(): void {
    // The socket is gone: nothing to say to it.
    if (this.subscriptions) for (const sub of this.subscriptions.values()) this.end(sub, false);
    this.subscriptions = null;
  }

  respond(response: object): void {
    this.client.send(JSON.stringify(transformTRPCResponse(this.opts.router._def._config, response as never)));
  }

  shape(error: TRPCError, type: ProcedureType | 'unknown', path: string | undefined, input: unknown) {
    return getErrorShape({ config: this.opts.router._def._config, error, type, path, input, ctx: this.ctx });
  }

  fail(
    id: number | string | null,
    jsonrpc: '2.0' | undefined,
    cause: unknown,
    type: ProcedureType | 'unknown',
    path?: string,
    input?: unknown,
  ) {
    const error = getTRPCErrorFromUnknown(cause);
    this.opts.onError({ error, path, req: this.req });
    this.respond({ id, jsonrpc, error: this.shape(error, type, path, input) });
  }

  async call(msg: Message, batchIndex: number): Promise<void> {
    const { id, jsonrpc } = msg;
    if (id === null) {
      this.fail(id, jsonrpc, new TRPCErrorClass({ code: 'PARSE_ERROR', message: '`id` is required' }), 'unknown');
      return;
    }
    if (msg.method === 'subscription.stop') {
      const sub = this.subscriptions?.get(id);
      if (sub) this.end(sub, true);
      return;
    }
    const type = msg.method;
    const { path, lastEventId } = msg.params;
    let input = msg.params.input;
    if (lastEventId !== undefined) {
      input = typeof input === 'object' && input !== null && !Array.isArray(input) ? { ...input, lastEventId } : (input ?? { lastEventId });
    }
    try {
      const refusal = this.opts.refuse?.(path);
      if (refusal) throw new TRPCErrorClass(refusal);
      // Checked again once the stream exists: several may be starting at once.
      if (type === 'subscription') {
        const full = this.subscriptionCapRefusal();
        if (full) throw full;
      }
      const ready = await this.ready;
      if (!ready.ok) throw ready.error;
      const controller = new AbortController();
      const result = await callProcedure({
        router: this.opts.router,
        path,
        getRawInput: async () => input,
        ctx: ready.ctx,
        type,
        signal: controller.signal,
        batchIndex,
      });
      const iterable = isObservable(result) || isAsyncIterable(result);
      if (type !== 'subscription') {
        if (iterable) {
          throw new TRPCErrorClass({
            code: 'UNSUPPORTED_MEDIA_TYPE',
            message: `Cannot return an async iterable or observable from a ${type} procedure with WebSockets`,
          });
        }
        this.respond({ id, jsonrpc, result: { type: 'data', data: result } });
        return;
      }
      if (!iterable) {
        throw new TRPCErrorClass({
          code: 'INTERNAL_SERVER_ERROR',
          message: `Subscription ${path} did not return an observable or a AsyncGenerator`,
        });
      }
      const source = isObservable(result) ? observableToAsyncIterable(result, controller.signal) : result;
      const iterator = source[Symbol.asyncIterator]();
      this.subscriptions ??= new Map();
      // A stream that will not run (the socket went while it started, a duplicate id, the cap) is
      // closed at once, so nothing it opened (bus listeners, rechecks) outlives the refusal.
      const closed = this.client.readyState !== this.client.OPEN;
      const startRefusal = closed
        ? null
        : this.subscriptions.has(id)
          ? new TRPCErrorClass({ code: 'BAD_REQUEST', message: `Duplicate id ${id}` })
          : this.subscriptionCapRefusal();
      if (closed || startRefusal) {
        controller.abort();
        await Promise.resolve()
          .then(() => iterator.return?.())
          .catch(ignore);
        if (startRefusal) throw startRefusal;
        return;
      }
      const sub: Subscription = { id, jsonrpc, path, input, iterator, controller, stopped: false };
      this.subscriptions.set(id, sub);
      this.pull(sub);
      this.respond({ id, jsonrpc, result: { type: 'started' } });
    } catch (cause) {
      this.fail(id, jsonrpc, cause, type, path, input);
    }
  }

  /** Asks for the next event; answers with it (then asks again), with the end or with the error. */
  pull(sub: Subscription): void {
    Promise.resolve()
      .then(() => sub.iterator.next())
      .then((result) => {
        if (sub.stopped) return;
        if (result.done) {
          this.end(sub, true);
          return;
        }
        const value: unknown = result.value;
        // A tracked event carries its id, which the client sends back as lastEventId on reconnect.
        const data = isTrackedEnvelope(value)
          ? { type: 'data', id: value[0], data: { id: value[0], data: value[1] } }
          : { type: 'data', data: value };
        // Throws for what JSON cannot carry (a BigInt, a cycle): caught below, as a stream error.
        this.respond({ id: sub.id, jsonrpc: sub.jsonrpc, result: data });
        this.pull(sub);
      })
      .catch((cause: unknown) => {
        if (sub.stopped) return;
        // The error answers the client (which ends its subscription there); the stream is closed.
        guard(() => this.fail(sub.id, sub.jsonrpc, cause, 'subscription', sub.path, sub.input));
        this.end(sub, true);
      });
  }

  /**
   * Ends a stream once, whoever ends it (its own end or failure, the client's stop, the socket
   * closing): forgets it, aborts its signal, closes its iterator, then says `stopped` if `reply`.
   */
  end(sub: Subscription, reply: boolean): void {
    if (sub.stopped) return;
    sub.stopped = true;
    this.subscriptions?.delete(sub.id);
    sub.controller.abort();
    const closed = Promise.resolve().then(() => sub.iterator.return?.());
    if (!reply) {
      closed.catch(ignore);
      return;
    }
    closed
      .then(
        () => this.respond({ id: sub.id, jsonrpc: sub.jsonrpc, result: { type: 'stopped' } }),
        (cause: unknown) => this.fail(sub.id, sub.jsonrpc, cause, 'subscription', sub.path, sub.input),
      )
      .catch(ignore);
  }
}

const ignore = (): void => {};

function isConnectionParams(text: string): boolean {
  try {
    const message = JSON.parse(text) as { method?: unknown };
    return message.method === 'connectionParams';
  } catch {
    return false;
  }
}

/**
 * Runs a reply that could itself throw (a formatter or onError hook failing): a socket's trouble
 * must never become an unhandled rejection, which would stop the process.
 */
function guard(reply: () => void): void {
  try {
    reply();
  } catch {
    // Nothing more can be told to this client.
  }
}

/** tRPC's notice that makes its clients reconnect at once (to another instance, while this one drains). */
export const RECONNECT_NOTICE = JSON.stringify({ id: null, method: 'reconnect' });
