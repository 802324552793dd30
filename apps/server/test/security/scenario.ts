import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'vitest';
import { type ManualClock, type TestServer, call } from '../harness.js';
import { invite } from '../team-fixtures.js';
import { linkToken, sha256, trpcMutation, trpcQuery, unknownWellFormedKey } from './support.js';

/** Every bearer secret a scenario saw, and the SHA-256 of each (what the database holds). */
export class Secrets {
  readonly values = new Set<string>();

  add(kind: string, value: string | null | undefined): string {
    expect(value, kind).toBeTruthy();
    this.values.add(value!);
    this.values.add(sha256(value!));
    return value!;
  }

  /** The secrets found in `text`. */
  foundIn(text: string): string[] {
    return [...this.values].filter((v) => text.includes(v));
  }
}

/**
 * Every credential-bearing action, successful and refused, over REST and tRPC: sign-up, sign-in,
 * replays, keys created, used, restricted, rate-limited, rolled, expired and revoked, agents, sessions
 * revoked and ended, webhooks (created, changed, rotated, tested, disabled by a 410, deleted), members
 * (invited, an invitation revoked, joined, promoted, removed, left), and a link issued by the operator. Needs a server with RATE_LIMIT_PER_MINUTE=3,
 * WEBHOOK_ALLOW_PRIVATE_TARGETS=true and a manual clock. Returns the
 * secrets it saw and a live cookie of the workspace.
 */
