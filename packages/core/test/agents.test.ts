import { createAgentInput } from '@pc/contract';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Principal } from '../src/index.js';
import { type Harness, MINUTE, type SignedInUser, closeHarnesses, createHarness, expectAppError, meta, signUp } from './helpers.js';

let h: Harness;
let alice: SignedInUser;
let bob: SignedInUser;
beforeEach(async () => {
  h = await createHarness();
  alice = await signUp(h, 'alice@example.com', 'acme');
  bob = await signUp(h, 'bob@example.com', 'bobco');
});
afterEach(closeHarnesses);

const create = (p: Principal, name: string, label?: string) => h.core.agents.create(p, createAgentInput.parse({ name, label }), meta());

describe('agents', () => {
  it('creates with label null until set, and lists the workspace’s agents newest first', async () => {
    const a = await create(alice.principal, 'build-1');
    h.clock.advance(MINUTE);
    const b = await create(alice.principal, 'build-2', 'rack 3');
    await create(bob.principal, 'bobs-agent');

    expect(a).toEqual({ id: expect.stringMatching(/^agt_[0-9A-Za-z]{16,}$/), name: 'build-1', label: null, createdAt: '2026-03-02T10:00:00.000Z', lastSeenAt: null, lastSeenIp: null, version: null, status: 'offline' });
    expect(b.label).toBe('rack 3');
    expect((await h.core.agents.list(alice.workspaceId)).data).toEqual([b, a]);
    expect((await h.core.agents.list(bob.workspaceId)).data.map((x) => x.name)).toEqual(['bobs-agent']);
  });

  it('gets and deletes by id within the workspace', async () => {
    const a = await create(alice.principal, 'build-1');
    expect(await h.core.agents.get(alice.workspaceId, a.id)).toEqual(a);
    await h.core.agents.remove(alice.principal, a.id, meta());
    await expectAppError(h.core.agents.get(alice.workspaceId, a.id), 'not_found');
    await expectAppError(h.core.agents.remove(alice.principal, a.id, meta()), 'not_found');
  });

  it('another workspace’s agent id is not_found for get and delete, and the agent survives', async () => {
    const a = await create(alice.principal, 'build-1');
    const err = await expectAppError(h.core.agents.get(bob.workspaceId, a.id), 'not_found');
    expect(err.status).toBe(404);
    await expectAppError(h.core.agents.remove(bob.principal, a.id, meta()), 'not_found');
    expect(await h.core.agents.get(alice.workspaceId, a.id)).toEqual(a);
  });

  it('an API key acts for its workspace, and is the audited actor', async () => {
    const key = await h.core.apiKeys.create(alice.principal, { name: 'connector' }, meta());
    const { principal } = await h.core.apiKeys.authenticate(key.key, meta());
    const a = await create(principal, 'from-key');
    expect((await h.core.agents.list(alice.workspaceId)).data.map((x) => x.id)).toEqual([a.id]);
    await expectAppError(h.core.agents.remove({ ...principal, workspaceId: bob.workspaceId }, a.id, meta()), 'not_found');
    const log = await h.core.audit.list(alice.workspaceId, { limit: 1, action: 'agent.created' });
    expect(log.data[0]).toMatchObject({ actor: { type: 'api_key', id: key.id }, target: { type: 'agent', id: a.id }, metadata: { name: 'from-key' } });
  });
});
