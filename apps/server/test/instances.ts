import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type SmtpSink, call } from './harness.js';

/** The built entry point, as `npm start` runs it: each instance is its own process. */
export const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

export interface Instance {
  url: string;
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
  /** SIGTERM and wait for the exit code. */
  stop(): Promise<number | null>;
}

export async function waitForOutput(get: () => string, pattern: RegExp, ms = 15_000): Promise<RegExpMatchArray> {
  const deadline = Date.now() + ms;
  for (;;) {
    const m = get().match(pattern);
    if (m) return m;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}; output:\n${get()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Spawns `dist/main.js` with `env` (on an ephemeral port) and resolves once it listens, or rejects with its output if it exits first. */
export async function startInstance(env: Record<string, string>, opts: { cwd?: string } = {}): Promise<Instance> {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: build the server first (npx turbo run build --filter=@pc/server)`);
  const child = spawn(process.execPath, [MAIN], {
    cwd: opts.cwd ?? process.cwd(),
    env: { PATH: process.env.PATH ?? '', PORT: '0', PUBLIC_URL: 'http://localhost:3000', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  // 'close', not 'exit': 'exit' can come before the pipes have given up their last lines (the
  // shutdown's own log line went missing that way once in CI).
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  const listening = waitForOutput(() => out, /listening on http:\/\/[\d.]+:(\d+)/);
  const first = await Promise.race([listening, exited.then((code) => ({ code }))]);
  if ('code' in first) throw new Error(`instance exited with ${first.code} before listening:\n${out}`);
  return {
    url: `http://127.0.0.1:${first[1]}`,
    child,
    output: () => out,
    exited,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Registers at `at`, verifies the mailed link there: a session cookie for a new workspace. */
export async function signUpAt(at: { url: string }, sink: SmtpSink, email: string, workspaceName: string): Promise<string> {
  const before = sink.messages.filter((m) => m.to === email).length;
  const reg = await call(at, 'POST', '/v1/auth/register', { body: { email, workspaceName } });
  if (reg.status !== 200) throw new Error(`register: ${reg.status} ${JSON.stringify(reg.body)}`);
  const mails = await sink.waitFor(email, before + 1);
  const verified = await call(at, 'GET', `/v1/auth/verify?token=${encodeURIComponent(mails[mails.length - 1]!.token!)}`);
  if (verified.status !== 200 || !verified.cookie) throw new Error(`verify: ${verified.status} ${JSON.stringify(verified.body)}`);
  return verified.cookie;
}

/** A token for a new sign-in link of `email`, asked for at `at`. */
export async function loginToken(at: { url: string }, sink: SmtpSink, email: string): Promise<string> {
  const before = sink.messages.filter((m) => m.to === email).length;
  const res = await call(at, 'POST', '/v1/auth/login', { body: { email } });
  if (res.status !== 200) throw new Error(`login: ${res.status}`);
  const mails = await sink.waitFor(email, before + 1);
  return mails[mails.length - 1]!.token!;
}
