import type { AuthedContext } from '../context.ts';
import type { NumberColumn } from './batched.ts';
import { type EndOn, revocation, type Sequenced } from './publish.ts';
import { type LiveStreamOptions, liveStream } from './stream.ts';

/** Users' session versions (undefined: the user is gone), batched per interval of rechecks. */
const SESSION_VERSION: NumberColumn = { table: 'users', column: 'session_version' };

/** How a stream of the signed-in caller ends with the session (see `LiveStreamOptions`). */
export interface SessionBound {
  endOn: EndOn;
  allowKey: string;
  stillAllowed(): Promise<boolean>;
}

/**
 * The caller's session as a live stream's end: at once on sign-out (the revocation channel), at
 * the latest at the next recheck. Keeps only the shared connection, not the call's fork.
 */
export function sessionBound(ctx: AuthedContext): SessionBound {
  const { id, sessionVersion } = ctx.user;
  const { live } = ctx;
  const connection = ctx.em.getConnection();
  return {
    endOn: revocation.endOn(id),
    // Every socket of this session asks once per interval, not each on its own.
    allowKey: `${id}:${sessionVersion}`,
    // auth's loadSessionUser rule (the user still exists, the session version still matches),
    // read for every session of the process in one statement per interval.
    stillAllowed: async () => (await live.readNumber(connection, SESSION_VERSION, id)) === sessionVersion,
  };
}

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
  source: Pick<LiveStreamOptions<T>, 'channel' | 'parse' | 'backfill' | 'latestSeq' | 'admit' | 'recheckMs'>,
): AsyncGenerator<Sequenced<T>> {
  return liveStream<T>({
    ...source,
    ...sessionBound(ctx),
    live: ctx.live,
    startAfter: lastEventId ?? null,
    signal,
  });
}
