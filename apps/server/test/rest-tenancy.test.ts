import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestServer, call, createKey, signUp, startTestServer } from './harness.js';
import { expectError } from './helpers.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => server?.close());

describe('two tenants', () => {
  it('the second gets 404 for every id of the first, by session and by key, and changes nothing', async () => {
    const a = await signUp(server, 'tenant-a@example.com', 'tenant-a');
    const b = await signUp(server, 'tenant-b@example.com', 'tenant-b');
    const aKey = await createKey(server, a.cookie, 'a-key');
    await call(server, 'PUT', `/v1/api-keys/${aKey.id}/ip-restrictions`, { cookie: a.cookie, body: { allowedIpRanges: ['127.0.0.1'] } });
    const aAgent = (await call(server, 'POST', '/v1/agents', { apiKey: aKey.key, body: { name: 'a-agent' } })).body;
    const aSession = (await call(server, 'GET', '/v1/auth/sessions', { cookie: a.cookie })).body[0].id;
    const bKey = await createKey(server, b.cookie, 'b-key');

    const asSession: Array<[string, string, unknown?]> = [
      ['GET', `/v1/api-keys/${aKey.id}`],
      ['PUT', `/v1/api-keys/${aKey.id}/ip-restrictions`, { allowedIpRanges: [] }],
      ['DELETE', `/v1/api-keys/${aKey.id}`],
      ['POST', `/v1/api-keys/${aKey.id}/roll`, { gracePeriodSeconds: 0 }],
      ['GET', `/v1/agents/${aAgent.id}`],
      ['DELETE', `/v1/agents/${aAgent.id}`],
      ['DELETE', `/v1/auth/sessions/${aSession}`],
    ];
    for (const [method, path, body] of asSession) {
      const res = await call(server, method, path, { cookie: b.cookie, ...(body === undefined ? {} : { body }) });
      expect(res.status, `${method} ${path}`).toBe(404);
      expectError(res, 404, 'not_found');
    }
    for (const [method, path] of [
      ['GET', `/v1/agents/${aAgent.id}`],
      ['DELETE', `/v1/agents/${aAgent.id}`],
    ] as const) {
      expectError(await call(server, method, path, { apiKey: bKey.key }), 404, 'not_found');
    }
    // Lists show only one's own.
    expect((await call(server, 'GET', '/v1/api-keys?includeRevoked=true', { cookie: b.cookie })).body.map((k: { id: string }) => k.id)).toEqual([bKey.id]);
    expect((await call(server, 'GET', '/v1/agents', { cookie: b.cookie })).body).toEqual([]);
    expect((await call(server, 'GET', '/v1/agents', { apiKey: bKey.key })).body).toEqual([]);
    const bAudit = (await call(server, 'GET', '/v1/audit-logs?limit=100', { cookie: b.cookie })).body.data;
    expect(JSON.stringify(bAudit)).not.toContain(aKey.id);
    expect(JSON.stringify(bAudit)).not.toContain(aAgent.id);

    // A's things are untouched.
    const detail = (await call(server, 'GET', `/v1/api-keys/${aKey.id}`, { cookie: a.cookie })).body;
    expect(detail).toMatchObject({ isActive: true, allowedIpRanges: ['127.0.0.1/32'], rolledToId: null, revokedAt: null });
    expect((await call(server, 'GET', `/v1/agents/${aAgent.id}`, { apiKey: aKey.key })).status).toBe(200);
    expect((await call(server, 'GET', '/v1/auth/me', { cookie: a.cookie })).status).toBe(200);
    expect((await call(server, 'GET', '/v1/api-keys', { cookie: a.cookie })).body).toHaveLength(1);
  });
});
