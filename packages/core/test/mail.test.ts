import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DbHandle, createTestDb } from '@pc/db';
import { SMTPServer } from 'smtp-server';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type Logger, type Mailer, createCore, createOutboxMailer, createSmtpMailer } from '../src/index.js';
import { PUBLIC_URL, TestClock, meta, seededRandom } from './helpers.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function coreWith(mailer: Mailer) {
  const handle: DbHandle = await createTestDb();
  const clock = new TestClock();
  const core = createCore({ store: handle, mailer, publicUrl: PUBLIC_URL, rateLimitPerMinute: 100, clock, random: seededRandom('mail') });
  cleanups.push(async () => {
    await core.stop();
    await handle.close();
  });
  return core;
}

/** Undoes quoted-printable soft breaks and escapes so a link reads whole. */
const unQuote = (raw: string) => raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
const tokenIn = (text: string) => /\/auth\/verify\?token=([A-Za-z0-9_-]+)/.exec(text)?.[1];

describe('outbox mailer (no SMTP_URL)', () => {
  it('writes each message as an .eml file and logs its link, which signs in', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'pc-outbox-')), 'outbox');
    cleanups.push(() => rmSync(join(dir, '..'), { recursive: true, force: true }));
    const lines: Array<{ message: string; fields?: Record<string, unknown> }> = [];
    const logger: Logger = { info: (message, fields) => lines.push({ message, fields }), warn() {}, error() {} };
    const mailer = createOutboxMailer(dir, 'Private Connect <no-reply@localhost>', logger, () => new Date('2026-03-02T10:00:00.000Z'));
    const core = await coreWith(mailer);
    expect(core.publicConfig).toEqual({ mailConfigured: false, publicUrl: PUBLIC_URL, signup: { open: true, emailDomains: [] }, agentOfflineAfterSeconds: 90 });

    await core.auth.register({ email: 'alice@example.com', workspaceName: 'acme' }, meta());
    await core.queue.idle();

    const files = readdirSync(dir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^2026-03-02T10-00-00-000Z-\d+-1\.eml$/);
    const file = join(dir, files[0]!);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const eml = unQuote(readFileSync(file, 'utf8'));
    expect(eml).toMatch(/^From: Private Connect <no-reply@localhost>$/m);
    expect(eml).toMatch(/^To: alice@example\.com$/m);
    expect(eml).toMatch(/^Subject: Confirm your Private Connect workspace$/m);

    expect(lines).toHaveLength(1);
    const logged = tokenIn(String(lines[0]!.fields?.link));
    expect(lines[0]!.fields).toEqual({ to: 'alice@example.com', subject: 'Confirm your Private Connect workspace', link: `${PUBLIC_URL}/auth/verify?token=${logged}`, file });
    expect(tokenIn(eml)).toBe(logged);

    const signed = await core.auth.verify(logged!, meta());
    expect(signed.result).toMatchObject({ isNewUser: true, workspace: { name: 'acme' } });
  });
});

describe('SMTP mailer', () => {
  it('delivers to a real SMTP server, and the delivered link signs in', async () => {
    const received: Array<{ from: string | false; to: string[]; raw: string }> = [];
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          received.push({
            from: session.envelope.mailFrom && session.envelope.mailFrom.address,
            to: session.envelope.rcptTo.map((r) => r.address),
            raw: Buffer.concat(chunks).toString('utf8'),
          });
          callback();
        });
      },
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    const { port } = server.server.address() as AddressInfo;

    const mailer = createSmtpMailer(`smtp://127.0.0.1:${port}`, 'Private Connect <no-reply@example.test>');
    const core = await coreWith(mailer);
    expect(core.publicConfig.mailConfigured).toBe(true);

    await core.auth.register({ email: 'alice@example.com', workspaceName: 'acme' }, meta());
    await core.queue.idle();

    expect(received).toHaveLength(1);
    expect(received[0]!.from).toBe('no-reply@example.test');
    expect(received[0]!.to).toEqual(['alice@example.com']);
    const raw = unQuote(received[0]!.raw);
    expect(raw).toMatch(/^Subject: Confirm your Private Connect workspace\r?$/m);
    expect(raw).toContain('text/html');
    const token = tokenIn(raw);
    expect(token).toBeDefined();
    const signed = await core.auth.verify(token!, meta());
    expect(signed.result).toMatchObject({ isNewUser: true, user: { email: 'alice@example.com' } });
  });

  it('a failed delivery is retried with backoff, then given up; each line names the request and the recipient domain, never the address or link', async () => {
    const lines: Array<{ level: string; message: string; fields?: Record<string, unknown> }> = [];
    const handle = await createTestDb();
    // Port 1 on loopback refuses connections: a real failure, no mock.
    const mailer = createSmtpMailer('smtp://127.0.0.1:1', 'x@example.test');
    const core = createCore({
      store: handle,
      mailer,
      publicUrl: PUBLIC_URL,
      rateLimitPerMinute: 100,
      clock: new TestClock(),
      mailBackoffMs: [30, 60],
      logger: {
        info: (message, fields) => lines.push({ level: 'info', message, fields }),
        warn: (message, fields) => lines.push({ level: 'warn', message, fields }),
        error: (message, fields) => lines.push({ level: 'error', message, fields }),
      },
    });
    cleanups.push(async () => {
      await core.stop();
      await handle.close();
    });
    await expect(core.auth.register({ email: 'alice@example.com', workspaceName: 'acme' }, { ...meta(), requestId: 'req_mail_1' })).resolves.toBeUndefined();
    await core.queue.idle();
    expect(core.mail.pending).toBe(1);
    await vi.waitFor(() => expect(lines.filter((l) => l.level === 'error')).toHaveLength(1), { timeout: 3000 });
    expect(lines.map((l) => `${l.level} ${l.message}`)).toEqual([
      'warn mail delivery failed; will retry',
      'warn mail delivery failed; will retry',
      'error mail given up',
    ]);
    expect(lines.map((l) => l.fields?.retryInMs)).toEqual([30, 60, undefined]);
    for (const [i, l] of lines.entries()) expect(l.fields).toMatchObject({ requestId: 'req_mail_1', recipientDomain: 'example.com', attempt: i + 1 });
    const text = JSON.stringify(lines);
    expect(text).not.toContain('alice@');
    expect(text).not.toContain('token=');
    expect(core.mail.pending).toBe(0);
  });

  it('a delivery that fails once arrives on the next attempt; shutdown tries what is still waiting once more', async () => {
    const handle = await createTestDb();
    let refuse = 1;
    const sent: string[] = [];
    const flaky: Mailer = {
      delivers: true,
      async send(m) {
        if (refuse-- > 0) throw new Error(`421 try later for <${m.to}>`);
        sent.push(m.to);
      },
      close() {},
    };
    const core = createCore({ store: handle, mailer: flaky, publicUrl: PUBLIC_URL, rateLimitPerMinute: 100, clock: new TestClock(), mailBackoffMs: [60_000] });
    cleanups.push(async () => handle.close());
    await core.auth.register({ email: 'bob@example.org', workspaceName: 'bobco' }, meta());
    await core.queue.idle();
    expect(sent).toEqual([]);
    expect(core.mail.pending).toBe(1);
    // Stopping does not wait a minute for the retry: it makes it now.
    await core.stop();
    expect(sent).toEqual(['bob@example.org']);
  });
});
