import { afterEach, describe, expect, it } from 'vitest';
import { type Reply, type TestServer, call, createKey, signUp, startTestServer } from '../harness.js';
import { linkToken, loginToken, trpcMutation } from './support.js';

let s: TestServer | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

const signUpLink = (server: TestServer, email: string, workspaceName: string) =>
  linkToken(server, email, () => call(server, 'POST', '/v1/auth/register', { body: { email, workspaceName } }));

const verifyRest = (server: TestServer, token: string) => call(server, 'GET', `/v1/auth/verify?token=${encodeURIComponent(token)}`);
const verifyTrpc = (server: TestServer, token: string) => trpcMutation(server, 'auth.verify', { token });
const succeeded = (r: Reply) => r.status === 200;
/** A key-creating call that worked: REST answers 201, tRPC 200 with a result. */
const createdKey = (r: Reply) => r.status === 201 || (r.status === 200 && r.body.result !== undefined);

async function sessionCount(server: TestServer, email: string): Promise<number> {
  const row = await server.handle.db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('users.email', '=', email)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

describe('magic-link races', () => {
  it('three concurrent verifies of one sign-up link (REST, REST, tRPC): one session, one user, one workspace', async () => {
    s = await startTestServer();
    const token = await signUpLink(s, 'race@example.com', 'race-ws');
    const replies = await Promise.all([verifyRest(s, token), verifyRest(s, token), verifyTrpc(s, token)]);
    expect(replies.filter(succeeded)).toHaveLength(1);
    expect(replies.filter((r) => r.cookie !== null)).toHaveLength(1);
    for (const r of replies.filter((x) => !succeeded(x))) {
      expect(r.status).toBe(400);
      expect(r.body.code ?? r.body.error.data.appCode).toBe('invalid_token');
    }
    expect(await sessionCount(s, 'race@example.com')).toBe(1);
    const users = await s.handle.db.selectFrom('users').select('id').where('email', '=', 'race@example.com').execute();
    expect(users).toHaveLength(1);
    const workspaces = await s.handle.db.selectFrom('workspaces').select('id').where('name', '=', 'race-ws').execute();
    expect(workspaces).toHaveLength(1);
  });

  it('three concurrent verifies of one sign-in link, repeated: always exactly one session', async () => {
    s = await startTestServer();
    await signUp(s, 'again@example.com', 'again-ws');
    for (let round = 1; round <= 5; round++) {
      const token = await loginToken(s, 'again@example.com');
      const replies = await Promise.all([verifyRest(s, token), verifyTrpc(s, token), verifyRest(s, token)]);
      expect(replies.filter(succeeded), `round ${round}`).toHaveLength(1);
      expect(await sessionCount(s, 'again@example.com')).toBe(1 + round);
    }
  });

  it('three different outstanding links of one e-mail, verified at once: one session (using one voids the others)', async () => {
    s = await startTestServer();
    await signUp(s, 'many@example.com', 'many-ws');
    const tokens = [];
    for (let i = 0; i < 3; i++) tokens.push(await loginToken(s, 'many@example.com'));
    const replies = await Promise.all(tokens.map((t, i) => (i === 1 ? verifyTrpc(s!, t) : verifyRest(s!, t))));
    expect(replies.filter(succeeded)).toHaveLength(1);
    expect(await sessionCount(s, 'many@example.com')).toBe(2);
  });
});

describe('key races', () => {
  it('three concurrent rolls of one key: one new key, two 409 api_key_already_rolled', async () => {
    s = await startTestServer();
    const { cookie } = await signUp(s, 'roll@example.com', 'roll-ws');
    const key = await createKey(s, cookie, 'rolled');
    const replies = await Promise.all([
      call(s, 'POST', `/v1/api-keys/${key.id}/roll`, { cookie, body: {} }),
      trpcMutation(s, 'apiKeys.roll', { id: key.id }, { cookie }),
      call(s, 'POST', `/v1/api-keys/${key.id}/roll`, { cookie, body: { gracePeriodSeconds: 0 } }),
    ]);
    const created = replies.filter(createdKey);
    expect(created).toHaveLength(1);
    for (const r of replies.filter((x) => !created.includes(x))) {
      expect(r.status).toBe(409);
      expect(r.body.code ?? r.body.error.data.appCode).toBe('api_key_already_rolled');
    }
    const keys = await call(s, 'GET', '/v1/api-keys?includeRevoked=true', { cookie });
    expect(keys.body).toHaveLength(2);
    const audit = await call(s, 'GET', '/v1/audit-logs?action=api_key.rolled', { cookie });
    expect(audit.body.data).toHaveLength(1);
  });

  it('three concurrent creates of one name: one key, two 409 api_key_name_taken', async () => {
    s = await startTestServer();
    const { cookie } = await signUp(s, 'dup@example.com', 'dup-ws');
    const replies = await Promise.all([
      call(s, 'POST', '/v1/api-keys', { cookie, body: { name: 'same' } }),
      trpcMutation(s, 'apiKeys.create', { name: 'same' }, { cookie }),
      call(s, 'POST', '/v1/api-keys', { cookie, body: { name: 'same' } }),
    ]);
    const created = replies.filter(createdKey);
    expect(created).toHaveLength(1);
    for (const r of replies.filter((x) => !created.includes(x))) expect(r.body.code ?? r.body.error.data.appCode).toBe('api_key_name_taken');
    expect((await call(s, 'GET', '/v1/api-keys', { cookie })).body).toHaveLength(1);
  });

  it('revoke racing a roll: the old key is dead either way; the roll gives a working new key or 409 api_key_revoked', async () => {
    s = await startTestServer();
    const { cookie } = await signUp(s, 'rr@example.com', 'rr-ws');
    const key = await createKey(s, cookie, 'contested');
    const [revoke, roll] = await Promise.all([
      call(s, 'DELETE', `/v1/api-keys/${key.id}`, { cookie }),
      call(s, 'POST', `/v1/api-keys/${key.id}/roll`, { cookie, body: { gracePeriodSeconds: 3600 } }),
    ]);
    expect(revoke.status).toBe(200);
    // The old key is dead either way; a roll that went first produced a key the owner was shown.
    const old = await call(s, 'GET', '/v1/agents', { apiKey: key.key });
    expect(old.status).toBe(401);
    if (roll.status === 201) expect((await call(s, 'GET', '/v1/agents', { apiKey: roll.body.key })).status).toBe(200);
    else expect(roll.body.code).toBe('api_key_revoked');
  });
});
