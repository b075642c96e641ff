// A subscription on a socket: started (or refused and closed at once), then asking its iterator
// for the next event, answering with it, and ending once, whoever ends it.
import { isTrackedEnvelope, TRPCError } from '@trpc/server';
import { isObservable, type Observable, observableToAsyncIterable } from '@trpc/server/observable';

export type ProcedureType = 'query' | 'mutation' | 'subscription';
export type CallId = number | string;

/** What a stream needs of its connection. */
export interface StreamOwner {
  /** The socket's running streams by call id; null once the socket has closed. */
  subscriptions: Map<CallId, Stream> | null;
  /** Whether the socket is still open. */
  readonly open: boolean;
  /** Why one more stream may not open on the socket, or null. */
  subscriptionCapRefusal(): TRPCError | null;
  respond(response: object): void;
  fail(
    id: CallId | null,
    jsonrpc: '2.0' | undefined,
    cause: unknown,
    type: ProcedureType | 'unknown',
    path?: string,
    input?: unknown,
  ): void;
}

interface StreamCall {
  id: CallId;
  jsonrpc: '2.0' | undefined;
  path: string;
  input: unknown;
}

/** What a procedure returns to stream: tRPC's own test (an observable, or an async iterable object). */
export function isStream(result: unknown): result is Observable<unknown, unknown> | AsyncIterable<unknown> {
  return (
    isObservable(result) || (typeof result === 'object' && result !== null && !Array.isArray(result) && Symbol.asyncIterator in result)
  );
}

/**
 * Runs a subscription procedure's result as one of the socket's streams and answers `started`.
 * A stream that will not run (the socket went while it started, a duplicate id, the cap) is
 * closed at once, so nothing it opened (bus listeners, rechecks) outlives the refusal, which is
 * thrown for the caller to answer.
 */
export async function startStream(owner: StreamOwner, call: StreamCall, result: unknown, controller: AbortController): Promise<void> {
  if (!isStream(result)) {
    throw new TRPCError({
      code: 'INTERNAL_SERVER_ERROR',
      message: `Subscription ${call.path} did not return an observable or a AsyncGenerator`,
    });
  }
  const source = isObservable(result) ? observableToAsyncIterable(result, controller.signal) : result;
  const iterator = source[Symbol.asyncIterator]();
  owner.subscriptions ??= new Map();
  const closed = !owner.open;
  const refusal = closed
    ? null
    : owner.subscriptions.has(call.id)
      ? new TRPCError({ code: 'BAD_REQUEST', message: `Duplicate id ${call.id}` })
      : owner.subscriptionCapRefusal();
  if (closed || refusal) {
    controller.abort();
    await Promise.resolve()
      .then(() => iterator.return?.())
      .catch(ignore);
    if (refusal) throw refusal;
    return;
  }
  const stream = new Stream(owner, call, iterator, controller);
  owner.subscriptions.set(call.id, stream);
  stream.pull();
  owner.respond({ id: call.id, jsonrpc: call.jsonrpc, result: { type: 'started' } });
}

/** A class, so each subscription costs its fields, with the methods shared on the prototype. */
export class Stream {
  readonly owner: StreamOwner;
  readonly id: CallId;
  readonly jsonrpc: '2.0' | undefined;
  readonly path: string;
  readonly input: unknown;
  readonly iterator: AsyncIterator<unknown>;
  readonly controller: AbortController;
  stopped = false;

  constructor(owner: StreamOwner, call: StreamCall, iterator: AsyncIterator<unknown>, controller: AbortController) {
    this.owner = owner;
    this.id = call.id;
    this.jsonrpc = call.jsonrpc;
    this.path = call.path;
    this.input = call.input;
    this.iterator = iterator;
    this.controller = controller;
  }

  /** Asks for the next event; answers with it (then asks again), with the end or with the error. */
  pull(): void {
    Promise.resolve()
      .then(() => this.iterator.next())
      .then((result) => {
        if (this.stopped) return;
        if (result.done) {
          this.end(true);
          return;
        }
        const value: unknown = result.value;
        // A tracked event carries its id, which the client sends back as lastEventId on reconnect.
        const data = isTrackedEnvelope(value)
          ? { type: 'data', id: value[0], data: { id: value[0], data: value[1] } }
          : { type: 'data', data: value };
        // Throws for what JSON cannot carry (a BigInt, a cycle): caught below, as a stream error.
        this.owner.respond({ id: this.id, jsonrpc: this.jsonrpc, result: data });
        this.pull();
      })
      .catch((cause: unknown) => {
        if (this.stopped) return;
        // The error answers the client (which ends its subscription there); the stream is closed.
        guard(() => this.owner.fail(this.id, this.jsonrpc, cause, 'subscription', this.path, this.input));
        this.end(true);
      });
  }

  /**
   * Ends the stream once, whoever ends it (its own end or failure, the client's stop, the socket
   * closing): forgets it, aborts its signal, closes its iterator, then says `stopped` if `reply`.
   */
  end(reply: boolean): void {
    if (this.stopped) return;
    this.stopped = true;
    this.owner.subscriptions?.delete(this.id);
    this.controller.abort();
    const closed = Promise.resolve().then(() => this.iterator.return?.());
    if (!reply) {
      closed.catch(ignore);
      return;
    }
    closed
      .then(
        () => this.owner.respond({ id: this.id, jsonrpc: this.jsonrpc, result: { type: 'stopped' } }),
        (cause: unknown) => this.owner.fail(this.id, this.jsonrpc, cause, 'subscription', this.path, this.input),
      )
      .catch(ignore);
  }
}

export const ignore = (): void => {};

/**
 * Runs a reply that could itself throw (a formatter or onError hook failing): a socket's trouble
 * must never become an unhandled rejection, which would stop the process.
 */
export function guard(reply: () => void): void {
  try {
    reply();
  } catch {
    // Nothing more can be told to this client.
  }
}
