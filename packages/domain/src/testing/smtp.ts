// A real SMTP server in the test's process (smtp-server on 127.0.0.1, a free port), recording
// every message whose DATA it received and deciding each reply: accept, refuse with a code, or
// hold the reply back (the client waits for the end of DATA's answer, as a slow server makes it).
import type { AddressInfo } from 'node:net';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  parsed: ParsedMail;
  raw: Buffer;
  messageId: string;
  /** performance.now() when DATA ended. */
  at: number;
}

export type Reply = 'accept' | 'hold' | { refuse: number; message: string };

export interface TestSmtpServer {
  url: string;
  /** Every complete DATA, answered or not, in arrival order. */
  readonly attempts: ReceivedMail[];
  /** The messages it acknowledged (250), in order. */
  readonly accepted: ReceivedMail[];
  /** Decides the reply to each DATA (default: accept). */
  reply: (mail: ReceivedMail) => Reply | Promise<Reply>;
  /** Resolves with the next DATA it holds the reply to. */
  nextHeld(): Promise<ReceivedMail>;
  /** Resolves once `count` messages were accepted. */
  acceptedCount(count: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startTestSmtpServer(): Promise<TestSmtpServer> {
  // Held messages nobody asked for yet, and askers waiting for one.
  const heldMails: ReceivedMail[] = [];
  const heldWaiters: ((mail: ReceivedMail) => void)[] = [];
  const waiters = new Set<() => void>();
  const state: TestSmtpServer = {
    url: '',
    attempts: [],
    accepted: [],
    reply: () => 'accept',
    nextHeld: () => {
      const mail = heldMails.shift();
      return mail ? Promise.resolve(mail) : new Promise((resolve) => heldWaiters.push(resolve));
    },
    async acceptedCount(count, timeoutMs = 20_000) {
      const deadline = performance.now() + timeoutMs;
      while (state.accepted.length < count) {
        if (performance.now() > deadline) throw new Error(`${state.accepted.length} of ${count} messages accepted within ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          waiters.add(resolve);
          setTimeout(resolve, 50);
        });
      }
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };

  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    // A client killed mid-conversation leaves nothing for close() to wait on for long.
    closeTimeout: 1_000,
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', async () => {
        const raw = Buffer.concat(chunks);
        const parsed = await simpleParser(raw);
        const mail: ReceivedMail = { parsed, raw, messageId: parsed.messageId ?? '', at: performance.now() };
        state.attempts.push(mail);
        const reply = await state.reply(mail);
        if (reply === 'hold') {
          const waiter = heldWaiters.shift();
          if (waiter) waiter(mail);
          else heldMails.push(mail);
          return; // never answered: the client waits until it gives up or dies
        }
        if (reply === 'accept') {
          state.accepted.push(mail);
          for (const wake of waiters) wake();
          waiters.clear();
          callback(null, 'queued');
          return;
        }
        callback(Object.assign(new Error(reply.message), { responseCode: reply.refuse }));
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  state.url = `smtp://127.0.0.1:${port}`;
  return state;
}
