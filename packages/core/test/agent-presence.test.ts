import { afterEach, describe, expect, it } from 'vitest';
import { DAY, type Harness, type SignedInUser, closeHarnesses, createHarness, expectAppError, meta, peerOf, signUp, store } from './helpers.js';
import { useReceiver } from './webhook-receiver.js';

afterEach(closeHarnesses);

const SECOND = 1000;
const hooks = useReceiver();

async function setUp(): Promise<{ h: Harness; alice: SignedInUser }> {
  const h = await createHarness({ core: { webhooks: { allowPrivateTargets: true } } });
  const alice = await signUp(h, 'alice@example.com', 'acme');
  return { h, alice };
}

/** The types of the events written so far for the workspace, oldest first. */
async function events(h: Harness, workspaceId: string): Promise<string[]> {
  const rows = await h.db.selectFrom('webhook_events').select(['type', 'payload']).where('workspace_id', '=', workspaceId).orderBy('created_at').execute();
  return rows.map((r) => r.type);
}

describe('agent presence', () => {
  it('a heartbeat sets lastSeenAt and lastSeenIp and makes the agent online until the threshold (90 s)', async () => {
    const { h, alice } = await setUp();
    const a = await h.core.agents.create(alice.principal, { name: 'gw', label: null }, meta());
    expect(a).toMatchObject({ status: 'offline', lastSeenAt: null, lastSeenIp: null, version: null });
    const seen = await h.core.agents.heartbeat(alice.principal, a.id, { version: '1.2.3' }, meta('203.0.113.9'));
    expect(seen).toMatchObject({ status: 'online', lastSeenAt: h.clock.now().toISOString(), lastSeenIp: '203.0.113.9', version: '1.2.3' });
    expect(await h.core.agents.get(alice.workspaceId, a.id)).toEqual(seen);
    h.clock.advance(89 * SECOND);
    expect((await h.core.agents.get(alice.workspaceId, a.id)).status).toBe('online');
    h.clock.advance(SECOND);
    expect(await h.core.agents.get(alice.workspaceId, a.id)).toMatchObject({ status: 'offline', lastSeenAt: seen.lastSeenAt, version: '1.2.3' });
  });

  it('an agent already online costs no write per heartbeat; the flush writes it, and it survives a restart', async () => {
    const { h, alice } = await setUp();
    const a = await h.core.agents.create(alice.principal, { name: 'gw', label: null }, meta());
    await h.core.agents.heartbeat(alice.principal, a.id, {}, meta('203.0.113.1'));
    h.queries.reset();
    for (let i = 0; i < 20; i++) {
      h.clock.advance(SECOND);
      await h.core.agents.heartbeat(alice.principal, a.id, { version: '2.0.0' }, meta('203.0.113.2'));
    }
    expect(h.queries.writes).toBe(0);
    const before = await h.core.agents.get(alice.workspaceId, a.id);
    expect(before).toMatchObject({ lastSeenAt: h.clock.now().toISOString(), lastSeenIp: '203.0.113.2', version: '2.0.0' });
    await h.core.flush();
    const row = await h.db.selectFrom('agents').selectAll().where('id', '=', a.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ last_seen_at: before.lastSeenAt, last_seen_ip: '203.0.113.2', version: '2.0.0', reported_online: 1 });
    // A heartbeat without a version keeps the one reported before.
    await h.core.agents.heartbeat(alice.principal, a.id, {}, meta('203.0.113.2'));
    await h.core.flush();
    expect((await h.db.selectFrom('agents').select('version').where('id', '=', a.id).executeTakeFirstOrThrow()).version).toBe('2.0.0');
    // What was flushed is what the next process reads.
    const next = await peerOf(h);
    expect(await next.core.agents.get(alice.workspaceId, a.id)).toMatchObject({ lastSeenAt: h.clock.now().toISOString(), status: 'online', version: '2.0.0' });
  });

  it('agent.online and agent.offline alternate, one of each per transition', async () => {
    const { h, alice } = await setUp();
    await h.core.webhooks.create(alice.principal, { url: hooks.url, events: ['agent.online', 'agent.offline'], description: null }, meta());
    const a = await h.core.agents.create(alice.principal, { name: 'gw', label: 'rack 1' }, meta());
    await h.core.agents.heartbeat(alice.principal, a.id, { version: '1.0.0' }, meta('203.0.113.5'));
    await h.core.agents.heartbeat(alice.principal, a.id, {}, meta('203.0.113.5'));
    expect(await events(h, alice.workspaceId)).toEqual(['agent.online']);
    await h.core.jobs.runDue();
    expect(await events(h, alice.workspaceId)).toEqual(['agent.online']);

    // Silent past the threshold (and the 2 s allowance for heartbeats other instances hold): offline, once.
    h.clock.advance(93 * SECOND);
    await h.core.jobs.runDue();
    h.clock.advance(10 * SECOND);
    await h.core.jobs.runDue();
    expect(await events(h, alice.workspaceId)).toEqual(['agent.online', 'agent.offline']);

    await h.core.agents.heartbeat(alice.principal, a.id, {}, meta('203.0.113.5'));
    expect(await events(h, alice.workspaceId)).toEqual(['agent.online', 'agent.offline', 'agent.online']);

    // Back after a silence the check had not seen yet: the offline event still comes first.
    h.clock.advance(95 * SECOND);
    await h.core.agents.heartbeat(alice.principal, a.id, {}, meta('203.0.113.5'));
    expect(await events(h, alice.workspaceId)).toEqual(['agent.online', 'agent.offline', 'agent.online', 'agent.offline', 'agent.online']);

    await h.core.webhooks.deliverDue();
    const bodies = hooks.receiver.received.map((r) => JSON.parse(r.body) as { type: string; data: Record<string, unknown> });
    expect(bodies).toHaveLength(5);
    expect(bodies.find((b) => b.type === 'agent.online')!.data).toMatchObject({ id: a.id, name: 'gw', label: 'rack 1', lastSeenIp: '203.0.113.5', version: '1.0.0' });
    expect(bodies.find((b) => b.type === 'agent.offline')!.data).toMatchObject({ id: a.id, name: 'gw', lastSeenAt: expect.any(String) });
  });

  it('lists by status (heartbeats not yet written count), newest first, limit and cursor', async () => {
    const { h, alice } = await setUp();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.unshift((await h.core.agents.create(alice.principal, { name: `a${i}`, label: null }, meta())).id);
      h.clock.advance(SECOND);
    }
    await h.core.agents.heartbeat(alice.principal, ids[0]!, {}, meta());
    await h.core.agents.heartbeat(alice.principal, ids[1]!, {}, meta());
    await h.core.flush();
    await h.core.agents.heartbeat(alice.principal, ids[1]!, {}, meta());
    h.clock.advance(60 * SECOND);
    await h.core.agents.heartbeat(alice.principal, ids[3]!, {}, meta()); // came online: written at once
    h.clock.advance(40 * SECOND); // ids[0] is now silent for 100 s; ids[1]'s latest beat is only in memory
    await h.core.agents.heartbeat(alice.principal, ids[1]!, {}, meta());

    const online = await h.core.agents.list(alice.workspaceId, { status: 'online', limit: 100 });
    expect(online.data.map((a) => a.id)).toEqual([ids[1], ids[3]]);
    const offline = await h.core.agents.list(alice.workspaceId, { status: 'offline', limit: 100 });
    expect(offline.data.map((a) => a.id)).toEqual([ids[0], ids[2], ids[4]]);

    const pages: string[][] = [];
    let cursor: string | undefined;
    do {
      const page = await h.core.agents.list(alice.workspaceId, { limit: 2, ...(cursor ? { cursor } : {}) });
      pages.push(page.data.map((a) => a.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(pages).toEqual([ids.slice(0, 2), ids.slice(2, 4), ids.slice(4)]);
    const offlinePage = await h.core.agents.list(alice.workspaceId, { status: 'offline', limit: 2 });
    expect(offlinePage.data.map((a) => a.id)).toEqual([ids[0], ids[2]]);
    const rest = await h.core.agents.list(alice.workspaceId, { status: 'offline', limit: 2, cursor: offlinePage.nextCursor! });
    expect(rest).toEqual({ data: [expect.objectContaining({ id: ids[4] })], nextCursor: null });
    await expectAppError(h.core.agents.list(alice.workspaceId, { cursor: 'x' }), 'invalid_request');
  });

  it("a heartbeat for another workspace's agent, or a deleted one, is not_found and records nothing", async () => {
    const { h, alice } = await setUp();
    const bob = await signUp(h, 'bob@example.com', 'bobs');
    const a = await h.core.agents.create(alice.principal, { name: 'gw', label: null }, meta());
    await expectAppError(h.core.agents.heartbeat(bob.principal, a.id, {}, meta()), 'not_found');
    expect((await h.core.agents.get(alice.workspaceId, a.id)).lastSeenAt).toBeNull();
    await h.core.agents.remove(alice.principal, a.id, meta());
    await expectAppError(h.core.agents.heartbeat(alice.principal, a.id, {}, meta()), 'not_found');
  });

  it('agent.created and agent.deleted are events too', async () => {
    const { h, alice } = await setUp();
    await h.core.webhooks.create(alice.principal, { url: hooks.url, events: ['*'], description: null }, meta());
    const a = await h.core.agents.create(alice.principal, { name: 'gw', label: null }, meta());
    await h.core.agents.remove(alice.principal, a.id, meta());
    expect(await events(h, alice.workspaceId)).toEqual(['agent.created', 'agent.deleted']);
  });
});

describe('key expiry notices', () => {
  it('api_key.expiring a week ahead and api_key.expired when it passes, once each; none for revoked keys', async () => {
    const { h, alice } = await setUp();
    await h.core.webhooks.create(alice.principal, { url: hooks.url, events: ['api_key.expiring', 'api_key.expired'], description: null }, meta());
    const in8Days = new Date(h.clock.now().getTime() + 8 * DAY).toISOString();
    const key = await h.core.apiKeys.create(alice.principal, { name: 'ci', expiresAt: in8Days }, meta());
    const revoked = await h.core.apiKeys.create(alice.principal, { name: 'old', expiresAt: in8Days }, meta());
    await h.core.apiKeys.revoke(alice.principal, revoked.id, meta());
    const rolled = await h.core.apiKeys.create(alice.principal, { name: 'rolled', expiresAt: in8Days }, meta());
    await h.core.apiKeys.roll(alice.principal, rolled.id, 3600, meta());

    await h.core.jobs.runDue();
    expect(await events(h, alice.workspaceId)).toEqual([]);
    h.clock.advance(2 * 3600_000); // the rolled key's grace has ended
    await h.core.jobs.runDue();
    expect(await events(h, alice.workspaceId)).toEqual(['api_key.expired']);
    h.clock.advance(DAY);
    await h.core.jobs.runDue();
    h.clock.advance(3600_000);
    await h.core.jobs.runDue();
    expect(await events(h, alice.workspaceId)).toEqual(['api_key.expired', 'api_key.expiring']);
    h.clock.advance(7 * DAY);
    await h.core.jobs.runDue();
    h.clock.advance(DAY);
    await h.core.jobs.runDue();
    expect(await events(h, alice.workspaceId)).toEqual(['api_key.expired', 'api_key.expiring', 'api_key.expired']);

    await h.core.webhooks.deliverDue();
    const bodies = hooks.receiver.received.map((r) => JSON.parse(r.body) as { type: string; data: Record<string, unknown> });
    expect(bodies.filter((b) => b.type === 'api_key.expiring').map((b) => b.data)).toEqual([{ id: key.id, name: 'ci', prefix: key.prefix, expiresAt: in8Days, noticeDays: 7 }]);
    expect(bodies.filter((b) => b.type === 'api_key.expired').map((b) => b.data.id).sort()).toEqual([key.id, rolled.id].sort());
  });
});

describe.runIf(store === 'postgres')('presence across instances', () => {
  it('heartbeats at two instances at once bring one agent.online', async () => {
    const { h, alice } = await setUp();
    const peer = await peerOf(h);
    await h.core.webhooks.create(alice.principal, { url: hooks.url, events: ['*'], description: null }, meta());
    const a = await h.core.agents.create(alice.principal, { name: 'gw', label: null }, meta());
    await Promise.all([
      h.core.agents.heartbeat(alice.principal, a.id, {}, meta()),
      peer.core.agents.heartbeat(alice.principal, a.id, {}, meta()),
      h.core.agents.heartbeat(alice.principal, a.id, {}, meta()),
      peer.core.agents.heartbeat(alice.principal, a.id, {}, meta()),
    ]);
    expect(await events(h, alice.workspaceId)).toEqual(['agent.created', 'agent.online']);
    // A heartbeat one instance holds in memory is seen by the other within a flush.
    h.clock.advance(60 * SECOND);
    await peer.core.agents.heartbeat(alice.principal, a.id, {}, meta());
    await peer.core.flush();
    h.clock.advance(60 * SECOND);
    expect((await h.core.agents.get(alice.workspaceId, a.id)).status).toBe('online');
    await h.core.jobs.runDue();
    expect(await events(h, alice.workspaceId)).toEqual(['agent.created', 'agent.online']);
  });
});
