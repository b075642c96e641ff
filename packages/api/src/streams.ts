import { tracked } from '@trpc/server';

/**
 * `source` with `map` applied to each value; `onStart` on the first pull, `onEnd` once when it
 * ends (done, failed or returned), like a generator's code before its loop and its `finally`.
 *
 * An iterator object rather than an async generator: each layer of a subscription is held for as
 * long as its socket is open, and a suspended async generator (frame, request queue, promises) is
 * several times the size of the one pending promise this keeps.
 */
export function mapStream<T, U>(source: AsyncIterable<T>, map: (value: T) => U, hooks?: StreamHooks): AsyncIterableIterator<U, undefined> {
  return new MappedStream(source, map, hooks);
}

/**
 * `source` with `hooks`. A layer of its own only where it cannot join `source`'s: an unstarted
 * `mapStream` without hooks takes them itself, one pending promise per socket fewer.
 */
export function withHooks<T>(source: AsyncIterable<T>, hooks: StreamHooks): AsyncIterableIterator<T, undefined> {
  if (source instanceof MappedStream && source.adopt(hooks)) return source as MappedStream<unknown, T>;
  return new MappedStream(source, identity, hooks);
}

const identity = <T>(value: T): T => value;

export interface StreamHooks {
  onStart(): void;
  onEnd(): void;
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

class MappedStream<T, U> implements AsyncIterableIterator<U, undefined> {
  #source: AsyncIterable<T> | null;
  #iterator: AsyncIterator<T> | null = null;
  #ended = false;
  readonly #map: (value: T) => U;
  #hooks: StreamHooks | undefined;

  constructor(source: AsyncIterable<T>, map: (value: T) => U, hooks: StreamHooks | undefined) {
    this.#source = source;
    this.#map = map;
    this.#hooks = hooks;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Takes `hooks` as its own if it has none and has not started; false otherwise. */
  adopt(hooks: StreamHooks): boolean {
    if (this.#hooks || this.#iterator || this.#ended) return false;
    this.#hooks = hooks;
    return true;
  }

  next(): Promise<IteratorResult<U, undefined>> {
    if (this.#ended) return Promise.resolve(DONE);
    if (!this.#iterator) {
      this.#iterator = (this.#source as AsyncIterable<T>)[Symbol.asyncIterator]();
      this.#source = null;
      this.#hooks?.onStart();
    }
    return this.#iterator.next().then(
      (result) => {
        if (!result.done) return { done: false, value: this.#map(result.value) };
        this.#end();
        return DONE;
      },
      (error: unknown) => {
        this.#end();
        throw error;
      },
    );
  }

  async return(): Promise<IteratorResult<U, undefined>> {
    if (this.#iterator && !this.#ended) {
      try {
        await this.#iterator.return?.();
      } finally {
        this.#end();
      }
    }
    this.#ended = true;
    return DONE;
  }

  #end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#hooks?.onEnd();
  }
}

/** A stream of numbered events as tRPC tracked events: the number is the id a client resumes after. */
export function trackedEvents<T>(events: AsyncIterable<{ seq: number; item: T }>) {
  return mapStream(events, toTracked);
}

// Module-level: a closure made per call would be kept by every open stream.
function toTracked<T>({ seq, item }: { seq: number; item: T }) {
  return tracked(String(seq), item);
}
