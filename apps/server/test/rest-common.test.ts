import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestServer, call, createKey, signUp, startTestServer } from './harness.js';
import { expectError, unknownWellFormedKey } from './helpers.js';

let server: TestServer;
let cookie: string;
let apiKey: string;

beforeAll(async () => {
  server = await startTestServer();
  ({ cookie } = await signUp(server, 'common@example.com', 'common'));
  apiKey = (await createKey(server, cookie)).key;
});
afterAll(async () => server?.close());

describe('common rules', () => {
  it('every response carries X-Request-Id and nosniff, each id different', async () => {
    const replies = await Promise.all([
      call(server, 'GET', '/health'),
      call(server, 'GET', '/v1/openapi.json'),
      call(server, 'GET', '/v1/agents', { apiKey }),
      call(server, 'GET', '/v1/agents'),
      call(server, 'GET', '/v1/nope'),
      call(server, 'POST', '/v1/auth/login', { rawBody: '{', headers: { 'content-type': 'application/json' } }),
      call(server, 'GET', '/some/page'),
      call(server, 'POST', '/not-an-api'),
      call(server, 'GET', '/trpc/config'),
      call(server, 'GET', '/trpc/nope'),
    ]);
    const ids = replies.map((r) => r.headers.get('x-request-id'));
    for (const [i, r] of replies.entries()) {
      expect(ids[i], `reply ${i} (${r.status})`).toMatch(/\S{8,}/);
      expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    }
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('an unknown /v1 route is a JSON 404 not_found, with or without credentials; a known one with another method is 405', async () => {
    expectError(await call(server, 'GET', '/v1/nope'), 404, 'not_found');
    expectError(await call(server, 'GET', '/v1/agents/x/y/z', { apiKey }), 404, 'not_found');
    expectError(await call(server, 'POST', '/v1/nope', { body: {} }), 404, 'not_found');
    const wrongMethod = await call(server, 'DELETE', '/v1/api-keys', { cookie });
    expectError(wrongMethod, 405, 'method_not_allowed');
    expect(wrongMethod.headers.get('allow')).toBe('GET, POST');
    expectError(await call(server, 'POST', '/not-an-api', { body: {} }), 404, 'not_found');
  });

  it('malformed JSON is 400 invalid_json', async () => {
    for (const rawBody of ['{', '{"email":', 'nope', '{"a":1,}']) {
      const res = await call(server, 'POST', '/v1/auth/login', { rawBody, headers: { 'content-type': 'application/json' } });
      expectError(res, 400, 'invalid_json');
    }
    expectError(
      await call(server, 'POST', '/v1/api-keys', { cookie, rawBody: '{"name":', headers: { 'content-type': 'application/json' } }),
      400,
      'invalid_json',
    );
  });

  it('a body that is not application/json is 415 unsupported_media_type', async () => {
    const asText = await call(server, 'POST', '/v1/auth/login', { rawBody: '{"email":"a@example.com"}', headers: { 'content-type': 'text/plain' } });
    expectError(asText, 415, 'unsupported_media_type');
    const asForm = await call(server, 'POST', '/v1/api-keys', { cookie, rawBody: 'name=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expectError(asForm, 415, 'unsupported_media_type');
    const put = await call(server, 'PUT', '/v1/api-keys/key_x/ip-restrictions', { cookie, rawBody: 'x', headers: { 'content-type': 'text/plain' } });
    expectError(put, 415, 'unsupported_media_type');
    // With a charset parameter it is still JSON.
    const ok = await call(server, 'POST', '/v1/auth/login', {
      rawBody: '{"email":"charset@example.com"}',
      headers: { 'content-type': 'application/json; charset=utf-8' },
    });
    expect(ok.status).toBe(200);
  });

  it('a body over 64 KiB is 413 payload_too_large; just under is parsed', async () => {
    const big = JSON.stringify({ name: 'x', pad: 'a'.repeat(64 * 1024) });
    expectError(await call(server, 'POST', '/v1/api-keys', { cookie, rawBody: big, headers: { 'content-type': 'application/json' } }), 413, 'payload_too_large');
    expectError(await call(server, 'POST', '/v1/auth/register', { body: { email: 'a@example.com', workspaceName: 'a'.repeat(70_000) } }), 413, 'payload_too_large');
    const under = JSON.stringify({ email: 'under@example.com', pad: 'a'.repeat(64 * 1024 - 100) });
    expect(Buffer.byteLength(under)).toBeLessThan(64 * 1024);
    const res = await call(server, 'POST', '/v1/auth/login', { rawBody: under, headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(200);
  });

  it('validation failures are 400 invalid_request with dotted details paths', async () => {
    const res = await call(server, 'POST', '/v1/auth/register', { body: { email: 'not-an-email', workspaceName: 'A' } });
    expectError(res, 400, 'invalid_request');
    expect([...new Set(res.body.details.map((d: { path: string }) => d.path))].sort()).toEqual(['email', 'workspaceName']);
    for (const d of res.body.details) expect(typeof d.message).toBe('string');
    const missing = await call(server, 'POST', '/v1/auth/login', {});
    expectError(missing, 400, 'invalid_request');
    const notObject = await call(server, 'POST', '/v1/auth/login', { body: ['a@example.com'] });
    expectError(notObject, 400, 'invalid_request');
  });

  it('routes that need credentials answer 401 authentication_required without them', async () => {
    const routes: Array<[string, string, unknown?]> = [
      ['GET', '/v1/auth/me'],
      ['POST', '/v1/auth/logout'],
      ['GET', '/v1/auth/sessions'],
      ['DELETE', '/v1/auth/sessions/ses_x'],
      ['GET', '/v1/api-keys'],
      ['POST', '/v1/api-keys', { name: 'x' }],
      ['GET', '/v1/api-keys/key_x'],
      ['PUT', '/v1/api-keys/key_x/ip-restrictions', { allowedIpRanges: [] }],
      ['DELETE', '/v1/api-keys/key_x'],
      ['POST', '/v1/api-keys/key_x/roll', {}],
      ['GET', '/v1/agents'],
      ['POST', '/v1/agents', { name: 'x' }],
      ['GET', '/v1/agents/agt_x'],
      ['DELETE', '/v1/agents/agt_x'],
      ['GET', '/v1/audit-logs'],
    ];
    for (const [method, path, body] of routes) {
      const res = await call(server, method, path, body === undefined ? {} : { body });
      expect(res.status, `${method} ${path}`).toBe(401);
      expectError(res, 401, 'authentication_required');
      // A cookie that names no session is the same as none.
      const stale = await call(server, method, path, { cookie: 'not-a-session-token', ...(body === undefined ? {} : { body }) });
      expectError(stale, 401, 'authentication_required');
    }
  });

  it('JSON answers are never cached', async () => {
    const replies = [
      await call(server, 'GET', '/v1/auth/me', { cookie }),
      await call(server, 'GET', '/v1/api-keys', { cookie }),
      await call(server, 'GET', '/v1/agents', { apiKey }),
      await call(server, 'GET', '/v1/nope'),
      await call(server, 'GET', '/v1/auth/me'),
      await call(server, 'GET', '/health'),
      await call(server, 'POST', '/not-an-api', { body: {} }),
      await call(server, 'GET', '/trpc/auth.me', { cookie }),
    ];
    for (const r of replies) {
      expect(r.headers.get('content-type')).toMatch(/^application\/json/);
      expect(r.headers.get('cache-control'), `${r.status} ${JSON.stringify(r.body)}`).toBe('no-store');
    }
  });
});

describe('operations', () => {
  it('GET /health answers ok with the database', async () => {
    const res = await call(server, 'GET', '/health');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok', database: 'ok' });
  });

  it('GET /v1/openapi.json is OpenAPI 3.1 listing every documented path and method', async () => {
    const res = await call(server, 'GET', '/v1/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toMatch(/^3\.1\.\d+$/);
    expect(res.body.info.title).toBeTruthy();
    const servers: string[] = (res.body.servers ?? []).map((s: { url: string }) => s.url);
    const prefix = servers.some((u) => u.endsWith('/v1')) ? '' : '/v1';
    const expected: Record<string, string[]> = {
      '/auth/register': ['post'],
      '/auth/login': ['post'],
      '/auth/verify': ['get'],
      '/auth/me': ['get'],
      '/auth/logout': ['post'],
      '/auth/sessions': ['get'],
      '/auth/sessions/{id}': ['delete'],
      '/api-keys': ['get', 'post'],
      '/api-keys/{id}': ['delete', 'get'],
      '/api-keys/{id}/ip-restrictions': ['put'],
      '/api-keys/{id}/roll': ['post'],
      '/agents': ['get', 'post'],
      '/agents/{id}': ['delete', 'get'],
      '/audit-logs': ['get'],
      '/openapi.json': ['get'],
    };
    for (const [path, methods] of Object.entries(expected)) {
      const item = res.body.paths[prefix + path];
      expect(item, path).toBeDefined();
      expect(Object.keys(item).filter((k) => ['get', 'post', 'put', 'delete', 'patch'].includes(k)).sort(), path).toEqual(methods);
    }
    // The create schema documents the public API's fields (a named schema, referred to).
    const created = res.body.paths[`${prefix}/api-keys`].post.responses['201'].content['application/json'].schema;
    expect(created).toEqual({ $ref: '#/components/schemas/ApiKeyCreated' });
    expect(Object.keys(res.body.components.schemas.ApiKeyCreated.properties)).toEqual(expect.arrayContaining(['id', 'name', 'key', 'prefix', 'createdAt']));
  });
});

describe('the HTML shell', () => {
  it('serves unknown non-API GETs as the page with <div id="root"> and strict headers', async () => {
    for (const path of ['/', '/settings/api-keys', '/auth/verify?token=abc']) {
      const res = await call(server, 'GET', path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(res.body).toContain('<div id="root">');
      const csp = res.headers.get('content-security-policy') ?? '';
      const scripts = /script-src ([^;]*)/.exec(csp)?.[1] ?? /default-src ([^;]*)/.exec(csp)?.[1];
      expect(scripts, csp).toBeDefined();
      expect(scripts).not.toMatch(/unsafe-inline|unsafe-eval/);
      expect(csp).toMatch(/frame-ancestors 'none'/);
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('strict-transport-security')).toBeNull();
    }
  });
});

describe('a failure inside the server', () => {
  it('is a 500 internal_error with the request id and no stack or SQL (REST and tRPC)', async () => {
    const broken = await startTestServer();
    try {
      const { cookie: c } = await signUp(broken, 'broken@example.com', 'broken');
      await sql`drop table agents`.execute(broken.handle.db);
      const res = await call(broken, 'GET', '/v1/agents', { cookie: c });
      expectError(res, 500, 'internal_error');
      const requestId = res.headers.get('x-request-id')!;
      expect(JSON.stringify(res.body)).toContain(requestId);
      const text = JSON.stringify(res.body);
      expect(text).not.toMatch(/agents|SQLITE|no such table|select|\.ts:|\bat \w/i);

      const viaTrpc = await call(broken, 'GET', '/trpc/agents.list', { cookie: c });
      expect(viaTrpc.status).toBe(500);
      expect(viaTrpc.body.error.data.appCode).toBe('internal_error');
      expect(viaTrpc.body.error.data.stack).toBeUndefined();
      expect(JSON.stringify(viaTrpc.body)).not.toMatch(/agents\b.*table|SQLITE|no such table|\.ts:|\bat \w/i);
    } finally {
      await broken.close();
    }
  });

  it('a mistyped key is refused without a database look-up (it is 401 even when the table is gone)', async () => {
    const broken = await startTestServer();
    try {
      await sql`drop table api_keys`.execute(broken.handle.db);
      const wellFormed = unknownWellFormedKey();
      const badChecksum = wellFormed.slice(0, -1) + (wellFormed.endsWith('0') ? '1' : '0');
      for (const k of ['pc_live_short', badChecksum, `${wellFormed}x`]) {
        expectError(await call(broken, 'GET', '/v1/agents', { apiKey: k }), 401, 'invalid_api_key');
      }
      // A well-formed key has to be looked up, and that fails here.
      expectError(await call(broken, 'GET', '/v1/agents', { apiKey: wellFormed }), 500, 'internal_error');
    } finally {
      await broken.close();
    }
  });

  it('GET /health answers 503 when the database does not answer', async () => {
    const down = await startTestServer();
    try {
      await down.handle.db.destroy();
      const res = await call(down, 'GET', '/health');
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({ database: expect.not.stringMatching(/^ok$/) });
      expect(res.body.status).not.toBe('ok');
    } finally {
      await down.close().catch(() => {});
    }
  });
});
