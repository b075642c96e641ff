// Where e-mails go: an SMTP server (SMTP_URL), or .eml files in a folder when none is configured.
// Both compose the message with nodemailer, so a file holds exactly what SMTP would have carried.
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTransport, type SendMailOptions } from 'nodemailer';
import type { Recipient, RenderedMail } from './order-mail.ts';

export interface OutgoingMail extends RenderedMail {
  /** The outbox row's id: names the Message-ID and the .eml file, the same on every attempt. */
  id: string;
  from: string;
  to: Recipient;
  messageId: string;
  date: Date;
}

export interface MailTransport {
  /** Where messages go, for the logs (no credentials). */
  readonly description: string;
  /**
   * Resolves once the message is accepted (the SMTP server's reply to the end of DATA, or the
   * file in place) with that receipt; rejects if not, or once `signal` aborts.
   */
  send(mail: OutgoingMail, signal: AbortSignal): Promise<string>;
  close(): void;
}

function mailOptions(mail: OutgoingMail, signal: AbortSignal): SendMailOptions {
  return {
    from: mail.from,
    to: { name: mail.to.name, address: mail.to.email },
    subject: mail.subject,
    text: mail.text,
    html: mail.html,
    messageId: mail.messageId,
    date: mail.date,
    signal,
  };
}

export interface SmtpTimeouts {
  connectionMs: number;
  greetingMs: number;
  /** Silence on the socket before giving up; the send's overall limit is the worker's signal. */
  socketMs: number;
}

const SMTP_TIMEOUTS: SmtpTimeouts = { connectionMs: 10_000, greetingMs: 10_000, socketMs: 30_000 };

/** One connection per message (nodemailer's pool re-sends a message whose connection drops: ours decides). */
export function smtpTransport(url: string, timeouts: SmtpTimeouts = SMTP_TIMEOUTS): MailTransport {
  const transporter = createTransport({
    url,
    connectionTimeout: timeouts.connectionMs,
    greetingTimeout: timeouts.greetingMs,
    socketTimeout: timeouts.socketMs,
  });
  const where = new URL(url);
  return {
    description: `${where.protocol}//${where.host}`,
    async send(mail, signal) {
      const info = await transporter.sendMail(mailOptions(mail, signal));
      return info.response;
    },
    close: () => transporter.close(),
  };
}

/** The default without SMTP: each message as `<dir>/<date>-<id>.eml`, rewritten whole by a retry. */
export function emlTransport(dir: string): MailTransport {
  const transporter = createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
  return {
    description: dir,
    async send(mail, signal) {
      const info = await transporter.sendMail(mailOptions(mail, signal));
      await mkdir(dir, { recursive: true });
      const stamp = mail.date
        .toISOString()
        .replace(/[-:]/g, '')
        .replace(/\.\d+Z$/, 'Z');
      const file = join(dir, `${stamp}-${mail.id}.eml`);
      // Written aside and renamed: a reader never sees half a message.
      await writeFile(`${file}.tmp`, info.message as Buffer, { signal });
      await rename(`${file}.tmp`, file);
      return file;
    },
    close: () => transporter.close(),
  };
}
