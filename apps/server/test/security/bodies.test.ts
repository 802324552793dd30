import { request } from 'node:http';
import { MAX_INPUT_DEPTH } from '@pc/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestServer, call, startTestServer } from '../harness.js';
import { type Tenant, expectRestError, expectTrpcError, tenant, trpcMutation, trpcQuery } from './support.js';

let s: TestServer;
let t: Tenant;
beforeAll(async () => {
  s = await startTestServer();
  t = await tenant(s, 'bodies');
});
afterAll(async () => s.close());

/** `depth` levels of arrays around a number, as JSON text. */
const nestedArrays = (depth: number) => `${'['.repeat(depth)}1${']'.repeat(depth)}`;
/** A valid input object with an extra field nesting so that the whole body is `depth` levels deep. */
const deepBody = (fields: Record<string, unknown>, depth: number) => JSON.stringify({ ...fields, extra: 0 }).replace('"extra":0', `"extra":${nestedArrays(depth - 1)}`);

const stillUp = async () => expect((await call(s, 'GET', '/health')).status).toBe(200);

/** Every REST route that takes a body, with a valid body for it. */
function restWrites() {
  return [
    { method: 'POST', path: '/v1/auth/register', body: { email: 'big@example.com', workspaceName: 'big-ws' }, cookie: null },
    { method: 'POST', path: '/v1/auth/login', body: { email: 'big@example.com' }, cookie: null },
    { method: 'POST', path: '/v1/api-keys', body: { name: 'big' }, cookie: t.cookie },
    { method: 'PUT', path: `/v1/api-keys/${t.key.id}/ip-restrictions`, body: { allowedIpRanges: ['10.0.0.0/8'] }, cookie: t.cookie },
    { method: 'POST', path: `/v1/api-keys/${t.key.id}/roll`, body: { gracePeriodSeconds: 60 }, cookie: t.cookie },
    { method: 'POST', path: '/v1/agents', body: { name: 'big' }, cookie: t.cookie },
    { method: 'POST', path: '/v1/auth/logout', body: {}, cookie: t.cookie },
  ] as const;
}

