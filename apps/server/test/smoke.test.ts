import { afterEach, describe, expect, it } from 'vitest';
import { type TestServer, call, createKey, signUp, startTestServer } from './harness.js';

let server: TestServer;
afterEach(async () => server?.close());

describe('harness', () => {
  it('signs up through the real SMTP sink and uses a key on /v1/agents', async () => {
    server = await startTestServer();
    const { cookie } = await signUp(server, 'a@example.com', 'acme');
    const key = await createKey(server, cookie);
    const res = await call(server, 'GET', '/v1/agents', { apiKey: key.key });
    expect(res.status).toBe(200);
    expect(res.body).toEqual([]);
  });
});
