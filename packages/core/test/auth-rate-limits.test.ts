import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_AUTH_LIMITS } from '../src/index.js';
import { MINUTE, closeHarnesses, createHarness, expectAppError, meta, signUp } from './helpers.js';

afterEach(closeHarnesses);

const ip = '192.0.2.7';
const withDefaults = () => createHarness({ authLimits: DEFAULT_AUTH_LIMITS });

describe('abuse limits on register, login and verify', () => {
  it('defaults: 5 a minute per IP for register and login, 3 per 15 minutes per e-mail, 20 verifies a minute per IP', () => {
    expect(DEFAULT_AUTH_LIMITS).toEqual({ registerPerIpPerMinute: 5, loginPerIpPerMinute: 5, perEmailPer15Minutes: 3, verifyPerIpPerMinute: 20, ipv6Prefix: 64 });
  });

  it('register: 5 a minute per IP, then 429 with Retry-After until the minute is over', async () => {
    const h = await withDefaults();
    for (let i = 0; i < 5; i++) await h.core.auth.register({ email: `u${i}@example.com`, workspaceName: `ws-${i}` }, meta(ip));
    const err = await expectAppError(h.core.auth.register({ email: 'u5@example.com', workspaceName: 'ws-5' }, meta(ip)), 'rate_limited');
    expect(err.status).toBe(429);
    expect(err.extra.retryAfter).toBe(60);
    // Another IP is not affected.
    await h.core.auth.register({ email: 'u6@example.com', workspaceName: 'ws-6' }, meta('192.0.2.8'));
    h.clock.advance(20_000);
    expect((await expectAppError(h.core.auth.register({ email: 'u5@example.com', workspaceName: 'ws-5' }, meta(ip)), 'rate_limited')).extra.retryAfter).toBe(40);
    h.clock.advance(40_000);
    await h.core.auth.register({ email: 'u5@example.com', workspaceName: 'ws-5' }, meta(ip));
  });

  it('login: 5 a minute per IP, counted apart from register', async () => {
    const h = await withDefaults();
    for (let i = 0; i < 5; i++) await h.core.auth.register({ email: `r${i}@example.com`, workspaceName: `ws-${i}` }, meta(ip));
    for (let i = 0; i < 5; i++) await h.core.auth.login({ email: `l${i}@example.com` }, meta(ip));
    await expectAppError(h.core.auth.login({ email: 'l5@example.com' }, meta(ip)), 'rate_limited');
    h.clock.advance(MINUTE);
    await h.core.auth.login({ email: 'l5@example.com' }, meta(ip));
  });

  it('per e-mail: 3 per 15 minutes across register and login, from any IP', async () => {
    const h = await withDefaults();
    const email = 'target@example.com';
    await h.core.auth.register({ email, workspaceName: 'target' }, meta('192.0.2.1'));
    await h.core.auth.login({ email }, meta('192.0.2.2'));
    await h.core.auth.login({ email }, meta('192.0.2.3'));
    const err = await expectAppError(h.core.auth.register({ email, workspaceName: 'other' }, meta('192.0.2.4')), 'rate_limited');
    expect(err.extra.retryAfter).toBe(15 * 60);
    await expectAppError(h.core.auth.login({ email }, meta('192.0.2.5')), 'rate_limited');
    await h.core.queue.idle();
    expect(h.mailer.to(email)).toHaveLength(1); // the refused requests sent nothing
    h.clock.advance(15 * MINUTE);
    await h.core.auth.login({ email }, meta('192.0.2.6'));
  });

  it('per e-mail counts unknown addresses the same as known ones, so a 429 reveals nothing', async () => {
    const h = await withDefaults();
    await signUp(h, 'known@example.com', 'known'); // 1 request for "known"
    await h.core.auth.login({ email: 'ghost@example.com' }, meta()); // 1 request for "ghost"
    for (const email of ['known@example.com', 'ghost@example.com']) {
      for (let i = 0; i < 2; i++) await h.core.auth.login({ email }, meta());
    }
    const known = await expectAppError(h.core.auth.login({ email: 'known@example.com' }, meta()), 'rate_limited');
    const ghost = await expectAppError(h.core.auth.login({ email: 'ghost@example.com' }, meta()), 'rate_limited');
    expect(ghost.message).toBe(known.message);
    expect(ghost.extra).toEqual(known.extra);
  });

  it('verify: 20 a minute per IP, whether or not the tokens are good', async () => {
    const h = await withDefaults();
    await h.core.auth.register({ email: 'v@example.com', workspaceName: 'vee' }, meta());
    await h.core.queue.idle();
    const good = h.mailer.lastToken('v@example.com');
    const bad = 'A'.repeat(43);
    for (let i = 0; i < 20; i++) await expectAppError(h.core.auth.verify(bad, meta(ip)), 'invalid_token');
    await expectAppError(h.core.auth.verify(good, meta(ip)), 'rate_limited');
    await expect(h.core.auth.verify(good, meta('192.0.2.99'))).resolves.toMatchObject({ result: { isNewUser: true } });
    h.clock.advance(MINUTE);
    await expectAppError(h.core.auth.verify(bad, meta(ip)), 'invalid_token');
  });
});
