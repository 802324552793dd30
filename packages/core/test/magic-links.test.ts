import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAGIC_LINK_TTL_MS } from '../src/index.js';
import { type Harness, closeHarnesses, count, createHarness, databaseBytes, expectAppError, meta, signUp } from './helpers.js';

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
});
afterEach(closeHarnesses);

async function linkFor(email: string): Promise<string> {
  await h.core.auth.login({ email }, meta());
  await h.core.queue.idle();
  return h.mailer.lastToken(email);
}

describe('magic links', () => {
  it('work once', async () => {
    await signUp(h, 'alice@example.com', 'acme');
    const token = await linkFor('alice@example.com');
    await h.core.auth.verify(token, meta());
    const err = await expectAppError(h.core.auth.verify(token, meta()), 'invalid_token');
    expect(err.status).toBe(400);
  });

  it('last 15 minutes by the clock', async () => {
    expect(MAGIC_LINK_TTL_MS).toBe(15 * 60_000);
    await signUp(h, 'alice@example.com', 'acme');
    const early = await linkFor('alice@example.com');
    h.clock.advance(MAGIC_LINK_TTL_MS - 1);
    await expect(h.core.auth.verify(early, meta())).resolves.toBeDefined();

    const late = await linkFor('alice@example.com');
    h.clock.advance(MAGIC_LINK_TTL_MS);
    await expectAppError(h.core.auth.verify(late, meta()), 'invalid_token');
  });

  it('a registration link expires too, and then creates nothing', async () => {
    await h.core.auth.register({ email: 'new@example.com', workspaceName: 'newco' }, meta());
    await h.core.queue.idle();
    h.clock.advance(MAGIC_LINK_TTL_MS);
    await expectAppError(h.core.auth.verify(h.mailer.lastToken('new@example.com'), meta()), 'invalid_token');
    expect(await count(h, 'users')).toBe(0);
    expect(await count(h, 'workspaces')).toBe(0);
  });

  it('using one voids the e-mail’s other outstanding links, but not other people’s', async () => {
    await signUp(h, 'alice@example.com', 'acme');
    await signUp(h, 'bob@example.com', 'bobco');
    const first = await linkFor('alice@example.com');
    const second = await linkFor('alice@example.com');
    const bobs = await linkFor('bob@example.com');
    await h.core.auth.verify(second, meta());
    await expectAppError(h.core.auth.verify(first, meta()), 'invalid_token');
    await expect(h.core.auth.verify(bobs, meta())).resolves.toMatchObject({ result: { user: { email: 'bob@example.com' } } });
  });

  it.each([2, 3])('%i concurrent verifications of one link give exactly one session', async (n) => {
    await h.core.auth.register({ email: 'race@example.com', workspaceName: 'race' }, meta());
    await h.core.queue.idle();
    const token = h.mailer.lastToken('race@example.com');
    const results = await Promise.allSettled(Array.from({ length: n }, () => h.core.auth.verify(token, meta())));
    const ok = results.filter((r) => r.status === 'fulfilled');
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(ok).toHaveLength(1);
    expect(failed).toHaveLength(n - 1);
    for (const f of failed) expect(f.reason).toMatchObject({ code: 'invalid_token' });
    expect(await count(h, 'sessions')).toBe(1);
    expect(await count(h, 'users')).toBe(1);
    expect(await count(h, 'workspaces')).toBe(1);
  });

  it('refuses unknown, empty, short and oversized tokens', async () => {
    await signUp(h, 'alice@example.com', 'acme');
    const real = await linkFor('alice@example.com');
    const forged = `${real.slice(0, -1)}${real.endsWith('A') ? 'B' : 'A'}`;
    for (const t of [forged, '', 'short', 'x'.repeat(5000)]) await expectAppError(h.core.auth.verify(t, meta()), 'invalid_token');
    await expect(h.core.auth.verify(real, meta())).resolves.toBeDefined();
  });

  it('are stored hashed: the token is nowhere in the database file', async () => {
    await signUp(h, 'alice@example.com', 'acme');
    const token = await linkFor('alice@example.com');
    const bytes = await databaseBytes(h);
    expect(bytes).not.toContain(token);
    const row = await h.handle.db.selectFrom('magic_links').select('token_hash').where('used_at', 'is', null).executeTakeFirstOrThrow();
    expect(bytes).toContain(row.token_hash); // the search does find what is there
  });
});
