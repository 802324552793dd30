import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:http';
import { type AuthLimits, type Clock, type Core, type Logger, createCore, createSmtpMailer } from '@pc/core';
import { type DbHandle, createDb } from '@pc/db';
import { type TestDatabase, createTestDatabase } from '@pc/db/testing';
import { SMTPServer } from 'smtp-server';
import { createApp } from '../src/app.js';
import { type Config, loadConfig } from '../src/env.js';
import { answerClientError } from '../src/http/client-errors.js';

export interface SinkMessage {
  to: string;
  raw: string;
  /** The first sign-in or invitation link in the message. */
  link: string | null;
  token: string | null;
}

/**
 * A real SMTP server on 127.0.0.1 that keeps every message it receives. `replyDelayMs` makes it
 * acknowledge each message that much later, like a distant mail server.
 */
export async function startSmtpSink(opts: { replyDelayMs?: number } = {}) {
  const messages: SinkMessage[] = [];
  const waiters: Array<() => void> = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    disableReverseLookup: true,
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        // Quoted-printable soft line breaks ("=\n") and "=3D" are undone so the link reads whole.
        const raw = Buffer.concat(chunks).toString('utf8');
        const decoded = raw.replace(/=\r?\n/g, '').replace(/=3D/g, '=');
        const link = /(https?:\/\/[^\s"<>]+\/auth\/(?:verify|invitation)\?token=[A-Za-z0-9_%-]+)/.exec(decoded)?.[1] ?? null;
        const token = link ? decodeURIComponent(new URL(link).searchParams.get('token') ?? '') : null;
        for (const rcpt of session.envelope.rcptTo) messages.push({ to: rcpt.address, raw: decoded, link, token });
        waiters.splice(0).forEach((w) => w());
        if (opts.replyDelayMs) setTimeout(callback, opts.replyDelayMs);
        else callback();
      });
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    messages,
    /** Messages for `to`, waiting (up to 5 s) until there are at least `count`. */
    async waitFor(to: string, count = 1): Promise<SinkMessage[]> {
      const deadline = Date.now() + 5000;
      for (;;) {
        const mine = messages.filter((m) => m.to === to);
        if (mine.length >= count) return mine;
        if (Date.now() > deadline) throw new Error(`no mail for ${to} (have ${mine.length}, want ${count})`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 100);
        });
      }
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
export type SmtpSink = Awaited<ReturnType<typeof startSmtpSink>>;

export interface TestServerOptions {
  env?: Record<string, string>;
  clock?: Clock;
  authLimits?: Partial<AuthLimits>;
  /** Reuse a directory (e.g. to restart on the same data). */
  dbDir?: string;
  /** Reuse a database (restart on the same data); by default a fresh one on the test store. */
  database?: TestDatabase;
  logger?: Logger;
  usageFlushMs?: number;
  /** Listen address (default 127.0.0.1); `::` also accepts IPv4 clients as IPv4-mapped IPv6 (`::ffff:127.0.0.1`). */
  host?: string;
}

export interface TestServer {
  url: string;
  core: Core;
  config: Config;
  handle: DbHandle;
  dbDir: string;
  database: TestDatabase;
  sink: SmtpSink;
  /** Stops like SIGTERM does: drain, flush coalesced writes, close the database. */
  stop(): Promise<void>;
  /** stop(), then a new server on the same database file and sink. */
  restart(): Promise<TestServer>;
  /** stop(), and remove the database and the sink. */
  close(): Promise<void>;
}

const quietLogger: Logger = { info() {}, warn() {}, error() {} };

