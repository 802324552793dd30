import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import type { Logger } from '../shared/runtime.js';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** The sign-in link the message carries; the outbox transport prints it so a first sign-in needs no mail server. */
  link: string;
}

export interface Mailer {
  /** True when messages leave the machine (SMTP); false for the local outbox. */
  readonly delivers: boolean;
  send(message: MailMessage): Promise<void>;
  close(): void;
}

export function createSmtpMailer(smtpUrl: string, from: string): Mailer {
  const transport = nodemailer.createTransport(smtpUrl);
  return {
    delivers: true,
    async send(m) {
      await transport.sendMail({ from, to: m.to, subject: m.subject, text: m.text, html: m.html });
    },
    close: () => transport.close(),
  };
}

/** No SMTP configured: each message becomes an .eml file in `dir`, and its link goes to the server log. */
export function createOutboxMailer(dir: string, from: string, logger: Logger, now: () => Date = () => new Date()): Mailer {
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  let seq = 0;
  return {
    delivers: false,
    async send(m) {
      const info = await transport.sendMail({ from, to: m.to, subject: m.subject, text: m.text, html: m.html });
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const stamp = now().toISOString().replace(/[:.]/g, '-');
      const file = join(dir, `${stamp}-${process.pid}-${++seq}.eml`);
      writeFileSync(file, info.message as Buffer, { mode: 0o600 });
      // The link in the log is how a first sign-in works without a mail server; it is meant to be read.
      logger.info('mail not sent: SMTP_URL is not set, so its link is logged here', { to: m.to, subject: m.subject, link: m.link, file });
    },
    close() {},
  };
}
