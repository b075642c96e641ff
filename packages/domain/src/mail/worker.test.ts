// The worker against a real SMTP server in this process: what arrives, retries with backoff,
// permanent refusals, and two workers (two connection pools, as two instances) sharing the rows.
import { createOrm, type Orm } from '@shop/db';
import { createTestDatabase, type TestDatabase } from '@shop/db/testing';
import { sleep, waitFor } from '@shop/proc';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { type Reply, startTestSmtpServer, type TestSmtpServer } from '../testing/smtp.ts';
import { clearOutbox, memoryLog, orderWithMail, outboxRows } from './test-mails.ts';
import { smtpTransport } from './transports.ts';
import { backoffMs, createMailWorker, type MailWorker, type MailWorkerOptions } from './worker.ts';

const FROM = 'Test Shop <orders@shop.example>';
const SCRIPT = '<script>alert(1)</script>';

let db: TestDatabase;
let smtp: TestSmtpServer;
const workers: MailWorker[] = [];

function worker(options: Partial<MailWorkerOptions> = {}): MailWorker {
  const w = createMailWorker({
    db: db.orm.em.getConnection(),
    transport: smtpTransport(smtp.url),
    from: FROM,
    log: memoryLog(),
    pollMs: 25,
    ...options,
  });
  workers.push(w);
  return w;
}

beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'));
});
afterAll(() => db?.drop());
beforeEach(async () => {
  await clearOutbox(db);
  smtp = await startTestSmtpServer();
});
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.stop(0)));
  await smtp.close();
});