/** The real app on an ephemeral port, with a fresh database of the test store (SQLite or PostgreSQL) and a real SMTP sink. */
export async function startTestServer(opts: TestServerOptions = {}, existingSink?: SmtpSink): Promise<TestServer> {
  const sink = existingSink ?? (await startSmtpSink());
  const dbDir = opts.dbDir ?? mkdtempSync(join(tmpdir(), 'pc-server-test-'));
  const database = opts.database ?? (await createTestDatabase());
  const logger = opts.logger ?? quietLogger;
  // The port is only known after listen; PUBLIC_URL is fixed up below for the Origin check and links.
  const config0 = loadConfig(
    { DATABASE_URL: database.url, SMTP_URL: sink.url, PORT: '0', WEB_DIST: join(dbDir, 'no-web'), ...opts.env },
    join(dbDir, 'no-web'),
  );
  const handle = createDb(config0.databaseUrl, { poolMax: config0.databasePoolMax });
  // Listen first: the port must be known before PUBLIC_URL (links, Origin check) is.
  const server = createServer();
  server.on('clientError', answerClientError);
  await new Promise<void>((r) => server.listen(0, opts.host ?? '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const config: Config = { ...config0, publicUrl: opts.env?.PUBLIC_URL ? config0.publicUrl : url };
  const core = createCore({
    store: handle,
    // Pooled: smtp-server greets each new connection only after 100 ms, so a connection per mail slows every test.
    mailer: createSmtpMailer(`${sink.url}?pool=true`, config.mailFrom),
    publicUrl: config.publicUrl,
    rateLimitPerMinute: config.rateLimitPerMinute,
    authLimits: { registerPerIpPerMinute: 1000, loginPerIpPerMinute: 1000, perEmailPer15Minutes: 1000, verifyPerIpPerMinute: 1000, ...opts.authLimits },
    ...(opts.clock ? { clock: opts.clock } : {}),
    usageHistory: config.usageHistory,
    usageRetentionDays: config.usageRetentionDays,
    agentOfflineAfterSeconds: config.agentOfflineAfterSeconds,
    webhooks: { allowPrivateTargets: config.webhookAllowPrivateTargets },
    logger,
    usageFlushMs: opts.usageFlushMs ?? 200,
  });
  server.on('request', createApp({ core, config, logger }));
  await core.start();

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await new Promise<void>((r) => {
      server.close(() => r());
      server.closeAllConnections();
    });
    await core.stop();
    await handle.close();
  };
  return {
    url,
    core,
    config,
    handle,
    dbDir,
    database,
    sink,
    stop,
    restart: async () => {
      await stop();
      return startTestServer({ ...opts, dbDir, database }, sink);
    },
    close: async () => {
      await stop();
      await sink.close();
      await database.drop();
      rmSync(dbDir, { recursive: true, force: true });
    },
  };
}

/** A clock the test moves by hand: expiry, sliding sessions and rate-limit windows without sleeping. */
export function manualClock(start = new Date('2026-03-02T10:00:00.000Z')) {
  let t = start.getTime();
  return {
    now: () => new Date(t),
    advance(ms: number) {
      t += ms;
    },
    set(d: Date) {
      t = d.getTime();
    },
  };
}
export type ManualClock = ReturnType<typeof manualClock>;

export interface Reply<T = any> {
  status: number;
  headers: Headers;
  body: T;
  cookie: string | null;
}

/** fetch against the server, JSON in and out; `cookie` is the session cookie set by the reply, if any. */
export async function call<T = any>(
  server: { url: string },
  method: string,
  path: string,
  opts: { body?: unknown; rawBody?: string; headers?: Record<string, string>; cookie?: string | null; apiKey?: string } = {},
): Promise<Reply<T>> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.body !== undefined) headers['content-type'] ??= 'application/json';
  if (opts.cookie) headers.cookie = `session=${opts.cookie}`;
  if (opts.apiKey !== undefined) headers['x-api-key'] = opts.apiKey;
  const res = await fetch(server.url + path, {
    method,
    headers,
    body: opts.rawBody ?? (opts.body !== undefined ? JSON.stringify(opts.body) : undefined),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON: keep the text */
  }
  const setCookie = res.headers.getSetCookie().find((c) => c.startsWith('session='));
  const cookie = setCookie ? (setCookie.slice('session='.length).split(';')[0] ?? null) : null;
  return { status: res.status, headers: res.headers, body: body as T, cookie };
}

/** Registers, reads the mailed link from the sink, verifies: a signed-in user with a fresh workspace. */
export async function signUp(server: TestServer, email: string, workspaceName: string) {
  const before = server.sink.messages.filter((m) => m.to === email).length;
  const reg = await call(server, 'POST', '/v1/auth/register', { body: { email, workspaceName } });
  if (reg.status !== 200) throw new Error(`register failed: ${reg.status} ${JSON.stringify(reg.body)}`);
  await server.core.queue.idle();
  const mails = await server.sink.waitFor(email, before + 1);
  const token = mails[mails.length - 1]!.token!;
  const verified = await call(server, 'GET', `/v1/auth/verify?token=${encodeURIComponent(token)}`);
  if (verified.status !== 200 || !verified.cookie) throw new Error(`verify failed: ${verified.status} ${JSON.stringify(verified.body)}`);
  return { cookie: verified.cookie, user: verified.body.user as { id: string; email: string }, workspace: verified.body.workspace as { id: string; name: string } };
}

/** Creates an API key as the signed-in user. */
export async function createKey(server: TestServer, cookie: string, name = 'test-key') {
  const res = await call(server, 'POST', '/v1/api-keys', { cookie, body: { name } });
  if (res.status !== 201) throw new Error(`create key failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: string; key: string; prefix: string; name: string };
}
