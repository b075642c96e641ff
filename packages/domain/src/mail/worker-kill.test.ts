// A worker process SIGKILLed while the SMTP server holds back its reply to DATA: the message is
// sent again once the claim's lease ends (same Message-ID), and the one acknowledged before the
// kill is never sent again.
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, type TestDatabase } from '@shop/db/testing';
import { sleep, spawnTracked, stop, waitFor } from '@shop/proc';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startTestSmtpServer, type TestSmtpServer } from '../testing/smtp.ts';
import { clearOutbox, orderWithMail, outboxRows } from './test-mails.ts';

const script = fileURLToPath(new URL('./test-worker-process.ts', import.meta.url));
const LEASE_MS = 4_000;

let db: TestDatabase;
let smtp: TestSmtpServer;
const children: ChildProcess[] = [];

function workerProcess(): { child: ChildProcess; output: string[] } {
  const output: string[] = [];
  const child = spawnTracked(process.execPath, [script], {
    env: { ...process.env, DATABASE_URL: db.url, SMTP_URL: smtp.url, LEASE_MS: String(LEASE_MS) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  children.push(child);
  return { child, output };
}

beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'));
  smtp = await startTestSmtpServer();
});
afterAll(async () => {
  await Promise.all(children.map((c) => stop(c, 'SIGKILL')));
  await smtp?.close();
  await db?.drop();
});

describe('a worker killed mid-delivery', () => {
  it('leaves its message due again after the lease, and sends none twice once acknowledged', async () => {
    await clearOutbox(db);
    const first = await orderWithMail(db);
    const second = await orderWithMail(db);
    const idOf = (outboxId: string) => `<${outboxId}@shop.example>`;
    let heldOnce = false;
    smtp.reply = (mail) => {
      if (mail.messageId !== idOf(second.outboxId) || heldOnce) return 'accept';
      heldOnce = true;
      return 'hold';
    };

    const doomed = workerProcess();
    const held = await smtp.nextHeld();
    expect(held.messageId).toBe(idOf(second.outboxId));
    // The whole message is in, its 250 not sent: the process dies waiting for it.
    doomed.child.kill('SIGKILL');
    await new Promise((resolve) => doomed.child.once('exit', resolve));
    const killedAt = performance.now();

    expect(smtp.accepted.map((m) => m.messageId)).toEqual([idOf(first.outboxId)]);
    const afterKill = await outboxRows(db);
    expect(afterKill.map((r) => [r.id, r.sent, r.attempts])).toEqual([
      [first.outboxId, true, 1],
      [second.outboxId, false, 1],
    ]);
    // Still claimed by the dead process: its lease has most of its time to run.
    expect(afterKill[1]?.due_in_ms).toBeGreaterThan(LEASE_MS / 2);

    const survivor = workerProcess();
    await smtp.acceptedCount(2, 3 * LEASE_MS);
    // Not before the dead claim's lease ended.
    expect((smtp.accepted[1]?.at ?? 0) - held.at).toBeGreaterThanOrEqual(LEASE_MS - 100);
    expect((smtp.accepted[1]?.at ?? 0) - killedAt).toBeGreaterThan(LEASE_MS / 2);

    await waitFor(async () => (await outboxRows(db)).every((r) => r.sent), 'both rows recorded sent', { timeoutMs: 5_000, intervalMs: 20 });
    // Past another lease: nothing is sent again.
    await sleep(LEASE_MS + 500);
    expect(smtp.attempts.map((m) => m.messageId)).toEqual([idOf(first.outboxId), idOf(second.outboxId), idOf(second.outboxId)]);
    expect(smtp.accepted.map((m) => m.messageId)).toEqual([idOf(first.outboxId), idOf(second.outboxId)]);
    expect((await outboxRows(db)).map((r) => [r.id, r.sent, r.attempts])).toEqual([
      [first.outboxId, true, 1],
      [second.outboxId, true, 2],
    ]);
    // The interrupted copy and the delivered one are the same message, byte for byte past the MIME boundaries.
    expect(smtp.attempts[2]?.parsed.text).toBe(held.parsed.text);
    expect(smtp.attempts[2]?.parsed.html).toBe(held.parsed.html);

    expect(await stop(survivor.child, 'SIGTERM'), survivor.output.join('')).toBe(0);
  });
});
