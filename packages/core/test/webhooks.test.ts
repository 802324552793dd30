import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it } from 'vitest';
import { RETRY_SCHEDULE_MS } from '../src/webhooks/webhook-delivery.js';
import type { ResolveHost } from '../src/webhooks/webhook-targets.js';
import { DAY, type Harness, type SignedInUser, TestClock, closeHarnesses, createHarness, expectAppError, meta, peerOf, signUp, store } from './helpers.js';
import { useReceiver } from './webhook-receiver.js';

afterEach(closeHarnesses);

const SECOND = 1000;
const MINUTE = 60_000;

/** Standard Webhooks receivers refuse a timestamp more than 5 minutes off their clock: the test clock starts at the real now. */
const realNowClock = () => new TestClock(new Date().toISOString());

const hooks = useReceiver();

async function setUp(opts: { resolveHost?: ResolveHost; allowPrivate?: boolean } = {}) {
  const clock = realNowClock();
  const h = await createHarness({ core: { clock, webhooks: { allowPrivateTargets: opts.allowPrivate ?? true, ...(opts.resolveHost ? { resolveHost: opts.resolveHost } : {}) } } });
  const alice = await signUp(h, 'alice@example.com', 'acme');
  return { h, clock, alice };
}

const verify = (secret: string, i = 0) => {
  const r = hooks.receiver.received[i]!;
  return new Webhook(secret).verify(r.body, r.headers as Record<string, string>) as { type: string; timestamp: string; data: Record<string, unknown> };
};

async function deliveries(h: Harness, alice: SignedInUser, id: string) {
  return (await h.core.webhooks.deliveries(alice.workspaceId, id, { limit: 100 })).data;
}

