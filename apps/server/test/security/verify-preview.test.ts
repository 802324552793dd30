import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestServer, call, signUp, startTestServer } from '../harness.js';
import { expectTrpcError, linkToken, trpcQuery } from './support.js';

// Login CSRF with a click: an attacker sends a victim the attacker's own sign-in link. The verify
// page now names the account and workspace the link opens, and says who the browser is signed in as.
let s: TestServer;
let victim: string;
beforeAll(async () => {
  s = await startTestServer();
  ({ cookie: victim } = await signUp(s, 'victim@example.com', 'victim-corp'));
  await signUp(s, 'mallory@evil.example', 'mallory-ws');
});
afterAll(async () => s.close());

const preview = (token: string, cookie?: string) => trpcQuery(s, 'auth.previewLink', { token }, cookie ? { cookie } : {});
const attackerLink = () => linkToken(s, 'mallory@evil.example', () => call(s, 'POST', '/v1/auth/login', { body: { email: 'mallory@evil.example' } }));

describe("the verify page's preview of a link", () => {
  it("names the attacker's account (masked) and workspace, and the victim's own account, before any click", async () => {
    const token = await attackerLink();
    const res = await preview(token, victim);
    expect(res.status).toBe(200);
    expect(res.body.result.data).toEqual({
      email: 'm•••@evil.example',
      workspace: 'mallory-ws',
      isNewUser: false,
      current: { email: 'victim@example.com', sameAccount: false },
    });
    // Without a session there is no one to compare with, and the address stays masked.
    expect((await preview(token)).body.result.data).toMatchObject({ email: 'm•••@evil.example', current: null });
    expect(JSON.stringify((await preview(token)).body)).not.toContain('mallory@');
  });

  it('never spends the link: the REST verify still signs in after several previews', async () => {
    const token = await attackerLink();
    for (let i = 0; i < 3; i++) expect((await preview(token)).status).toBe(200);
    const verified = await call(s, 'GET', `/v1/auth/verify?token=${encodeURIComponent(token)}`);
    expect(verified.status).toBe(200);
    expect(verified.body.user.email).toBe('mallory@evil.example');
    expectTrpcError(await preview(token), 400, 'invalid_token');
  });

  it('a sign-up link names the workspace it creates; a forged token is invalid_token', async () => {
    const token = await linkToken(s, 'newbie@example.com', () => call(s, 'POST', '/v1/auth/register', { body: { email: 'newbie@example.com', workspaceName: 'newbie-ws' } }));
    expect((await preview(token)).body.result.data).toEqual({ email: 'n•••@example.com', workspace: 'newbie-ws', isNewUser: true, current: null });
    expectTrpcError(await preview('x'.repeat(43)), 400, 'invalid_token');
  });
});
