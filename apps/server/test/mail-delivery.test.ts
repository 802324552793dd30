import { afterEach, describe, expect, it, vi } from 'vitest';
import { type TestServer, call, startTestServer } from './harness.js';

// A relay that cannot be reached: the request is answered as ever, the mail is retried, and the log
// says which request it was for and the recipient's domain, never the address or the link.
let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('mail when the relay is down', () => {
  it('answers the sign-up, retries the mail, and logs the request id and the recipient domain only', async () => {
    const lines: Array<{ message: string; fields?: Record<string, unknown> }> = [];
    const keep = (message: string, fields?: Record<string, unknown>) => lines.push({ message, fields });
    server = await startTestServer({ logger: { info: keep, warn: keep, error: keep } });
    await server.sink.close(); // the relay goes away
    const res = await call(server, 'POST', '/v1/auth/register', { body: { email: 'alice@mail.example', workspaceName: 'relay-down' } });
    expect(res.status).toBe(200);
    const requestId = res.headers.get('x-request-id');
    await vi.waitFor(() => expect(lines.some((l) => l.message === 'mail delivery failed; will retry' && l.fields?.retryInMs === 2000)).toBe(true), { timeout: 10_000 });
    const line = lines.find((l) => l.message.startsWith('mail delivery failed'))!;
    expect(line.fields).toMatchObject({ requestId, recipientDomain: 'mail.example', attempt: 1 });
    expect(JSON.stringify(lines)).not.toContain('alice@');
    expect(JSON.stringify(lines)).not.toContain('token=');
    expect(server.core.mail.pending).toBe(1);
  });
});