describe('delivery over SMTP', () => {
  it('sends the confirmation with plain-text and HTML parts, user strings escaped, then records it sent', async () => {
    const { order, outboxId, email } = await orderWithMail(db, {
      userName: `Eve ${SCRIPT}`,
      productName: `Lamp ${SCRIPT}`,
      priceCents: 1_999,
    });
    worker().start();
    await smtp.acceptedCount(1);
    const [mail] = smtp.accepted;
    if (!mail) throw new Error('nothing arrived');
    const { parsed } = mail;

    expect(parsed.subject).toBe(`Your order #${order.number} is confirmed`);
    expect(parsed.from?.value).toEqual([{ name: 'Test Shop', address: 'orders@shop.example' }]);
    expect(parsed.to && !Array.isArray(parsed.to) ? parsed.to.value : []).toEqual([{ name: `Eve ${SCRIPT}`, address: email }]);
    expect(parsed.messageId).toBe(`<${outboxId}@shop.example>`);
    // Text: the names as typed; HTML: the same names, escaped, and no markup of theirs.
    expect(parsed.text).toContain(`Hello Eve ${SCRIPT},`);
    expect(parsed.text).toContain(`2 × Lamp ${SCRIPT} at €19.99: €39.98`);
    expect(parsed.text).toContain('Total: €39.98');
    const html = String(parsed.html);
    expect(html).not.toContain('<script>');
    expect(html).toContain('Hello Eve &lt;script&gt;alert(1)&lt;/script&gt;,');
    expect(html).toContain('Lamp &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('€39.98');

    await waitFor(async () => (await outboxRows(db))[0]?.sent === true, 'the row recorded sent', { timeoutMs: 5_000, intervalMs: 20 });
    expect(await outboxRows(db)).toEqual([expect.objectContaining({ id: outboxId })]);
    const [row] = await outboxRows(db);
    expect(row).toMatchObject({ attempts: 1, sent: true, failed: false, last_error: null, receipt: expect.stringMatching(/^250 /) });
  });

  it('retries a refused message with exponential backoff until the server takes it', async () => {
    const { outboxId } = await orderWithMail(db);
    let refusals = 2;
    smtp.reply = () => (refusals-- > 0 ? { refuse: 451, message: 'try again later' } : 'accept');
    const baseMs = 300;
    worker({ retry: { baseMs, maxMs: 60_000, jitter: 0 } }).start();

    await waitFor(async () => smtp.attempts.length >= 1, 'the first attempt', { timeoutMs: 5_000, intervalMs: 10 });
    await waitFor(async () => (await outboxRows(db)).some((r) => r.last_error !== null), 'the failure recorded', {
      timeoutMs: 5_000,
      intervalMs: 10,
    });
    const [failed] = await outboxRows(db);
    expect(failed).toMatchObject({ id: outboxId, attempts: 1, sent: false, failed: false, last_error: expect.stringContaining('451') });
    expect(failed?.due_in_ms).toBeGreaterThan(0);
    expect(failed?.due_in_ms).toBeLessThanOrEqual(baseMs);

    await smtp.acceptedCount(1);
    const [a, b, c] = smtp.attempts.map((m) => m.at);
    if (a === undefined || b === undefined || c === undefined) throw new Error('expected three attempts');
    // 300 ms after the first refusal, 600 ms after the second (claims poll every 25 ms).
    expect(b - a).toBeGreaterThanOrEqual(baseMs - 10);
    expect(b - a).toBeLessThan(2 * baseMs);
    expect(c - b).toBeGreaterThanOrEqual(2 * baseMs - 10);
    expect(c - b).toBeLessThan(4 * baseMs);
    expect(new Set(smtp.attempts.map((m) => m.messageId))).toEqual(new Set([`<${outboxId}@shop.example>`]));
    await waitFor(async () => (await outboxRows(db))[0]?.sent === true, 'the row recorded sent', { timeoutMs: 5_000, intervalMs: 20 });
    expect((await outboxRows(db))[0]).toMatchObject({ attempts: 3, last_error: null });
  });

  it('gives up on a message the server refuses for good, and sends nothing more', async () => {
    await orderWithMail(db);
    smtp.reply = () => ({ refuse: 550, message: 'no such mailbox' });
    const log = memoryLog();
    worker({ log, retry: { baseMs: 10, jitter: 0 } }).start();
    await waitFor(async () => (await outboxRows(db))[0]?.failed === true, 'the message given up', { timeoutMs: 5_000, intervalMs: 20 });
    await sleep(300);
    expect(smtp.attempts).toHaveLength(1);
    expect((await outboxRows(db))[0]).toMatchObject({ attempts: 1, sent: false, last_error: expect.stringContaining('550') });
    expect(log.lines.filter((l) => l.level === 'error').map((l) => l.message)).toEqual(['e-mail given up']);
  });
});

describe('stopping', () => {
  it('aborts a send still unanswered after the grace period and leaves it due at once', async () => {
    await orderWithMail(db);
    smtp.reply = () => 'hold';
    const w = worker({ leaseMs: 60_000 });
    w.start();
    await smtp.nextHeld();
    await w.stop(100);
    const [row] = await outboxRows(db);
    expect(row).toMatchObject({ attempts: 1, sent: false, failed: false, last_error: expect.stringContaining('shutting down') });
    expect(row?.due_in_ms).toBeLessThanOrEqual(0);
  });
});

describe('giving up', () => {
  it('stops after maxAttempts temporary refusals', async () => {
    await orderWithMail(db);
    smtp.reply = () => ({ refuse: 451, message: 'still busy' });
    worker({ retry: { baseMs: 20, maxAttempts: 3, jitter: 0 } }).start();
    await waitFor(async () => (await outboxRows(db))[0]?.failed === true, 'the message given up', { timeoutMs: 5_000, intervalMs: 20 });
    await sleep(300);
    expect(smtp.attempts).toHaveLength(3);
    expect((await outboxRows(db))[0]).toMatchObject({ attempts: 3, sent: false, last_error: expect.stringContaining('451') });
  });
});

describe('backoffMs', () => {
  it('doubles from the base, stops at the cap, and adds at most the jitter', () => {
    const policy = { baseMs: 1_000, maxMs: 10_000, maxAttempts: 9, jitter: 0.5 };
    expect([1, 2, 3, 4, 5, 9].map((n) => backoffMs(n, policy, () => 0))).toEqual([1_000, 2_000, 4_000, 8_000, 10_000, 10_000]);
    expect(backoffMs(2, policy, () => 0.999)).toBeCloseTo(2_999, 0);
  });
});

describe('two workers', () => {
  let second: Orm;
  beforeAll(async () => {
    second = await createOrm({ url: db.url, poolMax: 4 });
  });
  afterAll(() => second?.close(true));

  it('share the due messages: each one sent once, by one of them', async () => {
    const queued = await Promise.all(Array.from({ length: 30 }, () => orderWithMail(db)));
    // A slow server keeps both busy at once.
    smtp.reply = async (): Promise<Reply> => {
      await sleep(15);
      return 'accept';
    };
    const logs = [memoryLog(), memoryLog()];
    worker({ log: logs[0], concurrency: 3 }).start();
    worker({ log: logs[1], concurrency: 3, db: second.em.getConnection() }).start();

    await smtp.acceptedCount(30);
    await sleep(300); // room for any duplicate to arrive
    const ids = smtp.attempts.map((m) => m.messageId);
    expect(ids).toHaveLength(30);
    expect(new Set(ids)).toEqual(new Set(queued.map((q) => `<${q.outboxId}@shop.example>`)));
    const sentBy = logs.map((log) => log.lines.filter((l) => l.message === 'e-mail sent').length);
    expect(sentBy[0]).toBeGreaterThan(0);
    expect(sentBy[1]).toBeGreaterThan(0);
    expect((sentBy[0] ?? 0) + (sentBy[1] ?? 0)).toBe(30);
    await waitFor(async () => (await outboxRows(db)).every((r) => r.sent), 'every row recorded sent', { timeoutMs: 5_000, intervalMs: 20 });
    expect((await outboxRows(db)).map((r) => r.attempts)).toEqual(Array(30).fill(1));
  });
});
