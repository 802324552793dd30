import { afterEach, describe, expect, it } from 'vitest';
import { type TestServer, call, createKey, manualClock, signUp, startTestServer } from './harness.js';
import { eventually, expectError, signIn } from './helpers.js';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('restart on the same database file', () => {
  it('keeps sessions, keys, ranges, revocations, agents and the last use written at shutdown', async () => {
    const clock = manualClock();
    // Coalesced writes flush only at shutdown here, so the restart must carry them.
    server = await startTestServer({ clock, usageFlushMs: 3_600_000 });
    const { cookie } = await signUp(server, 'restart@example.com', 'restart-ws');
    const loggedOut = await signIn(server, 'restart@example.com');
    await call(server, 'POST', '/v1/auth/logout', { cookie: loggedOut });
    const key = await createKey(server, cookie, 'survivor');
    clock.advance(1000);
    const revoked = await createKey(server, cookie, 'revoked');
    await call(server, 'DELETE', `/v1/api-keys/${revoked.id}`, { cookie });
    await call(server, 'PUT', `/v1/api-keys/${key.id}/ip-restrictions`, { cookie, body: { allowedIpRanges: ['127.0.0.0/8', '::1'] } });
    const agent = (await call(server, 'POST', '/v1/agents', { apiKey: key.key, body: { name: 'persisted', label: 'rack 4' } })).body;
    clock.advance(5000);
    const usedAt = clock.now().toISOString();
    expect((await call(server, 'GET', '/v1/agents', { apiKey: key.key })).status).toBe(200);
    const before = (await call(server, 'GET', `/v1/api-keys/${key.id}`, { cookie })).body;
    expect(before).toMatchObject({ lastUsedAt: usedAt, lastUsedIp: '127.0.0.1' });
    const me = (await call(server, 'GET', '/v1/auth/me', { cookie })).body;

    clock.advance(5000);
    server = await server.restart();

    expect((await call(server, 'GET', '/v1/auth/me', { cookie })).body).toEqual(me);
    expectError(await call(server, 'GET', '/v1/auth/me', { cookie: loggedOut }), 401, 'authentication_required');
    expect((await call(server, 'GET', `/v1/api-keys/${key.id}`, { cookie })).body).toEqual(before);
    expect((await call(server, 'GET', `/v1/agents/${agent.id}`, { apiKey: key.key })).body).toEqual(agent);
    expectError(await call(server, 'GET', '/v1/agents', { apiKey: revoked.key }), 401, 'invalid_api_key');
    const keys = (await call(server, 'GET', '/v1/api-keys?includeRevoked=true', { cookie })).body;
    expect(keys.map((k: { name: string; isActive: boolean }) => [k.name, k.isActive])).toEqual([
      ['revoked', false],
      ['survivor', true],
    ]);
  });

  it('writes last use to the database within 2 seconds at the production flush interval', async () => {
    server = await startTestServer({ usageFlushMs: 1000 });
    const s = server;
    const { cookie } = await signUp(s, 'flush@example.com', 'flush-ws');
    const key = await createKey(s, cookie, 'flushed');
    expect((await call(s, 'GET', '/v1/agents', { apiKey: key.key })).status).toBe(200);
    const row = () => s.handle.db.selectFrom('api_keys').select(['last_used_at', 'last_used_ip']).where('id', '=', key.id).executeTakeFirstOrThrow();
    await eventually(async () => {
      expect(await row()).toEqual({ last_used_at: expect.stringMatching(/Z$/), last_used_ip: '127.0.0.1' });
    }, 2000);
    // What GET shows is what was written.
    const shown = (await call(s, 'GET', `/v1/api-keys/${key.id}`, { cookie })).body;
    expect(shown.lastUsedAt).toBe((await row()).last_used_at);
  });
});
