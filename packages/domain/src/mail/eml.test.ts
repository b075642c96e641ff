// The default without SMTP_URL: each message a .eml file in the data folder, logged with its path.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '@shop/db/testing';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { clearOutbox, memoryLog, orderWithMail, outboxRows } from './test-mails.ts';
import { emlTransport } from './transports.ts';
import { createMailWorker } from './worker.ts';

let db: TestDatabase;
let dir: string;

beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'));
  dir = await mkdtemp(join(tmpdir(), 'shop-mail-'));
});
afterAll(async () => {
  await db?.drop();
  await rm(dir, { recursive: true, force: true });
});

describe('the .eml default', () => {
  it('writes each message as a file named by its outbox id, logs where, and rewrites it on a retry', async () => {
    await clearOutbox(db);
    const { order, outboxId } = await orderWithMail(db, { userName: 'Bob <b>bold</b>' });
    const mailDir = join(dir, 'mail');
    const log = memoryLog();
    const worker = createMailWorker({
      db: db.orm.em.getConnection(),
      transport: emlTransport(mailDir),
      from: 'Shop <shop@localhost>',
      log,
    });

    expect(await worker.deliverDue()).toBe(1);
    const files = await readdir(mailDir);
    expect(files).toEqual([expect.stringMatching(new RegExp(`^\\d{8}T\\d{6}Z-${outboxId}\\.eml$`))]);
    const file = join(mailDir, files[0] ?? '');
    expect(log.lines.find((l) => l.message === 'e-mail sent')?.fields).toMatchObject({ outboxId, receipt: file });

    const raw = await readFile(file);
    expect(raw.includes('\r\n')).toBe(true);
    const parsed = await simpleParser(raw);
    expect(parsed.subject).toBe(`Your order #${order.number} is confirmed`);
    expect(parsed.messageId).toBe(`<${outboxId}@localhost>`);
    expect(parsed.text).toContain('Hello Bob <b>bold</b>,');
    expect(parsed.html).toContain('Hello Bob &lt;b&gt;bold&lt;/b&gt;,');
    expect((await outboxRows(db))[0]).toMatchObject({ sent: true, receipt: file });

    // As if the process had died after writing but before recording: the retry rewrites the same file.
    await db.orm.em.getConnection().execute('update email_outbox set sent_at = null, next_attempt_at = now() where id = ?', [outboxId]);
    expect(await worker.deliverDue()).toBe(1);
    expect((await outboxRows(db))[0]).toMatchObject({ sent: true, attempts: 2 });
    expect(await readdir(mailDir)).toEqual(files);
    expect((await simpleParser(await readFile(file))).messageId).toBe(parsed.messageId);
    await worker.stop();
  });
});