describe('webhooks', () => {
  it('delivers each subscribed event once, signed by the Standard Webhooks scheme, with the body {type, timestamp, data}', async () => {
    const { h, alice } = await setUp();
    const hook = await h.core.webhooks.create(alice.principal, { url: hooks.url, events: ['api_key.created', 'api_key.revoked'], description: null }, meta());
    expect(hook).toMatchObject({ id: expect.stringMatching(/^whk_/), secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{43}=$/), enabled: true, events: ['api_key.created', 'api_key.revoked'] });
    expect(await h.core.webhooks.get(alice.workspaceId, hook.id)).not.toHaveProperty('secret');

    const key = await h.core.apiKeys.create(alice.principal, { name: 'ci' }, meta());
    await h.core.agents.create(alice.principal, { name: 'not-subscribed', label: null }, meta());
    await h.core.apiKeys.revoke(alice.principal, key.id, meta());
    expect(await h.core.webhooks.deliverDue()).toBe(2);

    expect(hooks.receiver.received).toHaveLength(2);
    // Order is not promised (a retry overtakes nothing, but attempts run side by side): by type.
    const events = [verify(hook.secret, 0), verify(hook.secret, 1)].sort((a, b) => a.type.localeCompare(b.type));
    expect(events[0]).toEqual({ type: 'api_key.created', timestamp: expect.any(String), data: { id: key.id, name: 'ci', prefix: key.prefix, createdAt: key.createdAt, expiresAt: null } });
    expect(events[1]).toMatchObject({ type: 'api_key.revoked', data: { id: key.id, name: 'ci', prefix: key.prefix } });
    expect(hooks.receiver.received[0]!.headers['webhook-id']).toMatch(/^msg_/);
    expect(hooks.receiver.received[0]!.headers['content-type']).toBe('application/json');
    // Nothing secret travels: the key itself is never in an event.
    expect(hooks.receiver.received.map((r) => r.body).join()).not.toContain(key.key);
    const log = await deliveries(h, alice, hook.id);
    expect(log.map((d) => [d.eventType, d.status, d.attempt, d.responseStatus]).sort()).toEqual([
      ['api_key.created', 'succeeded', 1, 204],
      ['api_key.revoked', 'succeeded', 1, 204],
    ]);
    // Delivered is delivered: nothing is sent twice.
    expect(await h.core.webhooks.deliverDue()).toBe(0);
  });

  it('a signature made with another secret does not verify', async () => {
    const { h, alice } = await setUp();
    const hook = await h.core.webhooks.create(alice.principal, { url: hooks.url, events: ['*'], description: null }, meta());
    const other = await h.core.webhooks.create(alice.principal, { url: `${hooks.url}?other`, events: ['agent.created'], description: null }, meta());
    await h.core.agents.create(alice.principal, { name: 'a', label: null }, meta());
    await h.core.webhooks.deliverDue();
    expect(hooks.receiver.received).toHaveLength(2);
    const mine = hooks.receiver.received.findIndex((r) => !r.headers['webhook-signature']!.includes(' ') && verifies(hook.secret, r));
    expect(mine).toBeGreaterThanOrEqual(0);
    expect(() => verify(other.secret, mine)).toThrow();
  });

  it('writes no event for a change that rolls back, and none for a type nobody subscribed to', async () => {
    const { h, alice } = await setUp();
    await h.core.webhooks.create(alice.principal, { url: hooks.url, events: ['api_key.created'], description: null }, meta());
    await h.core.apiKeys.create(alice.principal, { name: 'ci' }, meta());
    await expectAppError(h.core.apiKeys.create(alice.principal, { name: 'ci' }, meta()), 'api_key_name_taken');
    const rows = await h.db.selectFrom('webhook_events').select('type').execute();
    expect(rows.map((r) => r.type)).toEqual(['api_key.created']);
  });

  it('retries a failing receiver on the schedule (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, ±20 %) with one webhook-id, then gives up', async () => {
    const { h, clock, alice } = await setUp();
    hooks.receiver.answer = () => ({ status: 500 });
    const hook = await h.core.webhooks.create(alice.principal, { url: hooks.url, events: ['agent.created'], description: null }, meta());
    await h.core.agents.create(alice.principal, { name: 'a', label: null }, meta());
    await h.core.webhooks.deliverDue();
    for (const wait of RETRY_SCHEDULE_MS) {
      const [d] = await deliveries(h, alice, hook.id);
      expect(d!.status).toBe('pending');
      const delay = Date.parse(d!.nextAttemptAt!) - clock.now().getTime();
      expect(delay).toBeGreaterThanOrEqual(wait * 0.8 - 1);
      expect(delay).toBeLessThanOrEqual(wait * 1.2 + 1);
      // Not before its time…
      clock.advance(delay - 1);
      expect(await h.core.webhooks.deliverDue()).toBe(0);
      // …and then it goes.
      clock.advance(1);
      expect(await h.core.webhooks.deliverDue()).toBe(1);
    }
    const [d] = await deliveries(h, alice, hook.id);
    expect(d).toMatchObject({ status: 'failed', attempt: 8, responseStatus: 500, nextAttemptAt: null, error: 'The receiver answered 500.' });
    expect(hooks.receiver.received).toHaveLength(8);
    expect(new Set(hooks.receiver.received.map((r) => r.headers['webhook-id'])).size).toBe(1);
    // Each attempt is signed at its own time, with the same secret.
    const wh = new Webhook(hook.secret);
    for (const r of hooks.receiver.received) {
      expect(r.headers['webhook-signature']).toBe(wh.sign(r.headers['webhook-id'] as string, new Date(Number(r.headers['webhook-timestamp']) * 1000), r.body));
    }
  });

  it('honours Retry-After on 429 and 503: never sooner than it asks', async () => {
    const { h, clock, alice } = await setUp();
    hooks.receiver.answer = (n) => (n === 1 ? { status: 429, headers: { 'retry-after': '120' } } : n === 2 ? { status: 503, headers: { 'retry-after': new Date(clock.now().getTime() + 3600_000).toUTCString() } } : { status: 200 });
    const hook = await h.core.webhooks.create(alice.principal, { url: hooks.url, events: ['*'], description: null }, meta());
    await h.core.agents.create(alice.principal, { name: 'a', label: null }, meta());
    await h.core.webhooks.deliverDue();
    let [d] = await deliveries(h, alice, hook.id);
    expect(Date.parse(d!.nextAttemptAt!) - clock.now().getTime()).toBe(120_000);
    clock.advance(119 * SECOND);
    expect(await h.core.webhooks.deliverDue()).toBe(0);
    clock.advance(SECOND);
    expect(await h.core.webhooks.deliverDue()).toBe(1);
    [d] = await deliveries(h, alice, hook.id);
    expect(Date.parse(d!.nextAttemptAt!) - clock.now().getTime()).toBeGreaterThanOrEqual(3599_000);
    clock.advance(3600_000);
    await h.core.webhooks.deliverDue();
    [d] = await deliveries(h, alice, hook.id);
    expect(d).toMatchObject({ status: 'succeeded', attempt: 3, responseStatus: 200 });
  });

  it('a 410 disables the endpoint at once: audited, its owner mailed, its pending deliveries failed', async () => {
    const { h, alice } = await setUp();
    hooks.receiver.answer = () => ({ status: 410 });
    const hook = await h.core.webhooks.create(alice.principal, { url: hooks.url, events: ['*'], description: null }, meta());
    await h.core.agents.create(alice.principal, { name: 'a', label: null }, meta());
    await h.core.webhooks.deliverDue();
    expect(await h.core.webhooks.get(alice.workspaceId, hook.id)).toMatchObject({ enabled: false, disabledReason: 'gone' });
    const audit = await h.core.audit.list(alice.workspaceId, { limit: 1, action: 'webhook.disabled' });
    expect(audit.data[0]).toMatchObject({ actor: { type: 'system', id: null }, target: { type: 'webhook', id: hook.id }, metadata: { reason: 'gone', lastStatus: 410 } });
    const mail = h.mailer.to('alice@example.com').at(-1)!;
    expect(mail.subject).toBe('A Private Connect webhook was disabled');
    expect(mail.text).toContain(hooks.url);
    expect(mail.text).toContain('410');
    // Disabled: new events are not queued for it, and it cannot be tested until enabled.
    await h.core.agents.create(alice.principal, { name: 'b', label: null }, meta());
    expect(await deliveries(h, alice, hook.id)).toHaveLength(1);
    await expectAppError(h.core.webhooks.test(alice.principal, hook.id), 'webhook_disabled');
    await h.core.webhooks.update(alice.principal, hook.id, { enabled: true }, meta());
    expect(await h.core.webhooks.get(alice.workspaceId, hook.id)).toMatchObject({ enabled: true, disabledReason: null });
  });

  it('after 3 days of failed attempts the endpoint is disabled and its owner mailed', { timeout: 30_000 }, async () => {
    const { h, clock, alice } = await setUp();
    hooks.receiver.answer = () => ({ status: 502 });
    const hook = await h.core.webhooks.create(alice.principal, { url: hooks.url, events: ['*'], description: null }, meta());
    const started = clock.now().getTime();
    let sent = 0;
    while (clock.now().getTime() - started < 3 * DAY + 12 * 3600_000) {
      await h.core.agents.create(alice.principal, { name: `a${sent++}`, label: null }, meta());
      await h.core.webhooks.deliverDue();
      if (!(await h.core.webhooks.get(alice.workspaceId, hook.id)).enabled) break;
      clock.advance(6 * 3600_000);
    }
    const now = await h.core.webhooks.get(alice.workspaceId, hook.id);
    expect(now).toMatchObject({ enabled: false, disabledReason: 'failing' });
    expect(clock.now().getTime() - Date.parse(now.failingSince!)).toBeGreaterThanOrEqual(3 * DAY);
    expect(clock.now().getTime() - started).toBeLessThan(3 * DAY + 6 * 3600_000 + 1);
    expect(h.mailer.to('alice@example.com').at(-1)!.text).toContain('every delivery attempt failed for 3 days');
    expect((await deliveries(h, alice, hook.id)).every((d) => d.status !== 'pending')).toBe(true);
  });

  it('a success ends the failing streak', async () => {
    const { h, alice } = await setUp();
    hooks.receiver.answer = (n) => ({ status: n === 1 ? 500 : 200 });
    const hook = await h.core.webhooks.create(alice.principal, { url: hooks.url, events: ['*'], description: null }, meta());
    await h.core.agents.create(alice.principal, { name: 'a', label: null }, meta());
    await h.core.webhooks.deliverDue();
    expect((await h.core.webhooks.get(alice.workspaceId, hook.id)).failingSince).not.toBeNull();
    await h.core.webhooks.test(alice.principal, hook.id);
    await h.core.webhooks.deliverDue();
    expect((await h.core.webhooks.get(alice.workspaceId, hook.id)).failingSince).toBeNull();
  });

  it('rotation: during the overlap each delivery carries both signatures; after it, only the new one', async () => {
    const { h, clock, alice } = await setUp();
    const hook = await h.core.webhooks.create(alice.principal, { url: hooks.url, events: ['*'], description: null }, meta());
    const rotated = await h.core.webhooks.rotateSecret(alice.principal, hook.id, 60, meta());
    expect(rotated.secret).not.toBe(hook.secret);
    expect(rotated.previousSecretExpiresAt).toBe(new Date(clock.now().getTime() + 60_000).toISOString());
    await h.core.webhooks.test(alice.principal, hook.id);
    await h.core.webhooks.deliverDue();
    expect((hooks.receiver.received[0]!.headers['webhook-signature'] as string).split(' ')).toHaveLength(2);
    expect(verify(hook.secret, 0)).toMatchObject({ type: 'webhook.test' });
    expect(verify(rotated.secret, 0)).toMatchObject({ type: 'webhook.test', data: { webhookId: hook.id } });

    clock.advance(61 * SECOND);
    expect((await h.core.webhooks.get(alice.workspaceId, hook.id)).previousSecretExpiresAt).toBeNull();
    await h.core.webhooks.test(alice.principal, hook.id);
    await h.core.webhooks.deliverDue();
    expect(verify(rotated.secret, 1)).toMatchObject({ type: 'webhook.test' });
    expect(() => verify(hook.secret, 1)).toThrow();

    // No overlap: the old secret stops signing at once.
    const again = await h.core.webhooks.rotateSecret(alice.principal, hook.id, 0, meta());
    expect(again.previousSecretExpiresAt).toBeNull();
    await h.core.webhooks.test(alice.principal, hook.id);
    await h.core.webhooks.deliverDue();
    expect(verify(again.secret, 2)).toBeTruthy();
    expect(() => verify(rotated.secret, 2)).toThrow();
    const audit = await h.core.audit.list(alice.workspaceId, { limit: 5, action: 'webhook.secret_rotated' });
    expect(audit.data.map((e) => e.metadata)).toEqual([{ overlapSeconds: 0 }, { overlapSeconds: 60 }]);
    expect(JSON.stringify(audit.data)).not.toContain('whsec_');
  });

  it('redelivers an event with the same webhook-id as a new delivery, and pages the log by cursor', async () => {
    const { h, clock, alice } = await setUp();
    const hook = await h.core.webhooks.create(alice.principal, { url: hooks.url, events: ['*'], description: null }, meta());
    for (let i = 0; i < 5; i++) {
      await h.core.agents.create(alice.principal, { name: `a${i}`, label: null }, meta());
      clock.advance(SECOND);
    }
    await h.core.webhooks.deliverDue();
    const first = await h.core.webhooks.deliveries(alice.workspaceId, hook.id, { limit: 2 });
    const second = await h.core.webhooks.deliveries(alice.workspaceId, hook.id, { limit: 2, cursor: first.nextCursor! });
    const third = await h.core.webhooks.deliveries(alice.workspaceId, hook.id, { limit: 2, cursor: second.nextCursor! });
    expect([...first.data, ...second.data, ...third.data]).toHaveLength(5);
    expect(third.nextCursor).toBeNull();
    await expectAppError(h.core.webhooks.deliveries(alice.workspaceId, hook.id, { limit: 2, cursor: 'nope' }), 'invalid_request');

    const original = first.data[0]!;
    const again = await h.core.webhooks.redeliver(alice.principal, hook.id, original.id);
    expect(again).toMatchObject({ status: 'pending', attempt: 0, eventId: original.eventId, eventType: original.eventType });
    expect(again.id).not.toBe(original.id);
    await h.core.webhooks.deliverDue();
    expect(hooks.receiver.received.at(-1)!.headers['webhook-id']).toBe(original.eventId);
    expect(hooks.receiver.received.at(-1)!.body).toBe(hooks.receiver.received.find((r) => r.headers['webhook-id'] === original.eventId)!.body);
  });

  it("another workspace's webhook and delivery ids are not found", async () => {
    const { h, alice } = await setUp();
    const bob = await signUp(h, 'bob@example.com', 'bobs');
    const hook = await h.core.webhooks.create(alice.principal, { url: hooks.url, events: ['*'], description: null }, meta());
    const d = await h.core.webhooks.test(alice.principal, hook.id);
    await expectAppError(h.core.webhooks.get(bob.workspaceId, hook.id), 'not_found');
    await expectAppError(h.core.webhooks.update(bob.principal, hook.id, { enabled: false }, meta()), 'not_found');
    await expectAppError(h.core.webhooks.remove(bob.principal, hook.id, meta()), 'not_found');
    await expectAppError(h.core.webhooks.rotateSecret(bob.principal, hook.id, 0, meta()), 'not_found');
    await expectAppError(h.core.webhooks.test(bob.principal, hook.id), 'not_found');
    await expectAppError(h.core.webhooks.deliveries(bob.workspaceId, hook.id, { limit: 10 }), 'not_found');
    await expectAppError(h.core.webhooks.redeliver(bob.principal, hook.id, d.id), 'not_found');
    const bobs = await h.core.webhooks.create(bob.principal, { url: hooks.url, events: ['*'], description: null }, meta());
    await expectAppError(h.core.webhooks.redeliver(bob.principal, bobs.id, d.id), 'not_found');
    // Bob's events never reach Alice's endpoint.
    await h.core.agents.create(bob.principal, { name: 'x', label: null }, meta());
    expect((await deliveries(h, alice, hook.id)).map((x) => x.eventType)).toEqual(['webhook.test']);
  });

  it('disabling fails what is pending; deleting removes the log', async () => {
    const { h, alice } = await setUp();
    const hook = await h.core.webhooks.create(alice.principal, { url: hooks.url, events: ['*'], description: null }, meta());
    await h.core.agents.create(alice.principal, { name: 'a', label: null }, meta());
    const off = await h.core.webhooks.update(alice.principal, hook.id, { enabled: false, description: 'paused' }, meta());
    expect(off).toMatchObject({ enabled: false, disabledReason: 'manual', description: 'paused' });
    expect(await h.core.webhooks.deliverDue()).toBe(0);
    expect((await deliveries(h, alice, hook.id))[0]).toMatchObject({ status: 'failed', error: 'The webhook was disabled.' });
    await h.core.webhooks.remove(alice.principal, hook.id, meta());
    expect(await h.db.selectFrom('webhook_deliveries').selectAll().execute()).toEqual([]);
    const actions = (await h.core.audit.list(alice.workspaceId, { limit: 10 })).data.map((e) => e.action);
    expect(actions.slice(0, 4)).toEqual(['webhook.deleted', 'webhook.updated', 'agent.created', 'webhook.created']);
  });

  it('a workspace has at most 20 webhooks', async () => {
    const { h, alice } = await setUp();
    for (let i = 0; i < 20; i++) await h.core.webhooks.create(alice.principal, { url: `${hooks.url}?${i}`, events: ['*'], description: null }, meta());
    await expectAppError(h.core.webhooks.create(alice.principal, { url: hooks.url, events: ['*'], description: null }, meta()), 'webhook_limit_reached');
  });
});

