// The order e-mails through the real server process: main.ts starts the outbox's worker, over
// SMTP when SMTP_URL is set, else into DATA_DIR/mail as .eml files, and stops it on SIGTERM.
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '@shop/db/testing';
import { ADDRESS, createProduct } from '@shop/domain/testing';
import { startTestSmtpServer } from '@shop/domain/testing/smtp';
import { waitFor } from '@shop/proc';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { clients, register, startInstance, stopAll } from './harness.ts';

const SECRET = 'mail-test-session-secret-0123456789abcdefghij';
let db: TestDatabase;
let dataDir: string;

beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'));
  dataDir = await mkdtemp(join(tmpdir(), 'shop-mail-server-'));
});
afterAll(async () => {
  await stopAll();
  await db?.drop();
  await rm(dataDir, { recursive: true, force: true });
});

/** A new shopper's order on the instance; answers the order number and the shopper's email. */
async function order(base: string): Promise<{ number: number; email: string }> {
  const email = `mail-${randomUUID().slice(0, 8)}@example.test`;
  const cookie = await register(base, 'Mail <Shopper>', email);
  const { http } = clients(base, cookie);
  await http.cart.add.mutate({ productId: await createProduct(db.orm.em.fork(), { stock: 3, priceCents: 1_449 }) });
  const placed = await http.checkout.placeOrder.mutate({ idempotencyKey: randomUUID(), shippingAddress: ADDRESS });
  return { number: placed.number, email };
}

describe('order e-mails from a server instance', () => {
  it('go to SMTP_URL from MAIL_FROM, and the worker stops with the instance', async () => {
    const smtp = await startTestSmtpServer();
    try {
      const instance = await startInstance(
        'mail-smtp',
        {
          DATABASE_URL: db.url,
          SESSION_SECRET: SECRET,
          SMTP_URL: smtp.url,
          MAIL_FROM: 'Shop Orders <orders@shop.example>',
          LOG_LEVEL: 'info',
        },
        { captureStdout: true },
      );
      const { number, email } = await order(instance.url);
      await smtp.acceptedCount(1);
      const [mail] = smtp.accepted;
      expect(mail?.parsed.subject).toBe(`Your order #${number} is confirmed`);
      expect(mail?.parsed.from?.value).toEqual([{ name: 'Shop Orders', address: 'orders@shop.example' }]);
      expect(mail?.parsed.to && !Array.isArray(mail.parsed.to) ? mail.parsed.to.value[0]?.address : '').toBe(email);
      expect(mail?.parsed.text).toContain('Total: €14.49');
      expect(mail?.parsed.html).toContain('Hello Mail &lt;Shopper&gt;,');
      expect(await instance.stop('SIGTERM')).toBe(0);
      const sent = instance
        .stdout()
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .find((e) => e.msg === 'e-mail sent');
      expect(sent).toMatchObject({ component: 'mail', kind: 'order_placed', via: smtp.url, receipt: expect.stringMatching(/^250 /) });
    } finally {
      await smtp.close();
    }
  }, 90_000);

  it('are written to DATA_DIR/mail as .eml files without SMTP_URL, and the log says where', async () => {
    const instance = await startInstance(
      'mail-eml',
      { DATABASE_URL: db.url, SESSION_SECRET: SECRET, DATA_DIR: dataDir, SMTP_URL: undefined, LOG_LEVEL: 'info' },
      { captureStdout: true },
    );
    const mailDir = join(dataDir, 'mail');
    const { number } = await order(instance.url);
    await waitFor(async () => (await readdir(mailDir)).length > 0, 'an .eml file', { timeoutMs: 20_000 });
    const [file = ''] = await readdir(mailDir);
    expect(file).toMatch(/\.eml$/);
    const parsed = await simpleParser(await readFile(join(mailDir, file)));
    expect(parsed.subject).toBe(`Your order #${number} is confirmed`);
    expect(await instance.stop('SIGTERM')).toBe(0);
    // Flushed by the time it exited: where e-mails go, and each file written.
    expect(instance.stdout()).toContain(`no SMTP_URL: e-mails are written to ${mailDir} as .eml files`);
    expect(instance.stdout()).toContain(join(mailDir, file));
  }, 90_000);
});
