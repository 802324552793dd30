import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, request as httpRequest } from 'node:http';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium } from 'playwright-core';
import { SMTPServer } from 'smtp-server';

const here = dirname(fileURLToPath(import.meta.url));
export const WEB_ROOT = resolve(here, '..');
export const REPO_ROOT = resolve(WEB_ROOT, '../..');
/** The README's pictures of the team pages: teams.e2e.test.ts takes them, admin.e2e.test.ts the rest. */
export const TEAM_README_SHOTS = ['members', 'invitation'];
/** What a run leaves for a person to look at; ignored by git, so a test run never dirties a checkout. */
export const OUTPUT = join(here, 'output');
/** The suite's screenshots: under OUTPUT, unless `npm run screenshots` points them at the README's. */
export const SCREENSHOTS = process.env.SCREENSHOTS_DIR ? resolve(process.env.SCREENSHOTS_DIR) : join(OUTPUT, 'screenshots');
const CHROMIUM = '/usr/bin/chromium';
const SERVER_ENTRY = join(REPO_ROOT, 'apps/server/dist/main.js');
const WEB_DIST = join(WEB_ROOT, 'dist');

/** Fails loudly (never skips) when something the suite needs is missing, and says how to get it. */
export function assertPrerequisites(): void {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is not installed at ${CHROMIUM}; the e2e suite needs it. Install it with: apt-get install -y chromium`);
  }
  if (!existsSync(SERVER_ENTRY)) {
    throw new Error(`${SERVER_ENTRY} is missing. Build the server first: npx turbo run build --filter=@pc/server`);
  }
  if (!existsSync(join(WEB_DIST, 'index.html'))) {
    throw new Error(`${WEB_DIST}/index.html is missing. Build the SPA first: npm run build -w @pc/web`);
  }
}

export interface Mail {
  to: string;
  text: string;
  link: string | null;
}

function decodeQuotedPrintable(raw: string): string {
  return raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** A real SMTP server on 127.0.0.1 keeping every message in memory. */
export async function startSmtpSink() {
  const mails: Mail[] = [];
  let notify: () => void = () => {};
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const text = decodeQuotedPrintable(Buffer.concat(chunks).toString('utf8'));
        const link = /https?:\/\/[^\s"<>]+\/auth\/(?:verify|invitation)\?token=[A-Za-z0-9_%-]+/.exec(text)?.[0] ?? null;
        for (const r of session.envelope.rcptTo) mails.push({ to: r.address, text, link });
        notify();
        callback();
      });
    },
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    mails,
    /** The `count`-th mail to `to` (1-based), waiting for it to arrive. */
    async waitForMail(to: string, count = 1, timeoutMs = 10_000): Promise<Mail> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const mine = mails.filter((m) => m.to === to);
        if (mine.length >= count) return mine[count - 1]!;
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`No mail #${count} for ${to} within ${timeoutMs} ms (got ${mine.length}).`);
        await new Promise<void>((ok) => {
          const t = setTimeout(ok, Math.min(left, 250));
          notify = () => {
            clearTimeout(t);
            ok();
          };
        });
      }
    },
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}

export interface ReceivedWebhook {
  method: string;
  path: string;
  headers: Record<string, string>;
  /** The raw body, byte for byte, as a signature covers it. */
  body: string;
}

/** A real HTTP receiver on 127.0.0.1 that answers 200 and keeps every request in memory. */
export async function startWebhookReceiver() {
  const received: ReceivedWebhook[] = [];
  const server = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
      received.push({ method: req.method ?? '', path: req.url ?? '', headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    received,
    /** The `count`-th request (1-based), waiting for it to arrive. */
    async waitFor(count: number, timeoutMs = 15_000): Promise<ReceivedWebhook> {
      return eventually(async () => {
        if (received.length < count) throw new Error(`The receiver got ${received.length} request(s), not ${count}, within ${timeoutMs} ms.`);
        return received[count - 1]!;
      }, timeoutMs);
    },
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

/**
 * A reverse proxy on 127.0.0.1 in front of the server, as nginx would be: it passes everything
 * through and, when the server does not answer, answers itself with an HTML 502 page that names its
 * own request id (nginx: `add_header X-Request-Id $request_id always`).
 */
export async function startGateway() {
  let upstream = '';
  let answered = 0;
  const server = createHttpServer((req, res) => {
    const target = new URL(req.url ?? '/', upstream);
    const forward = httpRequest(target, { method: req.method, headers: { ...req.headers, host: target.host } }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    forward.on('error', () => {
      res
        .writeHead(502, { 'content-type': 'text/html', 'x-request-id': `gw-${++answered}` })
        .end('<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>');
    });
    req.pipe(forward);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    forwardTo(url: string) {
      upstream = url;
    },
    /** Gone: connections are refused from now on. */
    close: () =>
      new Promise<void>((ok) => {
        server.close(() => ok());
        server.closeAllConnections();
      }),
  };
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((ok) => srv.listen(0, '127.0.0.1', ok));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((ok) => srv.close(() => ok()));
  return port;
}

/** `npx private-connect agent` as a person runs it: the built CLI, a real process, heartbeating every second. */
export function startReferenceAgent(serverUrl: string, apiKey: string, name: string) {
  const child = spawn(process.execPath, [join(REPO_ROOT, 'apps/server/bin/private-connect.mjs'), 'agent', '--name', name, '--interval', '1'], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', PRIVATE_CONNECT_URL: serverUrl, PRIVATE_CONNECT_API_KEY: apiKey },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<number | null>((ok) => child.once('exit', (code) => ok(code)));
  return {
    log: () => log,
    /** SIGTERM, as systemd stops it; resolves with the exit code. */
    async stop(): Promise<number | null> {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** The real built server (`node apps/server/dist/main.js`) on a free port with a temp database; `env` adds to or overrides its variables. */
export async function startServer(smtpPort: number, dataDir: string, env: Record<string, string> = {}) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(process.execPath, [SERVER_ENTRY], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      PORT: String(port),
      HOST: '127.0.0.1',
      PUBLIC_URL: url,
      DATABASE_URL: `file:${join(dataDir, 'e2e.db')}`,
      SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
      MAIL_FROM: 'Private Connect <no-reply@e2e.test>',
      WEB_DIST,
      // The suite's webhook receiver is a plain-http server on 127.0.0.1.
      WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
      // Short, so the reference agent is seen to go offline once stopped without a long wait.
      AGENT_OFFLINE_AFTER_SECONDS: '5',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  await new Promise<void>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`Server did not start within 20 s. Output:\n${log}`)), 20_000);
    const onData = () => {
      if (log.includes('listening on http://')) {
        clearTimeout(timer);
        ok();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`Server exited with code ${code} before listening. Output:\n${log}`));
    });
  });
  return {
    url,
    log: () => log,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((ok) => child.once('exit', () => ok()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Debian's Chromium, headless, with a profile of its own that is thrown away afterwards. */
export async function launchBrowser(profileDir: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1280, height: 800 },
    deviceScaleFactor: 1,
    colorScheme: 'light',
    locale: 'en-US',
    timezoneId: 'UTC',
  });
}

export function makeTempDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Retries `check` until it passes or the time is up: for server-side state that settles asynchronously. */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((ok) => setTimeout(ok, 200));
    }
  }
}
