import { registerInput } from '@pc/contract';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, closeHarnesses, count, createHarness, expectAppError, meta, signUp, tokenOf } from './helpers.js';

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
});
afterEach(closeHarnesses);

describe('register → verify', () => {
  it('mails a link after the response; verifying it creates user, workspace, membership and session', async () => {
    await h.core.auth.register(registerInput.parse({ email: ' Alice@Example.com ', workspaceName: 'acme' }), meta('203.0.113.5', 'Firefox'));
    // Nothing is created or mailed before the link is verified.
    expect(await count(h, 'users')).toBe(0);
    expect(await count(h, 'workspaces')).toBe(0);
    await h.core.queue.idle();

    expect(h.mailer.sent).toHaveLength(1);
    const mail = h.mailer.sent[0]!;
    expect(mail.to).toBe('alice@example.com');
    expect(mail.subject).toBe('Confirm your Private Connect workspace');
    expect(mail.text).toContain(mail.link);
    expect(mail.text).toContain('acme');
    const token = tokenOf(mail);
    expect(Buffer.from(token, 'base64url').length).toBeGreaterThanOrEqual(32);

    const signed = await h.core.auth.verify(token, meta('203.0.113.5', 'Firefox'));
    expect(signed.result).toEqual({
      success: true,
      user: { id: expect.stringMatching(/^user_[0-9A-Za-z]{16,}$/), email: 'alice@example.com' },
      workspace: { id: expect.stringMatching(/^ws_[0-9A-Za-z]{16,}$/), name: 'acme' },
      isNewUser: true,
    });
    expect(signed.maxAgeSeconds).toBe(2_592_000);
    expect(await count(h, 'users')).toBe(1);
    expect(await count(h, 'workspaces')).toBe(1);
    const member = await h.handle.db.selectFrom('workspace_members').selectAll().executeTakeFirstOrThrow();
    expect(member).toMatchObject({ user_id: signed.result.user.id, workspace_id: signed.result.workspace.id, role: 'owner' });
    const session = await h.handle.db.selectFrom('sessions').selectAll().executeTakeFirstOrThrow();
    expect(session).toMatchObject({ user_id: signed.result.user.id, ip: '203.0.113.5', user_agent: 'Firefox' });

    const auth = await h.core.auth.authenticateSession(signed.sessionToken);
    expect(auth?.principal).toMatchObject({ kind: 'session', userId: signed.result.user.id, workspaceId: signed.result.workspace.id });
    expect(await h.core.auth.me(auth!.principal)).toEqual({
      user: { id: signed.result.user.id, email: 'alice@example.com', createdAt: '2026-03-02T10:00:00.000Z' },
      workspace: { id: signed.result.workspace.id, name: 'acme', createdAt: '2026-03-02T10:00:00.000Z' },
      role: 'owner',
    });
  });

  it('registering an e-mail that has an account answers the same and mails a sign-in link instead', async () => {
    const alice = await signUp(h, 'alice@example.com', 'acme');
    h.mailer.sent.length = 0;
    const pendingBefore = await count(h, 'pending_registrations');

    const answer = await h.core.auth.register({ email: 'alice@example.com', workspaceName: 'second-ws' }, meta());
    expect(answer).toBeUndefined(); // the same (empty) answer as a first registration
    await h.core.queue.idle();

    expect(h.mailer.sent).toHaveLength(1);
    expect(h.mailer.sent[0]!.subject).toBe('Your Private Connect sign-in link');
    expect(h.mailer.sent[0]!.text).not.toContain('second-ws');
    expect(await count(h, 'pending_registrations')).toBe(pendingBefore); // no sign-up was started

    const signed = await h.core.auth.verify(tokenOf(h.mailer.sent[0]!), meta());
    expect(signed.result.isNewUser).toBe(false);
    expect(signed.result.user.id).toBe(alice.userId);
    expect(signed.result.workspace).toEqual({ id: alice.workspaceId, name: 'acme' });
    expect(await count(h, 'workspaces')).toBe(1);
  });

  it('a registration link verified after the account exists signs in to the existing workspace', async () => {
    await h.core.auth.register({ email: 'bob@example.com', workspaceName: 'first' }, meta());
    await h.core.auth.register({ email: 'bob@example.com', workspaceName: 'second' }, meta());
    await h.core.queue.idle();
    // The two mail jobs run side by side, so the mails may arrive in either order.
    const mails = h.mailer.to('bob@example.com');
    expect(mails).toHaveLength(2);
    const firstMail = mails.find((m) => m.text.includes('"first"'));
    const secondMail = mails.find((m) => m.text.includes('"second"'));
    const first = await h.core.auth.verify(tokenOf(firstMail!), meta());
    expect(first.result.workspace.name).toBe('first');
    // Using one link voided the other, so "second" can never be created by it.
    await expectAppError(h.core.auth.verify(tokenOf(secondMail!), meta()), 'invalid_token');
    expect(await count(h, 'workspaces')).toBe(1);
  });
});

describe('login', () => {
  it('mails a sign-in link to an existing account', async () => {
    const alice = await signUp(h, 'alice@example.com', 'acme');
    await h.core.auth.login({ email: 'alice@example.com' }, meta());
    await h.core.queue.idle();
    const mails = h.mailer.to('alice@example.com');
    expect(mails).toHaveLength(2);
    expect(mails[1]!.subject).toBe('Your Private Connect sign-in link');
    const signed = await h.core.auth.verify(tokenOf(mails[1]!), meta());
    expect(signed.result).toMatchObject({ isNewUser: false, user: { id: alice.userId } });
  });

  it('answers the same for an unknown e-mail and sends nothing', async () => {
    expect(await h.core.auth.login({ email: 'nobody@example.com' }, meta())).toBeUndefined();
    await h.core.queue.idle();
    expect(h.mailer.sent).toEqual([]);
    expect(await count(h, 'magic_links')).toBe(0);
    expect(await count(h, 'users')).toBe(0);
  });
});

describe('workspace names', () => {
  it('a taken name is refused at register, and nothing is mailed', async () => {
    await signUp(h, 'alice@example.com', 'acme');
    h.mailer.sent.length = 0;
    await expectAppError(h.core.auth.register({ email: 'carol@example.com', workspaceName: 'acme' }, meta()), 'workspace_name_taken');
    await h.core.queue.idle();
    expect(h.mailer.sent).toEqual([]);
  });

  it('of two pending sign-ups for one name, the second to verify gets workspace_name_taken', async () => {
    await h.core.auth.register({ email: 'a@example.com', workspaceName: 'shared' }, meta());
    await h.core.auth.register({ email: 'b@example.com', workspaceName: 'shared' }, meta());
    await h.core.queue.idle();
    const a = await h.core.auth.verify(h.mailer.lastToken('a@example.com'), meta());
    expect(a.result.workspace.name).toBe('shared');

    const err = await expectAppError(h.core.auth.verify(h.mailer.lastToken('b@example.com'), meta()), 'workspace_name_taken');
    expect(err.status).toBe(409);
    const users = await h.handle.db.selectFrom('users').select('email').execute();
    expect(users).toEqual([{ email: 'a@example.com' }]);
    expect(await count(h, 'sessions')).toBe(1);
  });
});