const verifies = (secret: string, r: { body: string; headers: Record<string, unknown> }) => {
  try {
    new Webhook(secret).verify(r.body, r.headers as Record<string, string>);
    return true;
  } catch {
    return false;
  }
};

describe('webhook targets (no server-side request forgery)', () => {
  it.each([
    ['http://example.com/hook', 'Must be an https URL.'],
    ['https://127.0.0.1/hook', 'loopback'],
    ['https://localhost/hook', 'loopback'],
    ['https://10.1.2.3/hook', 'private'],
    ['https://192.168.0.10/hook', 'private'],
    ['https://169.254.169.254/latest/meta-data', 'linkLocal'],
    ['https://100.100.100.200/hook', 'carrierGradeNat'],
    ['https://[::1]/hook', 'loopback'],
    ['https://[::ffff:10.0.0.1]/hook', 'private'],
    ['https://[fd00:ec2::254]/hook', 'uniqueLocal'],
    ['https://0.0.0.0/hook', 'unspecified'],
  ])('refuses %s', async (target, why) => {
    const { h, alice } = await setUp({ allowPrivate: false });
    const err = await expectAppError(h.core.webhooks.create(alice.principal, { url: new URL(target).href, events: ['*'], description: null }, meta()), 'invalid_request');
    expect(err.message).toContain(why);
    expect(err.extra.details).toEqual([{ path: 'url', message: expect.any(String) }]);
  });

  it('checks again at each delivery, after DNS: a name that turns private is refused and nothing connects', async () => {
    let answer = '93.184.215.14';
    const { h, alice } = await setUp({ allowPrivate: false, resolveHost: async () => [{ address: answer, family: 4 }] });
    const hook = await h.core.webhooks.create(alice.principal, { url: 'https://hooks.example.com/x', events: ['*'], description: null }, meta());
    const patched = h.core.webhooks.update(alice.principal, hook.id, { url: 'https://hooks.example.com/y' }, meta());
    await expect(patched).resolves.toMatchObject({ url: 'https://hooks.example.com/y' });
    answer = '127.0.0.1';
    await h.core.agents.create(alice.principal, { name: 'a', label: null }, meta());
    await h.core.webhooks.deliverDue();
    const [d] = await deliveries(h, alice, hook.id);
    expect(d).toMatchObject({ status: 'pending', attempt: 1, responseStatus: null });
    expect(d!.error).toContain('127.0.0.1, a loopback address');
    expect(hooks.receiver.received).toHaveLength(0);
    // And a URL changed to a private target is refused like a new one.
    await expectAppError(h.core.webhooks.update(alice.principal, hook.id, { url: 'https://10.0.0.1/' }, meta()), 'invalid_request');
  });

  it('a name with one private address among public ones is refused', async () => {
    const { h, alice } = await setUp({
      allowPrivate: false,
      resolveHost: async () => [
        { address: '93.184.215.14', family: 4 },
        { address: '10.0.0.7', family: 4 },
      ],
    });
    const err = await expectAppError(h.core.webhooks.create(alice.principal, { url: 'https://mixed.example.com/', events: ['*'], description: null }, meta()), 'invalid_request');
    expect(err.message).toContain('10.0.0.7');
  });

  it('connects to the address that was checked, not to a second DNS answer', async () => {
    // The name "resolves" to loopback (allowed here); the real DNS would not know it at all.
    const { h, alice } = await setUp({ allowPrivate: true, resolveHost: async () => [{ address: '127.0.0.1', family: 4 }] });
    const port = new URL(hooks.url).port;
    const hook = await h.core.webhooks.create(alice.principal, { url: `http://hooks.receiver.invalid:${port}/hook`, events: ['*'], description: null }, meta());
    await h.core.webhooks.test(alice.principal, hook.id);
    await h.core.webhooks.deliverDue();
    expect(hooks.receiver.received).toHaveLength(1);
    expect(hooks.receiver.received[0]!.headers.host).toBe(`hooks.receiver.invalid:${port}`);
  });

  it('a receiver that does not answer within 10 s is a failed attempt', { timeout: 20_000 }, async () => {
    const { h, alice } = await setUp();
    hooks.receiver.answer = () => 'hang';
    const hook = await h.core.webhooks.create(alice.principal, { url: hooks.url, events: ['*'], description: null }, meta());
    await h.core.webhooks.test(alice.principal, hook.id);
    const started = Date.now();
    await h.core.webhooks.deliverDue();
    expect(Date.now() - started).toBeGreaterThanOrEqual(9_900);
    const [d] = await deliveries(h, alice, hook.id);
    expect(d).toMatchObject({ status: 'pending', attempt: 1, responseStatus: null, error: 'No answer within 10 s.' });
  });
});

