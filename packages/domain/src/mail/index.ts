export { emlTransport, type MailTransport, smtpTransport } from './transports.ts';
export { createMailWorker, type MailLog, type MailWorker, type MailWorkerOptions, type RetryPolicy } from './worker.ts';
