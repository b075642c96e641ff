// Streams over an in-memory log, for the live tests (not exported from the package).
import { sleep } from '@shop/proc';
import type { Sequenced } from './publish.ts';
import type { LiveRegistry } from './registry.ts';
import { type LiveStreamOptions, liveStream } from './stream.ts';

/** A stream with nothing stored, whose session is allowed: tests give what they vary. */
export const quietStream = (options: Pick<LiveStreamOptions<string>, 'live' | 'channel' | 'signal'> & Partial<LiveStreamOptions<string>>) =>
  liveStream<string>({
    parse: (message) => JSON.parse(message) as Sequenced<string>,
    backfill: async () => [],
    latestSeq: async () => 0,
    startAfter: null,
    stillAllowed: async () => true,
    ...options,
  });

/** A stored log of numbered events standing in for a table, and the registry's bus to announce them on. */
export function setup(live: LiveRegistry) {
  const log: Sequenced<string>[] = [];
  const append = async (item: string) => {
    const event = { seq: log.length + 1, item };
    log.push(event);
    await live.bus.publish('test', JSON.stringify(event));
  };
  const stream = (startAfter: number | null, signal: AbortSignal, recheckMs = 60_000) =>
    liveStream<string>({
      live,
      channel: 'test',
      parse: (message) => JSON.parse(message) as Sequenced<string>,
      backfill: async (after, limit) => log.filter((e) => e.seq > after).slice(0, limit),
      latestSeq: async () => log.length,
      startAfter,
      signal,
      stillAllowed: async () => true,
      recheckMs,
      maxBuffered: 3,
    });
  return { log, append, stream };
}

export async function take(iterable: AsyncGenerator<Sequenced<string>>, count: number, controller: AbortController) {
  const got: number[] = [];
  for await (const event of iterable) {
    got.push(event.seq);
    if (got.length === count) break;
  }
  controller.abort();
  return got;
}

export const tick = (ms = 20) => sleep(ms);
