import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_AUTH_LIMITS } from '../src/index.js';
import { DAY, closeHarnesses, count, createHarness, expectAppError, meta, peerOf, signIn, signUp } from './helpers.js';

afterEach(closeHarnesses);

describe('sign-up policy', () => {
  it('closed: every e-mail gets the same 403 signup_closed, known or not; sign-in is unchanged', async () => {
    const open = await createHarness();
    await signUp(open, 'alice@example.com', 'acme');
    // The same database, served with sign-up closed.
    const h = await peerOf(open, { core: { signup: { open: false, emailDomains: [] } } });
    for (const email of ['alice@example.com', 'new@example.com']) {
      const err = await expectAppError(h.core.auth.register({ email, workspaceName: 'somewhere' }, meta()), 'signup_closed');
      expect(err.status).toBe(403);
    }
    await h.core.queue.idle();
    expect(h.mailer.sent).toHaveLength(0);
    expect(h.core.publicConfig.signup).toEqual({ open: false, emailDomains: [] });
    expect(await count(h, 'pending_registrations')).toBe(0);
    // Existing accounts sign in as before.
    await signIn(h, 'alice@example.com');
  });

  it('limited to domains: those sign up, others get 403 email_domain_not_allowed whether or not they have an account', async () => {
    const h = await createHarness({ core: { signup: { open: true, emailDomains: ['example.com', 'corp.example'] } } });
    await signUp(h, 'ann@example.com', 'ann');
    await signUp(h, 'bo@corp.example', 'bo');
    for (const email of ['eve@example.org', 'eve@sub.example.com', 'eve@example.com.evil']) {
      const err = await expectAppError(h.core.auth.register({ email, workspaceName: 'eve' }, meta()), 'email_domain_not_allowed');
      expect(err.status).toBe(403);
    }
  });

  it('a refused sign-up (a taken name, a closed domain) does not spend the per-e-mail budget', async () => {
    const h = await createHarness({ authLimits: DEFAULT_AUTH_LIMITS, core: { signup: { open: true, emailDomains: ['example.com'] } } });
    await signUp(h, 'first@example.com', 'taken');
    for (let i = 0; i < 5; i++) await expectAppError(h.core.auth.register({ email: 'late@example.com', workspaceName: 'taken' }, meta()), 'workspace_name_taken');
    await expect(h.core.auth.register({ email: 'late@example.com', workspaceName: 'free' }, meta())).resolves.toBeUndefined();
  });
});

describe('what a sign-up leaves behind', () => {
  it('pending sign-ups are deleted once verified (with the e-mail’s others) or expired', async () => {
    const h = await createHarness();
    await h.core.auth.register({ email: 'twice@example.com', workspaceName: 'one' }, meta());
    await h.core.auth.register({ email: 'twice@example.com', workspaceName: 'two' }, meta());
    await h.core.auth.register({ email: 'stale@example.com', workspaceName: 'stale' }, meta());
    await h.core.queue.idle();
    expect(await count(h, 'pending_registrations')).toBe(3);
    await h.core.auth.verify(h.mailer.lastToken('twice@example.com'), meta());
    expect(await count(h, 'pending_registrations')).toBe(1);
    h.clock.advance(DAY);
    await h.core.auth.sweepExpired();
    expect(await count(h, 'pending_registrations')).toBe(0);
  });

  it('the sweep keeps the audit log for the retention period, and deletes what is older', async () => {
    const h = await createHarness({ core: { auditRetentionDays: 30 } });
    const alice = await signUp(h, 'alice@example.com', 'acme'); // 2 entries at day 0
    h.clock.advance(20 * DAY);
    await h.core.agents.create(alice.principal, { name: 'day-20', label: null }, meta());
    h.clock.advance(15 * DAY);
    await h.core.auth.sweepExpired();
    const left = (await h.core.audit.list(alice.workspaceId, { limit: 100 })).data.map((e) => e.action);
    expect(left).toEqual(['agent.created']);
  });
});
