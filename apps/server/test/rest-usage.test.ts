import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestServer, call, createKey, signUp, startTestServer } from './harness.js';
import { expectError, expectFields } from './helpers.js';

let server: TestServer;
let cookie: string;

beforeAll(async () => {
  server = await startTestServer({ env: { RATE_LIMIT_PER_MINUTE: '6' } });
  ({ cookie } = await signUp(server, 'usage@example.com', 'usage-ws'));
});
afterAll(async () => server?.close());

describe('GET /v1/api-keys/:id/usage and GET /v1/usage', () => {
  it('counts what a script sent, by outcome, and keeps it across a restart', async () => {
    const key = await createKey(server, cookie, 'counted');
    for (let i = 0; i < 4; i++) expect((await call(server, 'GET', '/v1/agents', { apiKey: key.key })).status).toBe(200);
    expect((await call(server, 'PUT', `/v1/api-keys/${key.id}/ip-restrictions`, { cookie, body: { allowedIpRanges: ['10.0.0.0/8'] } })).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await call(server, 'GET', '/v1/agents', { apiKey: key.key })).status).toBe(403);
    expect((await call(server, 'PUT', `/v1/api-keys/${key.id}/ip-restrictions`, { cookie, body: { allowedIpRanges: [] } })).status).toBe(200);
    // The budget is 6 a minute and 4 were spent: 2 more pass, then 429 (IP refusals spend none).
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await call(server, 'GET', '/v1/agents', { apiKey: key.key })).status);
    expect(statuses).toEqual([200, 200, 429, 429]);

    const res = await call(server, 'GET', `/v1/api-keys/${key.id}/usage`, { cookie });
    expect(res.status).toBe(200);
    expectFields(res.body, ['granularity', 'from', 'to', 'data']);
    expect(res.body.granularity).toBe('hour');
    expect(res.body.data).toHaveLength(24);
    expectFields(res.body.data[23], ['start', 'ok', 'ipNotAllowed', 'rateLimited', 'expired']);
    expect(res.body.data[23]).toMatchObject({ ok: 6, ipNotAllowed: 3, rateLimited: 2, expired: 0 });
    const byDay = await call(server, 'GET', `/v1/api-keys/${key.id}/usage?granularity=day`, { cookie });
    expect(byDay.body.data).toHaveLength(30);
    expect(byDay.body.data[29]).toMatchObject({ ok: 6, ipNotAllowed: 3, rateLimited: 2 });

    const ws = await call(server, 'GET', '/v1/usage', { cookie });
    expect(ws.status).toBe(200);
    expect(ws.body.data[0]).toEqual({ keyId: key.id, name: 'counted', prefix: key.prefix, isActive: true, total: 11, ok: 6, ipNotAllowed: 3, rateLimited: 2, expired: 0 });

    server = await server.restart();
    expect((await call(server, 'GET', `/v1/api-keys/${key.id}/usage`, { cookie })).body.data[23]).toMatchObject({ ok: 6, ipNotAllowed: 3, rateLimited: 2 });
  });

  it('is session-only, scoped to the workspace, and refuses a bad range in the contract shape', async () => {
    const key = await createKey(server, cookie, 'scoped');
    expectError(await call(server, 'GET', `/v1/api-keys/${key.id}/usage`, { apiKey: key.key }), 403, 'session_required');
    expectError(await call(server, 'GET', '/v1/usage', { apiKey: key.key }), 403, 'session_required');
    const { cookie: other } = await signUp(server, 'usage-other@example.com', 'usage-other');
    expectError(await call(server, 'GET', `/v1/api-keys/${key.id}/usage`, { cookie: other }), 404, 'not_found');
    expect((await call(server, 'GET', '/v1/usage', { cookie: other })).body.data).toEqual([]);
    for (const q of ['granularity=week', 'from=yesterday', 'from=2026-12-02T00:00:00Z&to=2026-12-01T00:00:00Z', 'granularity=hour&from=2025-01-01T00:00:00Z']) {
      expectError(await call(server, 'GET', `/v1/api-keys/${key.id}/usage?${q}`, { cookie }), 400, 'invalid_request');
    }
  });
});
