// The outbox's delivery worker: one per instance, created by the app and stopped at shutdown.
// Each pass claims what is due (outbox.ts), renders and sends it, and records the outcome. See
// README.md for what is guaranteed when a process dies or the SMTP server is away.
import addressparser from 'nodemailer/lib/addressparser';
import type { Db } from '../sql.ts';
import { renderOrderMail } from './order-mail.ts';
import { type ClaimedMail, claimDue, markFailed, markSent } from './outbox.ts';
import type { MailTransport, OutgoingMail } from './transports.ts';

/** Pino's signature, which the server's logger has. */
export interface MailLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export interface RetryPolicy {
  /** Wait after the first failed attempt; each further failure doubles it, up to `maxMs`. */
  baseMs: number;
  maxMs: number;
  /** Attempts before a message is given up (failed_at set, left for an operator). */
  maxAttempts: number;
  /** Up to this fraction is added at random, so many messages failing together don't retry together. */
  jitter: number;
}

export interface MailWorkerOptions {
  /** The shared connection (not a request's fork): the worker outlives every request. */
  db: Db;
  transport: MailTransport;
  /** MAIL_FROM; its domain names the Message-IDs. */
  from: string;
  log: MailLog;
  /** Pause between passes that found nothing more due. */
  pollMs?: number;
  /** Messages claimed and sent at once. */
  concurrency?: number;
  /** How long a claim keeps a message from other workers; a dead worker's claim ends with it. */
  leaseMs?: number;
  /** A send still unanswered after this is aborted: at most half the lease, so no other worker can claim it meanwhile. */
  sendTimeoutMs?: number;
  retry?: Partial<RetryPolicy>;
}

export interface MailWorker {
  start(): void;
  /** Claims what is due now and delivers it: one batch; the number claimed. */
  deliverDue(): Promise<number>;
  /** Stops claiming; sends under way may finish for `graceMs`, then are aborted (due again at once). */
  stop(graceMs?: number): Promise<void>;
}

const DEFAULT_RETRY: RetryPolicy = { baseMs: 30_000, maxMs: 3_600_000, maxAttempts: 30, jitter: 0.2 };

/** The wait after failed attempt `attempt` (1-based): base·2^(attempt−1), capped, plus jitter. */
export function backoffMs(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const wait = Math.min(policy.baseMs * 2 ** Math.max(0, attempt - 1), policy.maxMs);
  return wait * (1 + policy.jitter * random());
}

/** A refusal of this message or its recipient (5xx to RCPT TO or DATA): sending it again won't help. */
function refusedForGood(error: unknown): boolean {
  const e = error as { code?: string; permanent?: boolean };
  return e.permanent === true && (e.code === 'EENVELOPE' || e.code === 'EMESSAGE');
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The domain of MAIL_FROM's address, for Message-IDs the receiving side can deduplicate on. */
function idDomain(from: string): string {
  const [first] = addressparser(from, { flatten: true });
  return first?.address?.split('@')[1] || 'localhost';
}

export function createMailWorker(options: MailWorkerOptions): MailWorker {
  const { db, transport, from, log, pollMs = 1_000, concurrency = 4, leaseMs = 120_000 } = options;
  const sendTimeoutMs = options.sendTimeoutMs ?? leaseMs / 2;
  if (sendTimeoutMs > leaseMs / 2) throw new Error('sendTimeoutMs must be at most half of leaseMs');
  const retry = { ...DEFAULT_RETRY, ...options.retry };
  const domain = idDomain(from);
  const shutdown = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let pass: Promise<void> | undefined;
  let started = false;
  let stopped = false;
  let lastClaimError = '';

  /** The ack is recorded before anything else: a crash between the two is the one way to send twice. */
  async function recordSent(mail: ClaimedMail, receipt: string): Promise<void> {
    for (const pauseMs of [0, 100, 1_000]) {
      if (pauseMs) await new Promise((resolve) => setTimeout(resolve, pauseMs));
      try {
        await markSent(db, mail.id, receipt);
        return;
      } catch (error) {
        log.warn({ outboxId: mail.id, err: describeError(error) }, 'e-mail sent, recording it failed: retrying');
      }
    }
    log.error({ outboxId: mail.id }, 'e-mail sent but not recorded: it will be sent again, with the same Message-ID, once its lease ends');
  }

  async function deliver(mail: ClaimedMail): Promise<void> {
    const fields = { outboxId: mail.id, orderId: mail.order.id, kind: mail.kind, attempt: mail.attempt };
    const timeout = AbortSignal.timeout(sendTimeoutMs);
    let receipt: string;
    try {
      const outgoing: OutgoingMail = {
        ...renderOrderMail(mail.kind, mail.order, mail.to),
        id: mail.id,
        from,
        to: mail.to,
        messageId: `<${mail.id}@${domain}>`,
        date: mail.createdAt,
      };
      receipt = await transport.send(outgoing, AbortSignal.any([shutdown.signal, timeout]));
    } catch (error) {
      const stopping = shutdown.signal.aborted;
      const giveUp = !stopping && (refusedForGood(error) || mail.attempt >= retry.maxAttempts);
      const retryInMs = stopping ? 0 : backoffMs(mail.attempt, retry);
      const err = stopping
        ? 'aborted: this instance is shutting down'
        : timeout.aborted
          ? `aborted: no answer within ${sendTimeoutMs} ms`
          : describeError(error);
      await markFailed(db, mail, { error: err, retryInMs, giveUp }).catch((e: unknown) =>
        log.warn({ ...fields, err: describeError(e) }, 'recording a failed e-mail failed: due again when its lease ends'),
      );
      if (giveUp) log.error({ ...fields, err }, 'e-mail given up');
      else log.warn({ ...fields, err, retryInS: Math.round(retryInMs / 1000) }, 'e-mail not sent: will retry');
      return;
    }
    await recordSent(mail, receipt);
    log.info({ ...fields, via: transport.description, receipt }, 'e-mail sent');
  }

  async function deliverDue(): Promise<number> {
    const mails = await claimDue(db, concurrency, leaseMs);
    await Promise.all(mails.map(deliver));
    return mails.length;
  }

  async function run(): Promise<void> {
    try {
      // A full batch suggests more is due: claim again at once.
      let claimed = concurrency;
      while (!stopped && claimed === concurrency) claimed = await deliverDue();
      lastClaimError = '';
    } catch (error) {
      // Once per kind of failure (the database away), not on every poll.
      const message = describeError(error);
      if (message !== lastClaimError) log.warn({ err: message }, 'e-mail outbox: claiming failed');
      lastClaimError = message;
    }
    schedule();
  }

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(() => {
      pass = run();
    }, pollMs);
  }

  return {
    start() {
      if (started || stopped) return;
      started = true;
      pass = run();
    },
    deliverDue,
    async stop(graceMs = 5_000) {
      stopped = true;
      clearTimeout(timer);
      const abortLate = setTimeout(() => shutdown.abort(new Error('shutting down')), graceMs);
      await pass;
      clearTimeout(abortLate);
      transport.close();
    },
  };
}
