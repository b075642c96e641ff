import { loadSessionUser } from '../auth/auth.service.ts';
import type { AuthedContext } from '../context.ts';
import { channels, type LiveStreamOptions, liveStream, type Sequenced } from './stream.ts';

/**
 * A live stream for the signed-in caller, resuming after `lastEventId`: it ends when the user signs
 * out (at once through the revocation channel, at the latest at the next recheck).
 */
export function userLiveStream<T>(
  ctx: AuthedContext,
  lastEventId: number | null | undefined,
  signal: AbortSignal | undefined,
  source: Pick<LiveStreamOptions<T>, 'channel' | 'parse' | 'backfill' | 'latestSeq'>,
): AsyncGenerator<Sequenced<T>> {
  const user = ctx.user;
  return liveStream<T>({
    ...source,
    bus: ctx.bus,
    endChannel: channels.userRevoked(user.id),
    startAfter: lastEventId ?? null,
    signal,
    stillAllowed: async () => (await loadSessionUser(ctx, user.id, user.sessionVersion)) !== null,
  });
}