describe.runIf(store === 'postgres')('webhooks across instances on PostgreSQL', () => {
  it('two instances delivering at once attempt each delivery once (FOR UPDATE SKIP LOCKED)', async () => {
    const { h, alice } = await setUp();
    const peer = await peerOf(h, { core: { clock: h.clock, webhooks: { allowPrivateTargets: true } } });
    hooks.receiver.answer = () => ({ status: 200 });
    const hook = await h.core.webhooks.create(alice.principal, { url: hooks.url, events: ['agent.created'], description: null }, meta());
    for (let i = 0; i < 40; i++) await h.core.agents.create(alice.principal, { name: `a${i}`, label: null }, meta());
    const [a, b] = await Promise.all([h.core.webhooks.deliverDue(), peer.core.webhooks.deliverDue()]);
    expect(a + b).toBe(40);
    expect(hooks.receiver.received).toHaveLength(40);
    expect(new Set(hooks.receiver.received.map((r) => r.headers['webhook-id'])).size).toBe(40);
    expect((await deliveries(h, alice, hook.id)).every((d) => d.status === 'succeeded' && d.attempt === 1)).toBe(true);
  });
});

describe('webhook log retention', () => {
  it('the sweep deletes events older than 30 days with their deliveries, and keeps newer ones', async () => {
    const { h, clock, alice } = await setUp();
    const hook = await h.core.webhooks.create(alice.principal, { url: hooks.url, events: ['*'], description: null }, meta());
    await h.core.agents.create(alice.principal, { name: 'old', label: null }, meta());
    clock.advance(29 * DAY);
    await h.core.agents.create(alice.principal, { name: 'new', label: null }, meta());
    await h.core.webhooks.deliverDue();
    clock.advance(DAY + 1000);
    await h.core.auth.sweepExpired();
    const left = await deliveries(h, alice, hook.id);
    expect(left).toHaveLength(1);
    expect((await h.db.selectFrom('webhook_events').select('payload').execute()).map((e) => JSON.parse(e.payload).data.name)).toEqual(['new']);
  });
});
