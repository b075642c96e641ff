export { escapeHtml, html, SafeHtml } from './html.ts';
export { formatMoney, type Recipient, type RenderedMail, renderOrderMail } from './order-mail.ts';
export { queueOrderEmail } from './outbox.ts';
export { emlTransport, type MailTransport, type OutgoingMail, smtpTransport } from './transports.ts';
export { backoffMs, createMailWorker, type MailLog, type MailWorker, type MailWorkerOptions, type RetryPolicy } from './worker.ts';
