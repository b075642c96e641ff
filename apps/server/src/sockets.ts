// tRPC over WebSocket (the protocol of @trpc/client's wsLink), with less held per socket than
// @trpc/server's adapter: an idle subscription there keeps an async loop, a promise race with its
// subscribers and an abort listener (about 6 KB); here it keeps one record and one pending `next()`.
// Built on @trpc/server's public exports only; sockets.conformance.test.ts checks the protocol
// against tRPC's own client and adapter.
import { type AnyRouter, callTRPCProcedure, getErrorShape, getTRPCErrorFromUnknown, TRPCError, transformTRPCResponse } from '@trpc/server';
import { parseTRPCMessage } from '@trpc/server/rpc';
import type { RawData, WebSocket } from 'ws';
import {
  type CallBucket,
  SOCKET_LIMITS,
  type SocketLimits,
  subscriptionCapRefusal,
  takeCall,
  tooManyCalls,
  tooManyInOneMessage,
} from './socket-limits.ts';
import { type CallId, guard, ignore, isStream, type ProcedureType, type Stream, type StreamOwner, startStream } from './socket-stream.ts';

export interface SocketHandlerOptions<TRouter extends AnyRouter, TRequest> {
  router: TRouter;
  createContext(req: TRequest): Promise<unknown>;
  onError(opts: { error: TRPCError; path: string | undefined; req: TRequest }): void;
  /** Why a call to `path` is refused on a socket, or null (procedures that need HTTP). */
  refuse?(path: string): { code: 'BAD_REQUEST' | 'METHOD_NOT_SUPPORTED'; message: string } | null;
  limits?: SocketLimits;
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
      (client as Served)[CONNECTION] = new Connection(opts, shared, client, req);
      client.on('message', onMessage);
      client.on('error', onError);
      // `on`, not `once`: a socket closes once, and `once` would keep a wrapper and its state per socket.
      client.on('close', onClose);
    },
    answered: async () => {
      await Promise.allSettled([...shared.running]);
    },
  };
}

/**
 * The socket's listeners are the same three functions for every socket (`this` is the socket),
 * which finds its connection here: three closures and their scope fewer per socket.
 */
const CONNECTION = Symbol('connection');
type Served = WebSocket & { [CONNECTION]: Connection<AnyRouter, { url: string }> };

function onMessage(this: WebSocket, raw: RawData, isBinary: boolean): void {
  (this as Served)[CONNECTION].message(raw, isBinary);
}

function onError(this: WebSocket, cause: Error): void {
  const connection = (this as Served)[CONNECTION];
  connection.opts.onError({ error: getTRPCErrorFromUnknown(cause), path: undefined, req: connection.req });
}

function onClose(this: WebSocket): void {
  (this as Served)[CONNECTION].close();
}

/** One socket: methods on the prototype, so a connection costs its fields, not a closure each. */
class Connection<TRouter extends AnyRouter, TRequest extends { url: string }> implements StreamOwner, CallBucket {
  readonly opts: SocketHandlerOptions<TRouter, TRequest>;
  readonly shared: Shared;
  readonly client: WebSocket;
  readonly req: TRequest;
  readonly ready: Promise<Outcome>;
  ctx: unknown;
  subscriptions: Map<CallId, Stream> | null = null;
  /**
   * The wsLink sends its connection params first when the URL asks for them; our context is made
   * from the upgrade request alone, so that message is only read.
   */
  awaitingParams: boolean;
  /** The call-rate bucket (socket-limits.ts). */
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
        this.fail(null, undefined, tooManyInOneMessage(this.limits), 'unknown');
        return;
      }
      const transformer = this.opts.router._def._config.transformer;
      messages = (Array.isArray(json) ? json : [json]).map((one) => parseTRPCMessage(one, transformer));
    } catch (cause) {
      this.fail(null, undefined, new TRPCError({ code: 'PARSE_ERROR', cause }), 'unknown');
      return;
    }
    const running = this.shared.running;
    messages.forEach((message, index) => {
      // Stopping a running stream only frees resources: it costs no token (any other call does).
      const freeStop = message.method === 'subscription.stop' && message.id !== null && this.subscriptions?.has(message.id) === true;
      if (!freeStop && !takeCall(this, this.limits)) {
        const error = tooManyCalls();
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

  get open(): boolean {
    return this.client.readyState === this.client.OPEN;
  }

  subscriptionCapRefusal(): TRPCError | null {
    return subscriptionCapRefusal(this.subscriptions?.size ?? 0, this.limits);
  }

  close(): void {
    // The socket is gone: nothing to say to it.
    if (this.subscriptions) for (const sub of this.subscriptions.values()) sub.end(false);
    this.subscriptions = null;
  }

  respond(response: object): void {
    this.client.send(JSON.stringify(transformTRPCResponse(this.opts.router._def._config, response as never)));
  }

  shape(error: TRPCError, type: ProcedureType | 'unknown', path: string | undefined, input: unknown) {
    return getErrorShape({ config: this.opts.router._def._config, error, type, path, input, ctx: this.ctx });
  }

  fail(id: CallId | null, jsonrpc: '2.0' | undefined, cause: unknown, type: ProcedureType | 'unknown', path?: string, input?: unknown) {
    const error = getTRPCErrorFromUnknown(cause);
    this.opts.onError({ error, path, req: this.req });
    this.respond({ id, jsonrpc, error: this.shape(error, type, path, input) });
  }

  async call(msg: Message, batchIndex: number): Promise<void> {
    const { id, jsonrpc } = msg;
    if (id === null) {
      this.fail(id, jsonrpc, new TRPCError({ code: 'PARSE_ERROR', message: '`id` is required' }), 'unknown');
      return;
    }
    if (msg.method === 'subscription.stop') {
      const sub = this.subscriptions?.get(id);
      sub?.end(true);
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
      if (refusal) throw new TRPCError(refusal);
      // Checked again once the stream exists: several may be starting at once.
      if (type === 'subscription') {
        const full = this.subscriptionCapRefusal();
        if (full) throw full;
      }
      const ready = await this.ready;
      if (!ready.ok) throw ready.error;
      const controller = new AbortController();
      const result = await callTRPCProcedure({
        router: this.opts.router,
        path,
        getRawInput: async () => input,
        ctx: ready.ctx,
        type,
        signal: controller.signal,
        batchIndex,
      });
      if (type === 'subscription') {
        await startStream(this, { id, jsonrpc, path, input }, result, controller);
        return;
      }
      if (isStream(result)) {
        throw new TRPCError({
          code: 'UNSUPPORTED_MEDIA_TYPE',
          message: `Cannot return an async iterable or observable from a ${type} procedure with WebSockets`,
        });
      }
      this.respond({ id, jsonrpc, result: { type: 'data', data: result } });
    } catch (cause) {
      this.fail(id, jsonrpc, cause, type, path, input);
    }
  }
}

function isConnectionParams(text: string): boolean {
  try {
    const message = JSON.parse(text) as { method?: unknown };
    return message.method === 'connectionParams';
  } catch {
    return false;
  }
}

/** tRPC's notice that makes its clients reconnect at once (to another instance, while this one drains). */
export const RECONNECT_NOTICE = JSON.stringify({ id: null, method: 'reconnect' });
