// A process that runs nothing but the delivery worker, for the tests that SIGKILL it mid-send:
// `node test-worker-process.ts` with DATABASE_URL, SMTP_URL and LEASE_MS set. Logs JSON lines on
// stdout; SIGTERM stops it cleanly.
import { createOrm } from '@shop/db';
import { smtpTransport } from './transports.ts';
import { createMailWorker } from './worker.ts';

const { DATABASE_URL, SMTP_URL, LEASE_MS } = process.env;
if (!DATABASE_URL || !SMTP_URL || !LEASE_MS) throw new Error('DATABASE_URL, SMTP_URL and LEASE_MS are required');

const orm = await createOrm({ url: DATABASE_URL, poolMax: 2 });
const line = (level: string) => (fields: object, message: string) => console.log(JSON.stringify({ level, message, ...fields }));
const worker = createMailWorker({
  db: orm.em.getConnection(),
  transport: smtpTransport(SMTP_URL),
  from: 'Test Shop <orders@shop.example>',
  log: { info: line('info'), warn: line('warn'), error: line('error') },
  pollMs: 25,
  concurrency: 1,
  leaseMs: Number(LEASE_MS),
});
worker.start();
process.once('SIGTERM', async () => {
  await worker.stop();
  await orm.close();
  process.exit(0);
});
