import type { Bus } from '@shop/bus';
import type { StaffStats } from '@shop/schemas';
import { requireStaffFactor } from '../auth/mfa.service.ts';
import type { AuthedContext } from '../context.ts';
import { ShopError } from '../errors.ts';
import { channels, publishQuietly } from '../live/publish.ts';
import { snapshotStream } from '../live/snapshot-stream.ts';
import { sessionBound } from '../live/user-stream.ts';
import { readStaffStats, sameStats } from './stats-query.ts';

/** However many changes a burst brings, a dashboard reads and receives at most one update per second. */
export const STATS_MIN_INTERVAL_MS = 1_000;

/**
 * After commit: the dashboards, on every instance, read the figures again (within a second). Called
 * by whatever changes them: orders placed, status changes, stock changes, sockets opening or closing.
 */
export function announceStatsChanged(bus: Bus): Promise<void> {
  return publishQuietly(bus, channels.stats, 1);
}

/**
 * The dashboard's figures now, then again after each announced change (at most one a second, only
 * when they differ) and at every recheck (15 s: a lost announcement, a minute passing, a crashed
 * instance's sockets expiring). Staff only, with the second factor where required; ends on sign-out.
 */
export function streamStaffStats(ctx: AuthedContext, signal: AbortSignal | undefined): AsyncGenerator<StaffStats, undefined> {
  if (ctx.user.role !== 'staff') throw new ShopError('FORBIDDEN', 'staff only');
  requireStaffFactor(ctx);
  // The shared connection, not the call's fork, which would live as long as the socket.
  const db = ctx.em.getConnection();
  return snapshotStream<StaffStats>({
    ...sessionBound(ctx),
    live: ctx.live,
    channel: channels.stats,
    load: () => readStaffStats(db),
    same: sameStats,
    minIntervalMs: STATS_MIN_INTERVAL_MS,
    signal,
  });
}
