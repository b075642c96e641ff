import { loadSessionUser } from '../auth/auth.service.ts';
import type { AuthedContext } from '../context.ts';
import { type LiveStreamOptions, liveStream, revocation, type Sequenced } from './stream.ts';

/**
 * A live stream for the signed-in caller, resuming after `lastEventId`: it ends when the user signs
 * out (at once through the revocation channel, at the latest at the next recheck).
 *
 * It keeps only the shared database connection, not the call's EntityManager fork: an idle stream
 * lives as long as its socket, and a fork (unit of work, identity map with the session's user)
 * per socket is most of what a subscription would otherwise hold.
 */
export function userLiveStream<T>(
  ctx: AuthedContext,
  lastEventId: number | null | undefined,
  signal: AbortSignal | undefined,
  source: Pick<LiveStreamOptions<T>, 'channel' | 'parse' | 'backfill' | 'latestSeq' | 'admit'>,
): AsyncGenerator<Sequenced<T>> {
  const { id, sessionVersion } = ctx.user;
  const connection = ctx.em.getConnection();
  return liveStream<T>({
    ...source,
    bus: ctx.bus,
    endOn: revocation.endOn(id),
    startAfter: lastEventId ?? null,
    signal,
    // Every socket of this session asks once per interval, not each on its own.
    allowKey: `${id}:${sessionVersion}`,
    stillAllowed: async () => (await loadSessionUser(connection, id, sessionVersion)) !== null,
  });
}
