// This instance's open WebSockets, reported where every instance's dashboard reads them (the
// socket_presence table) and announced on the bus when the number changes.
import { randomUUID } from 'node:crypto';
import type { ProcedureObserver } from '@shop/api';
import type { Bus } from '@shop/bus';
import type { Orm } from '@shop/db';
import { stats } from '@shop/domain';

export interface PresenceTiming {
  /** How often the count is compared with the last one reported (and reported if it changed). */
  tickMs: number;
  /** How often it is reported anyway; a row not refreshed for three of these counts no more. */
  heartbeatMs: number;
}

export const PRESENCE_TIMING: PresenceTiming = { tickMs: 1_000, heartbeatMs: 10_000 };

export interface PresenceOptions {
  orm: Orm;
  bus: Bus;
  instanceName: string;
  /** The open sockets now. */
  count(): number;
  timing?: PresenceTiming;
  onError(error: unknown): void;
}

export interface Presence {
  /** Reports and announces once more, now (tests; the timer does it otherwise). */
  flush(): Promise<void>;
  /** Stops reporting and removes this instance's row. */
  stop(): Promise<void>;
}

/** The staff dashboard's subscription: its socket is staff watching, not a shopper. */
const DASHBOARD = 'admin.stats.onUpdate';

/**
 * `observer` that also counts the open dashboard streams, so the sockets reported can leave them
 * out (a dashboard counting itself as a shopper online would never show 0).
 */
export function countingDashboards(observer: ProcedureObserver): { observer: ProcedureObserver; open(): number } {
  let open = 0;
  return {
    observer: {
      called: (call) => observer.called(call),
      streaming(path, delta) {
        if (path === DASHBOARD) open += delta;
        observer.streaming(path, delta);
      },
    },
    open: () => open,
  };
}

/**
 * A timer per process, not a listener per socket: tens of thousands of sockets open and close
 * without a cost each, and a burst of them is at most one write and one announcement per tick.
 */
export function reportPresence({ orm, bus, instanceName, count, timing = PRESENCE_TIMING, onError }: PresenceOptions): Presence {
  const db = orm.em.getConnection();
  // Its own id: instance names are for people, and two processes may share one.
  const instance = randomUUID();
  let reported: number | null = null;
  let reportedAt = 0;
  let running: Promise<void> = Promise.resolve();
  let stopped = false;

  const report = async (force: boolean) => {
    const sockets = count();
    if (!force && sockets === reported && performance.now() - reportedAt < timing.heartbeatMs) return;
    try {
      await stats.reportSockets(db, { instance, name: instanceName, sockets, ttlMs: 3 * timing.heartbeatMs });
      reportedAt = performance.now();
      if (sockets !== reported) await stats.announceStatsChanged(bus);
      reported = sockets;
    } catch (error) {
      // The next tick tries again; meanwhile the last report stands until it expires.
      reported = null;
      onError(error);
    }
  };
  // One report at a time, in order.
  const enqueue = (force: boolean) => {
    running = running.then(() => (stopped ? undefined : report(force)));
    return running;
  };

  const timer = setInterval(() => void enqueue(false), timing.tickMs);
  timer.unref();
  void enqueue(true);

  return {
    flush: () => enqueue(true),
    async stop() {
      stopped = true;
      clearInterval(timer);
      // Bounded: a shutdown with the database gone must not wait on it (the row then expires).
      const removed = running.then(() => stats.removeSockets(db, instance)).then(() => stats.announceStatsChanged(bus));
      const timeout = new Promise<void>((resolve) => setTimeout(resolve, 2_000).unref());
      await Promise.race([removed.catch(onError), timeout]);
    },
  };
}
