import { randomBytes } from 'node:crypto';
import { API_KEY_PREFIX, BASE62, apiKeyChecksum } from '@pc/contract';
import { expect } from 'vitest';
import { type Reply, type TestServer, call } from './harness.js';

export const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
export const KEY_FORMAT = /^pc_live_[0-9A-Za-z]{32}$/;
export const idOf = (prefix: string) => new RegExp(`^${prefix}_[0-9A-Za-z]{16,}$`);

const REASON: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};
const ERROR_FIELDS = new Set(['statusCode', 'error', 'code', 'message', 'details', 'retryAfter', 'requestId']);

/** The contract's one error shape: status, reason phrase, code, a message, nothing else but the documented extras. */
export function expectError(res: Reply, status: number, code: string): void {
  expect({ status: res.status, code: res.body?.code }, JSON.stringify(res.body)).toEqual({ status, code });
  expect(res.body).toMatchObject({ statusCode: status, error: REASON[status], code });
  expect(typeof res.body.message).toBe('string');
  expect(res.body.message.length).toBeGreaterThan(0);
  for (const k of Object.keys(res.body)) expect(ERROR_FIELDS, `unexpected error field ${k}`).toContain(k);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  expect(res.headers.get('x-request-id')).toBeTruthy();
}

/** Exactly these fields: the documented ones, plus what the contract adds (`extra`), nothing else. */
export function expectFields(obj: Record<string, unknown>, fields: string[]): void {
  expect(Object.keys(obj).sort()).toEqual([...fields].sort());
}

/** A key of the right shape and checksum that no server ever issued. */
export function unknownWellFormedKey(): string {
  let body = API_KEY_PREFIX;
  for (const b of randomBytes(26)) body += BASE62[b % 62];
  return body + apiKeyChecksum(body);
}

/** Sign-in links the sink received for `email`, once the server's background mail queue is idle. */
export async function mailsTo(server: TestServer, email: string) {
  await server.core.queue.idle();
  return server.sink.messages.filter((m) => m.to === email);
}

/** Asks for a sign-in link and returns its token. */
export async function requestLoginToken(server: TestServer, email: string): Promise<string> {
  const before = (await mailsTo(server, email)).length;
  const res = await call(server, 'POST', '/v1/auth/login', { body: { email } });
  expect(res.status).toBe(200);
  await server.core.queue.idle();
  const mails = await server.sink.waitFor(email, before + 1);
  return mails[mails.length - 1]!.token!;
}

/** Signs in again as an existing user: a second, independent session. */
export async function signIn(server: TestServer, email: string, headers: Record<string, string> = {}): Promise<string> {
  const token = await requestLoginToken(server, email);
  const res = await call(server, 'GET', `/v1/auth/verify?token=${encodeURIComponent(token)}`, { headers });
  expect(res.status).toBe(200);
  return res.cookie!;
}

export const verifyPath = (token: string) => `/v1/auth/verify?token=${encodeURIComponent(token)}`;

/** Waits until `check` passes or `ms` elapse (for coalesced writes the contract bounds in time). */
export async function eventually(check: () => Promise<void>, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      await check();
      return;
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