describe('oversized bodies', () => {
  it('every REST write answers 413 payload_too_large above 64 KiB, with or without Content-Length, and nothing changes', async () => {
    const before = await call(s, 'GET', `/v1/api-keys/${t.key.id}`, { cookie: t.cookie });
    for (const w of restWrites()) {
      const raw = JSON.stringify({ ...w.body, pad: 'a'.repeat(64 * 1024) });
      expectRestError(await call(s, w.method, w.path, { cookie: w.cookie, rawBody: raw, headers: { 'content-type': 'application/json' } }), 413, 'payload_too_large');
      // Chunked: no Content-Length to refuse up front, the limit holds while reading.
      const chunked = await new Promise<number>((resolve, reject) => {
        const req = request(`${s.url}${w.path}`, {
          method: w.method,
          headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked', ...(w.cookie ? { cookie: `session=${w.cookie}` } : {}) },
        });
        req.on('response', (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        for (let i = 0; i < 80; i++) req.write(`${i === 0 ? '{"pad":"' : ''}${'b'.repeat(1024)}`);
        req.end('"}');
      });
      expect(chunked, `${w.method} ${w.path} chunked`).toBe(413);
    }
    const after = await call(s, 'GET', `/v1/api-keys/${t.key.id}`, { cookie: t.cookie });
    expect(after.body).toEqual(before.body);
    expect((await call(s, 'GET', '/v1/auth/me', { cookie: t.cookie })).status).toBe(200);
    await stillUp();
  });

  it('a tRPC mutation above 64 KiB is 413 and does not run', async () => {
    const res = await trpcMutation(s, 'agents.create', { name: 'too-big', label: 'x', pad: 'a'.repeat(64 * 1024) }, { cookie: t.cookie });
    expect(res.status).toBe(413);
    const agents = await call(s, 'GET', '/v1/agents', { cookie: t.cookie });
    expect(agents.body.map((a: { name: string }) => a.name)).not.toContain('too-big');
    await stillUp();
  });
});

describe('deeply nested bodies', () => {
  it(`every REST write refuses a body nested more than ${MAX_INPUT_DEPTH} levels with 400 invalid_request`, async () => {
    for (const w of restWrites()) {
      const res = await call(s, w.method, w.path, { cookie: w.cookie, rawBody: deepBody(w.body, MAX_INPUT_DEPTH + 1), headers: { 'content-type': 'application/json' } });
      expectRestError(res, 400, 'invalid_request');
    }
    await stillUp();
  });

  it('takes a body at the limit, refuses one level more (the limit is exact, not a parse failure)', async () => {
    const at = await call(s, 'POST', '/v1/agents', { cookie: t.cookie, rawBody: deepBody({ name: 'at-limit' }, MAX_INPUT_DEPTH), headers: { 'content-type': 'application/json' } });
    expect(at.status).toBe(201);
    expect(at.body.name).toBe('at-limit');
    const over = await call(s, 'POST', '/v1/agents', { cookie: t.cookie, rawBody: deepBody({ name: 'over-limit' }, MAX_INPUT_DEPTH + 1), headers: { 'content-type': 'application/json' } });
    expectRestError(over, 400, 'invalid_request');
    const names = (await call(s, 'GET', '/v1/agents', { cookie: t.cookie })).body.map((a: { name: string }) => a.name);
    expect(names).toContain('at-limit');
    expect(names).not.toContain('over-limit');
  });

  it('a 64 KiB body of nothing but nesting (and one of objects) is 400, and the server stays up', async () => {
    const depth = 32_000; // 64,000 bytes of brackets
    for (const raw of [nestedArrays(depth), `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`]) {
      expect(raw.length).toBeLessThanOrEqual(64 * 1024);
      expectRestError(await call(s, 'POST', '/v1/agents', { cookie: t.cookie, rawBody: raw, headers: { 'content-type': 'application/json' } }), 400, 'invalid_request');
      expectRestError(await call(s, 'POST', '/v1/auth/login', { rawBody: raw, headers: { 'content-type': 'application/json' } }), 400, 'invalid_request');
    }
    await stillUp();
  });

  it('tRPC refuses deep input in a mutation body and in a query string with 400 invalid_request', async () => {
    const mutation = await call(s, 'POST', '/trpc/agents.create', {
      cookie: t.cookie,
      rawBody: deepBody({ name: 'deep-trpc' }, MAX_INPUT_DEPTH + 1),
      headers: { 'content-type': 'application/json' },
    });
    expectTrpcError(mutation, 400, 'invalid_request');
    const query = await call(s, 'GET', `/trpc/agents.get?input=${encodeURIComponent(deepBody({ id: t.agent.id }, 2000))}`, { cookie: t.cookie });
    expectTrpcError(query, 400, 'invalid_request');
    // Shallow inputs are untouched by the check.
    expect((await trpcQuery(s, 'agents.get', { id: t.agent.id }, { cookie: t.cookie })).status).toBe(200);
    const names = (await call(s, 'GET', '/v1/agents', { cookie: t.cookie })).body.map((a: { name: string }) => a.name);
    expect(names).not.toContain('deep-trpc');
    await stillUp();
  });

  it('malformed JSON stays 400 invalid_json (REST) and a tRPC parse error, not a 500', async () => {
    expectRestError(await call(s, 'POST', '/v1/agents', { cookie: t.cookie, rawBody: '{"name":', headers: { 'content-type': 'application/json' } }), 400, 'invalid_json');
    const trpc = await call(s, 'POST', '/trpc/agents.create', { cookie: t.cookie, rawBody: '{"name":', headers: { 'content-type': 'application/json' } });
    expect(trpc.status).toBe(400);
  });
});

describe('tRPC batches', () => {
  it('at most 50 procedure calls in one request: 50 run, 51 are refused with 400 before any runs', async () => {
    const batch = (n: number) => call(s, 'GET', `/trpc/${Array(n).fill('auth.me').join(',')}?batch=1`, { cookie: t.cookie });
    const ok = await batch(50);
    expect(ok.status).toBe(200);
    expect(ok.body).toHaveLength(50);
    const tooMany = await batch(51);
    expect(tooMany.status).toBe(400);
    expect(JSON.stringify(tooMany.body)).not.toContain(t.user.email);
  });
});
