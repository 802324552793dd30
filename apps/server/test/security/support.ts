import { createHash, randomBytes } from 'node:crypto';
import { API_KEY_PREFIX, BASE62, apiKeyChecksum } from '@pc/contract';
import { expect } from 'vitest';
import { type Reply, type TestServer, call, createKey, signUp } from '../harness.js';

type CallOpts = Parameters<typeof call>[3];

/** SHA-256 hex: how the server stores keys and tokens. */
export const sha256 = (v: string): string => createHash('sha256').update(v).digest('hex');

/** A tRPC query over plain HTTP (no transformer: the input is the JSON itself). */
export function trpcQuery(s: { url: string }, path: string, input?: unknown, opts: CallOpts = {}): Promise<Reply> {
  const qs = input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify(input))}`;
  return call(s, 'GET', `/trpc/${path}${qs}`, opts);
}

/** A tRPC mutation over plain HTTP. */
export function trpcMutation(s: { url: string }, path: string, input: unknown = {}, opts: CallOpts = {}): Promise<Reply> {
  return call(s, 'POST', `/trpc/${path}`, { ...opts, body: input });
}

/** The token of the link mailed because of `ask` (a register or login request for `email`). */
export async function linkToken(server: TestServer, email: string, ask: () => Promise<unknown>): Promise<string> {
  const before = server.sink.messages.filter((m) => m.to === email).length;
  await ask();
  await server.core.queue.idle();
  return (await server.sink.waitFor(email, before + 1)).at(-1)!.token!;
}

/** Asks for a sign-in link for `email` and returns its token. */
export const loginToken = (server: TestServer, email: string): Promise<string> =>
  linkToken(server, email, () => call(server, 'POST', '/v1/auth/login', { body: { email } }));

/** The contract's REST error: status and code, in the one error shape. */
export function expectRestError(res: Reply, status: number, code: string): void {
  expect({ status: res.status, code: res.body?.code }, JSON.stringify(res.body)).toEqual({ status, code });
  expect(res.body.statusCode).toBe(status);
}

/** A tRPC error carrying the contract's code. */
export function expectTrpcError(res: Reply, status: number, appCode: string): void {
  expect({ status: res.status, appCode: res.body?.error?.data?.appCode }, JSON.stringify(res.body)).toEqual({ status, appCode });
  expect(res.body.result).toBeUndefined();
}

/** A key of the right shape and checksum that no server ever issued. */
export function unknownWellFormedKey(): string {
  let body = API_KEY_PREFIX;
  for (const b of randomBytes(26)) body += BASE62[b % 62];
  return body + apiKeyChecksum(body);
}

export interface Tenant {
  cookie: string;
  user: { id: string; email: string };
  workspace: { id: string; name: string };
  key: { id: string; key: string; prefix: string; name: string };
  agent: { id: string; name: string };
  sessionId: string;
}

/** A signed-up user with one API key (restricted to `ranges`), one agent, and its session id. */
export async function tenant(s: TestServer, name: string, ranges = ['127.0.0.0/8']): Promise<Tenant> {
  const { cookie, user, workspace } = await signUp(s, `${name}@example.com`, `${name}-ws`);
  const key = await createKey(s, cookie, `${name}-key`);
  const restricted = await call(s, 'PUT', `/v1/api-keys/${key.id}/ip-restrictions`, { cookie, body: { allowedIpRanges: ranges } });
  expect(restricted.status).toBe(200);
  const agent = await call(s, 'POST', '/v1/agents', { cookie, body: { name: `${name}-agent`, label: `${name} label` } });
  expect(agent.status).toBe(201);
  const sessions = await call(s, 'GET', '/v1/auth/sessions', { cookie });
  const sessionId = (sessions.body as Array<{ id: string; current: boolean }>).find((x) => x.current)!.id;
  return { cookie, user, workspace, key, agent: agent.body, sessionId };
}

/** Everything a tenant owns, as its owner sees it: to prove an attack changed nothing. */
export async function snapshot(s: TestServer, t: Tenant) {
  const key = await call(s, 'GET', `/v1/api-keys/${t.key.id}`, { cookie: t.cookie });
  const agents = await call(s, 'GET', '/v1/agents', { cookie: t.cookie });
  const sessions = await call(s, 'GET', '/v1/auth/sessions', { cookie: t.cookie });
  return {
    key: key.body,
    agents: agents.body,
    sessionIds: (sessions.body as Array<{ id: string }>).map((x) => x.id).sort(),
  };
}

/** Every string in a reply, headers included: to search it for data it must not carry. */
export function replyText(res: Reply): string {
  return `${JSON.stringify(res.body)}\n${[...res.headers.entries()].map(([k, v]) => `${k}: ${v}`).join('\n')}`;
}