export async function exerciseEverything(s: TestServer, clock: ManualClock): Promise<{ secrets: Secrets; cookie: string }> {
  const secrets = new Secrets();
  const email = 'owner@example.com';
  const origin = { origin: s.url };

  // Sign-up (REST) and a second sign-in (tRPC); each link replayed once.
  const t1 = secrets.add('sign-up token', await linkToken(s, email, () => call(s, 'POST', '/v1/auth/register', { body: { email, workspaceName: 'secret-ws' } })));
  const c1 = secrets.add('cookie 1', (await call(s, 'GET', `/v1/auth/verify?token=${encodeURIComponent(t1)}`)).cookie);
  expect((await call(s, 'GET', `/v1/auth/verify?token=${encodeURIComponent(t1)}`)).status).toBe(400);
  const t2 = secrets.add('sign-in token', await linkToken(s, email, () => trpcMutation(s, 'auth.login', { email })));
  const c2 = secrets.add('cookie 2', (await trpcMutation(s, 'auth.verify', { token: t2 }, { headers: origin })).cookie);
  expect((await trpcMutation(s, 'auth.verify', { token: t2 })).status).toBe(400);
  expect((await call(s, 'GET', '/v1/auth/me', { cookie: c2 })).status).toBe(200);

  // Keys: created over both transports, used, restricted (ip_denied), rate-limited, rolled, expired, revoked.
  const k1 = (await call(s, 'POST', '/v1/api-keys', { cookie: c1, body: { name: 'one' } })).body;
  const k2 = (await trpcMutation(s, 'apiKeys.create', { name: 'two' }, { cookie: c1, headers: origin })).body.result.data;
  secrets.add('key 1', k1.key);
  secrets.add('key 2', k2.key);
  expect((await call(s, 'GET', '/v1/agents', { apiKey: k1.key })).status).toBe(200);
  const agent = (await call(s, 'POST', '/v1/agents', { apiKey: k1.key, body: { name: 'box' } })).body;
  expect((await trpcQuery(s, 'agents.get', { id: agent.id }, { apiKey: k1.key })).status).toBe(200);
  expect((await call(s, 'GET', '/v1/agents', { apiKey: k1.key })).status).toBe(429);
  clock.advance(61_000);
  expect((await call(s, 'PUT', `/v1/api-keys/${k1.id}/ip-restrictions`, { cookie: c1, body: { allowedIpRanges: ['10.0.0.0/8'] } })).status).toBe(200);
  expect((await call(s, 'GET', '/v1/agents', { apiKey: k1.key })).status).toBe(403);
  expect((await trpcMutation(s, 'agents.delete', { id: agent.id }, { apiKey: k2.key })).status).toBe(200);
  const k3 = (await call(s, 'POST', `/v1/api-keys/${k2.id}/roll`, { cookie: c1, body: { gracePeriodSeconds: 30 } })).body;
  secrets.add('key 3', k3.key);
  clock.advance(31_000);
  expect((await call(s, 'GET', '/v1/agents', { apiKey: k2.key })).status).toBe(401);
  expect((await call(s, 'DELETE', `/v1/api-keys/${k1.id}`, { cookie: c1 })).status).toBe(200);
  expect((await call(s, 'GET', '/v1/agents', { apiKey: k1.key })).status).toBe(401);
  expect((await call(s, 'GET', '/v1/agents', { apiKey: k3.key.slice(0, -1) })).status).toBe(401);
  expect((await call(s, 'GET', '/v1/agents', { apiKey: unknownWellFormedKey() })).status).toBe(401);
  expect((await call(s, 'GET', '/v1/agents', { apiKey: k3.key })).status).toBe(200);

  // Webhooks: their secrets are secrets too. A receiver on loopback that answers 410 disables one.
  const receiver = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(req.url === '/gone' ? 410 : 204).end());
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const hookBase = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  const hook = (await call(s, 'POST', '/v1/webhooks', { cookie: c1, body: { url: `${hookBase}/ok`, events: ['*'] } })).body;
  secrets.add('webhook secret', hook.secret);
  expect((await call(s, 'PATCH', `/v1/webhooks/${hook.id}`, { cookie: c1, body: { url: `${hookBase}/gone` } })).status).toBe(200);
  const rotated = (await trpcMutation(s, 'webhooks.rotateSecret', { id: hook.id, overlapSeconds: 60 }, { cookie: c1, headers: origin })).body.result.data;
  secrets.add('rotated webhook secret', rotated.secret);
  expect((await call(s, 'POST', `/v1/webhooks/${hook.id}/test`, { cookie: c1 })).status).toBe(202);
  // The server's own worker may be the one that delivers it: wait for the outcome either way.
  for (let i = 0; i < 200 && (await call(s, 'GET', `/v1/webhooks/${hook.id}`, { cookie: c1 })).body.enabled; i++) {
    await s.core.webhooks.deliverDue();
    await new Promise((r) => setTimeout(r, 25));
  }
  expect((await call(s, 'GET', `/v1/webhooks/${hook.id}`, { cookie: c1 })).body).toMatchObject({ enabled: false, disabledReason: 'gone' });
  expect((await call(s, 'DELETE', `/v1/webhooks/${hook.id}`, { cookie: c1 })).status).toBe(200);
  await new Promise<void>((r) => receiver.close(() => r()));

  // Teams: invitation tokens and the invitees' cookies are secrets too. One invitation revoked, one
  // accepted over tRPC and promoted, one accepted over REST and removed; the promoted one leaves.
  const dropped = await invite(s, c1, 'gone@example.com');
  secrets.add('revoked invitation token', dropped.token);
  expect((await call(s, 'DELETE', `/v1/invitations/${dropped.invitation.id}`, { cookie: c1 })).status).toBe(200);
  const mateInvite = await invite(s, c1, 'mate@example.com', 'member');
  secrets.add('invitation token', mateInvite.token);
  const mateAccepted = await trpcMutation(s, 'invitations.accept', { token: mateInvite.token }, { headers: origin });
  const mateCookie = secrets.add('invitee cookie', mateAccepted.cookie);
  const mateId = mateAccepted.body.result.data.user.id as string;
  expect((await call(s, 'PATCH', `/v1/members/${mateId}`, { cookie: c1, body: { role: 'admin' } })).status).toBe(200);
  const otherInvite = await invite(s, c1, 'other@example.com', 'member');
  secrets.add('second invitation token', otherInvite.token);
  const otherAccepted = await call(s, 'POST', '/v1/invitations/accept', { body: { token: otherInvite.token } });
  secrets.add('second invitee cookie', otherAccepted.cookie);
  expect((await call(s, 'DELETE', `/v1/members/${otherAccepted.body.user.id}`, { cookie: c1 })).status).toBe(200);
  expect((await call(s, 'DELETE', `/v1/members/${mateId}`, { cookie: mateCookie })).status).toBe(200);

  // Sessions: one revoked by id, the others ended, a fresh one to read with.
  const sessions = (await call(s, 'GET', '/v1/auth/sessions', { cookie: c1 })).body as Array<{ id: string; current: boolean }>;
  const other = sessions.find((x) => !x.current)!;
  expect((await call(s, 'DELETE', `/v1/auth/sessions/${other.id}`, { cookie: c1 })).status).toBe(200);
  const login = () => call(s, 'POST', '/v1/auth/login', { body: { email } });
  const t3 = secrets.add('token 3', await linkToken(s, email, login));
  const c3 = secrets.add('cookie 3', (await call(s, 'GET', `/v1/auth/verify?token=${encodeURIComponent(t3)}`)).cookie);
  expect((await call(s, 'POST', '/v1/auth/logout?scope=others', { cookie: c1 })).status).toBe(200);
  expect((await call(s, 'GET', '/v1/auth/me', { cookie: c3 })).status).toBe(401);
  expect((await trpcMutation(s, 'auth.logout', {}, { cookie: c1 })).status).toBe(200);
  const t4 = secrets.add('token 4', await linkToken(s, email, login));
  const reader = secrets.add('cookie 4', (await call(s, 'GET', `/v1/auth/verify?token=${encodeURIComponent(t4)}`)).cookie);
  // The operator's way in (what `private-connect sign-in-link` calls): a link that is never mailed.
  secrets.add('operator link token', new URL((await s.core.operator.issueSignInLink(email)).link).searchParams.get('token'));
  await s.core.flush();
  return { secrets, cookie: reader };
}
