import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestServer, call, createKey, signUp, startTestServer } from '../harness.js';
import { linkToken } from './support.js';

// Express answers HEAD with a GET route's handler: a HEAD of a verify link (a mail scanner, a link
// preview) would spend the token, and one with a key would record a use. HEAD changes nothing.
let s: TestServer;
let cookie: string;
beforeAll(async () => {
  s = await startTestServer({ usageFlushMs: 50 });
  ({ cookie } = await signUp(s, 'head@example.com', 'head-ws'));
});
afterAll(async () => s.close());

describe('HEAD never spends a token or changes anything', () => {
  it('HEAD of a verify link is 405 (Allow: GET) and the link still signs in afterwards', async () => {
    const token = await linkToken(s, 'head@example.com', () => call(s, 'POST', '/v1/auth/login', { body: { email: 'head@example.com' } }));
    const head = await call(s, 'HEAD', `/v1/auth/verify?token=${encodeURIComponent(token)}`);
    expect(head.status).toBe(405);
    expect(head.headers.get('allow')).toBe('GET');
    expect(head.headers.get('x-request-id')).toBeTruthy();
    expect(head.cookie).toBeNull();
    const get = await call(s, 'GET', `/v1/auth/verify?token=${encodeURIComponent(token)}`);
    expect(get.status).toBe(200);
    expect(get.cookie).toBeTruthy();
  });

  it('HEAD with an API key is 405 and records no use; GET still works', async () => {
    const key = await createKey(s, cookie, 'head-key');
    const head = await call(s, 'HEAD', '/v1/agents', { apiKey: key.key });
    expect(head.status).toBe(405);
    expect(head.headers.get('allow')).toBe('GET, POST');
    expect((await call(s, 'HEAD', `/v1/api-keys/${key.id}`, { cookie })).headers.get('allow')).toBe('GET, DELETE');
    await s.core.flush();
    const detail = (await call(s, 'GET', `/v1/api-keys/${key.id}`, { cookie })).body;
    expect(detail.lastUsedAt).toBeNull();
    expect((await call(s, 'GET', `/v1/api-keys/${key.id}/usage`, { cookie })).body.data.at(-1)).toMatchObject({ ok: 0 });
    expect((await call(s, 'GET', '/v1/agents', { apiKey: key.key })).status).toBe(200);
  });

  it('HEAD under /trpc is 405 (Allow: GET, POST): no query runs, no session slides', async () => {
    const head = await call(s, 'HEAD', '/trpc/auth.me', { cookie });
    expect(head.status).toBe(405);
    expect(head.headers.get('allow')).toBe('GET, POST');
    expect(head.cookie).toBeNull();
  });
});
