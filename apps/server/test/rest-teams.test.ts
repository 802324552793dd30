import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestServer, call, createKey, signUp, startTestServer } from './harness.js';
import { ISO_MS, expectError, expectFields, idOf } from './helpers.js';
import { invitationLinkIn, invite, join } from './team-fixtures.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => server?.close());

const INVITATION_FIELDS = ['id', 'email', 'role', 'expiresAt', 'createdAt', 'invitedBy'];

describe('a team over /v1', () => {
  it('invite → the mailed link → accept → me, workspaces, switch, members, role change, removal: the removed member’s next request is 401', async () => {
    const alice = await signUp(server, 'flow-alice@example.com', 'flow-acme');
    const bob = await signUp(server, 'flow-bob@example.com', 'flow-bobs');

    const before = server.sink.messages.filter((m) => m.to === 'flow-bob@example.com').length;
    const created = await call(server, 'POST', '/v1/invitations', { cookie: alice.cookie, body: { email: 'Flow-Bob@Example.com', role: 'member' } });
    expect(created.status).toBe(201);
    expectFields(created.body, INVITATION_FIELDS);
    expect(created.body).toMatchObject({ id: expect.stringMatching(idOf('inv')), email: 'flow-bob@example.com', role: 'member', invitedBy: { userId: alice.user.id, email: 'flow-alice@example.com' } });
    expect(created.body.createdAt).toMatch(ISO_MS);
    expect(Date.parse(created.body.expiresAt) - Date.parse(created.body.createdAt)).toBe(7 * 24 * 3600_000);
    const { link, token } = await invitationLinkIn(server, 'flow-bob@example.com', before);
    expect(link).toBe(`${server.config.publicUrl}/auth/invitation?token=${token}`);
    expect(JSON.stringify(created.body)).not.toContain(token);
    expect((await call(server, 'GET', '/v1/invitations', { cookie: alice.cookie })).body).toEqual([created.body]);

    const accepted = await call(server, 'POST', '/v1/invitations/accept', { body: { token } });
    expect(accepted.status).toBe(200);
    expectFields(accepted.body, ['success', 'user', 'workspace', 'isNewUser', 'role']);
    expect(accepted.body).toEqual({ success: true, user: { id: bob.user.id, email: 'flow-bob@example.com' }, workspace: alice.workspace, isNewUser: false, role: 'member' });
    expect(accepted.cookie).toMatch(/^[A-Za-z0-9_-]{43,}$/);
    const bobInAcme = accepted.cookie!;
    expectError(await call(server, 'POST', '/v1/invitations/accept', { body: { token } }), 400, 'invalid_invitation');
    expect((await call(server, 'GET', '/v1/invitations', { cookie: alice.cookie })).body).toEqual([]);

    const me = await call(server, 'GET', '/v1/auth/me', { cookie: bobInAcme });
    expect(me.status).toBe(200);
    expectFields(me.body, ['user', 'workspace', 'role']);
    expect(me.body).toMatchObject({ user: { id: bob.user.id }, workspace: { id: alice.workspace.id, name: 'flow-acme' }, role: 'member' });
    expect((await call(server, 'GET', '/v1/auth/workspaces', { cookie: bobInAcme })).body).toEqual([
      { id: alice.workspace.id, name: 'flow-acme', role: 'member', current: true },
      { id: bob.workspace.id, name: 'flow-bobs', role: 'owner', current: false },
    ]);
    // A member reads but does not change.
    expectError(await call(server, 'POST', '/v1/api-keys', { cookie: bobInAcme, body: { name: 'nope' } }), 403, 'forbidden');

    // Switch this session to his own workspace and back.
    const switched = await call(server, 'POST', '/v1/auth/workspace', { cookie: bobInAcme, body: { workspaceId: bob.workspace.id } });
    expect(switched.status).toBe(200);
    expect(switched.body).toMatchObject({ workspace: { id: bob.workspace.id, name: 'flow-bobs' }, role: 'owner' });
    expect((await call(server, 'GET', '/v1/auth/me', { cookie: bobInAcme })).body.workspace.id).toBe(bob.workspace.id);
    expect((await call(server, 'GET', '/v1/auth/workspaces', { cookie: bobInAcme })).body.map((w: { current: boolean }) => w.current)).toEqual([false, true]);
    expectError(await call(server, 'POST', '/v1/auth/workspace', { cookie: bobInAcme, body: { workspaceId: 'ws_not_mine' } }), 404, 'not_found');
    expect((await call(server, 'POST', '/v1/auth/workspace', { cookie: bobInAcme, body: { workspaceId: alice.workspace.id } })).body.role).toBe('member');

    const members = await call(server, 'GET', '/v1/members', { cookie: bobInAcme });
    expect(members.status).toBe(200);
    expect(members.body).toEqual([
      { userId: alice.user.id, email: 'flow-alice@example.com', role: 'owner', joinedAt: expect.stringMatching(ISO_MS) },
      { userId: bob.user.id, email: 'flow-bob@example.com', role: 'member', joinedAt: expect.stringMatching(ISO_MS) },
    ]);

    const promoted = await call(server, 'PATCH', `/v1/members/${bob.user.id}`, { cookie: alice.cookie, body: { role: 'admin' } });
    expect(promoted.status).toBe(200);
    expect(promoted.body).toEqual({ ...members.body[1], role: 'admin' });
    // Holds on his very next request.
    expect((await call(server, 'GET', '/v1/auth/me', { cookie: bobInAcme })).body.role).toBe('admin');
    expect((await call(server, 'POST', '/v1/api-keys', { cookie: bobInAcme, body: { name: 'by-admin' } })).status).toBe(201);
    expectError(await call(server, 'PATCH', `/v1/members/${alice.user.id}`, { cookie: bobInAcme, body: { role: 'member' } }), 403, 'forbidden');
    expectError(await call(server, 'PATCH', `/v1/members/${bob.user.id}`, { cookie: alice.cookie, body: { role: 'boss' } }), 400, 'invalid_request');

    const removed = await call(server, 'DELETE', `/v1/members/${bob.user.id}`, { cookie: alice.cookie });
    expect(removed.status).toBe(200);
    expect(removed.body).toEqual({ success: true });
    expect(removed.cookie).toBeNull();
    expectError(await call(server, 'GET', '/v1/auth/me', { cookie: bobInAcme }), 401, 'authentication_required');
    expectError(await call(server, 'GET', '/v1/api-keys', { cookie: bobInAcme }), 401, 'authentication_required');
    // His session in his own workspace goes on.
    expect((await call(server, 'GET', '/v1/auth/me', { cookie: bob.cookie })).body).toMatchObject({ workspace: { id: bob.workspace.id }, role: 'owner' });
    expect((await call(server, 'GET', '/v1/members', { cookie: alice.cookie })).body.map((m: { userId: string }) => m.userId)).toEqual([alice.user.id]);
    expectError(await call(server, 'DELETE', `/v1/members/${bob.user.id}`, { cookie: alice.cookie }), 404, 'not_found');

    const actions = (await call(server, 'GET', '/v1/audit-logs?limit=100', { cookie: alice.cookie })).body.data.map((e: { action: string }) => e.action);
    expect(actions.filter((a: string) => a.startsWith('member.')).reverse()).toEqual(['member.invited', 'member.joined', 'member.role_changed', 'member.removed']);
  });

  it('a new address: accepting creates the account; leaving clears the cookie and ends the session', async () => {
    const alice = await signUp(server, 'new-alice@example.com', 'new-acme');
    const { token } = await invite(server, alice.cookie, 'new-carol@example.com', 'admin');
    const accepted = await call(server, 'POST', '/v1/invitations/accept', { body: { token } });
    expect(accepted.body).toMatchObject({ success: true, isNewUser: true, user: { email: 'new-carol@example.com', id: expect.stringMatching(idOf('user')) }, role: 'admin', workspace: alice.workspace });
    const carol = accepted.cookie!;
    expect((await call(server, 'GET', '/v1/auth/me', { cookie: carol })).body.role).toBe('admin');
    expect((await call(server, 'GET', '/v1/auth/workspaces', { cookie: carol })).body).toEqual([{ id: alice.workspace.id, name: 'new-acme', role: 'admin', current: true }]);

    const left = await call(server, 'DELETE', `/v1/members/${accepted.body.user.id}`, { cookie: carol });
    expect(left.status).toBe(200);
    expect(left.cookie).toBe('');
    expect(left.headers.getSetCookie().find((c) => c.startsWith('session='))).toMatch(/Max-Age=0/);
    expectError(await call(server, 'GET', '/v1/auth/me', { cookie: carol }), 401, 'authentication_required');
    const audit = (await call(server, 'GET', '/v1/audit-logs?limit=5&action=member.left', { cookie: alice.cookie })).body.data;
    expect(audit).toMatchObject([{ action: 'member.left', actor: { type: 'user', id: accepted.body.user.id } }]);
  });

  it('the last owner can neither be demoted nor leave (409 last_owner); a present member cannot be invited (409 already_member)', async () => {
    const alice = await signUp(server, 'last-alice@example.com', 'last-acme');
    expectError(await call(server, 'PATCH', `/v1/members/${alice.user.id}`, { cookie: alice.cookie, body: { role: 'admin' } }), 409, 'last_owner');
    expectError(await call(server, 'DELETE', `/v1/members/${alice.user.id}`, { cookie: alice.cookie }), 409, 'last_owner');
    expect((await call(server, 'GET', '/v1/auth/me', { cookie: alice.cookie })).body.role).toBe('owner');
    expectError(await call(server, 'POST', '/v1/invitations', { cookie: alice.cookie, body: { email: 'last-alice@example.com' } }), 409, 'already_member');
    const dan = await join(server, alice.cookie, 'last-dan@example.com', 'member');
    expectError(await call(server, 'POST', '/v1/invitations', { cookie: alice.cookie, body: { email: 'last-dan@example.com', role: 'admin' } }), 409, 'already_member');
    // An admin invites admins and members, not owners.
    await call(server, 'PATCH', `/v1/members/${dan.userId}`, { cookie: alice.cookie, body: { role: 'admin' } });
    expectError(await call(server, 'POST', '/v1/invitations', { cookie: dan.cookie, body: { email: 'last-x@example.com', role: 'owner' } }), 403, 'forbidden');
    expect((await call(server, 'POST', '/v1/invitations', { cookie: dan.cookie, body: { email: 'last-x@example.com', role: 'admin' } })).status).toBe(201);
  });

  it('inviting answers the same whether or not the address has an account, and both get the mail', async () => {
    const alice = await signUp(server, 'same-alice@example.com', 'same-acme');
    await signUp(server, 'same-known@example.com', 'same-known-ws');
    const known = await invite(server, alice.cookie, 'same-known@example.com');
    const unknown = await invite(server, alice.cookie, 'same-unknown@example.com');
    const blank = (i: Record<string, unknown>) => ({ ...i, id: '*', email: '*', createdAt: '*', expiresAt: '*' });
    expect(blank(known.invitation)).toEqual(blank(unknown.invitation));
    expect(known.token).not.toBe(unknown.token);
  });

  it('revoking an invitation voids its link; inviting again replaces the old one', async () => {
    const alice = await signUp(server, 'rev-alice@example.com', 'rev-acme');
    const first = await invite(server, alice.cookie, 'rev-bob@example.com');
    const second = await invite(server, alice.cookie, 'rev-bob@example.com', 'admin');
    expect((await call(server, 'GET', '/v1/invitations', { cookie: alice.cookie })).body.map((i: { id: string }) => i.id)).toEqual([second.invitation.id]);
    expectError(await call(server, 'POST', '/v1/invitations/accept', { body: { token: first.token } }), 400, 'invalid_invitation');
    expectError(await call(server, 'DELETE', `/v1/invitations/${first.invitation.id}`, { cookie: alice.cookie }), 404, 'not_found');
    expect((await call(server, 'DELETE', `/v1/invitations/${second.invitation.id}`, { cookie: alice.cookie })).body).toEqual({ success: true });
    expectError(await call(server, 'POST', '/v1/invitations/accept', { body: { token: second.token } }), 400, 'invalid_invitation');
    expectError(await call(server, 'POST', '/v1/invitations/accept', { body: {} }), 400, 'invalid_request');
    // Accepting sets a cookie: a cross-site page may not do it for a visitor.
    const third = await invite(server, alice.cookie, 'rev-bob@example.com');
    expectError(await call(server, 'POST', '/v1/invitations/accept', { body: { token: third.token }, headers: { origin: 'https://evil.example' } }), 403, 'cross_site_request');
    expect((await call(server, 'POST', '/v1/invitations/accept', { body: { token: third.token } })).status).toBe(200);
  });
});

describe('tenants and keys', () => {
  it('ids of another workspace’s members and invitations are 404, and change nothing', async () => {
    const alice = await signUp(server, 'ten-alice@example.com', 'ten-acme');
    const eve = await signUp(server, 'ten-eve@example.com', 'ten-eves');
    const bob = await join(server, alice.cookie, 'ten-bob@example.com', 'member');
    const pending = await invite(server, alice.cookie, 'ten-carol@example.com', 'admin');

    for (const [method, path, body] of [
      ['PATCH', `/v1/members/${bob.userId}`, { role: 'admin' }],
      ['DELETE', `/v1/members/${bob.userId}`, undefined],
      ['PATCH', `/v1/members/${alice.user.id}`, { role: 'member' }],
      ['DELETE', `/v1/members/${alice.user.id}`, undefined],
      ['DELETE', `/v1/invitations/${pending.invitation.id}`, undefined],
      ['POST', '/v1/auth/workspace', { workspaceId: alice.workspace.id }],
    ] as const) {
      expectError(await call(server, method, path, { cookie: eve.cookie, ...(body ? { body } : {}) }), 404, 'not_found');
    }
    expect((await call(server, 'GET', '/v1/members', { cookie: eve.cookie })).body.map((m: { userId: string }) => m.userId)).toEqual([eve.user.id]);
    expect((await call(server, 'GET', '/v1/invitations', { cookie: eve.cookie })).body).toEqual([]);
    expect((await call(server, 'GET', '/v1/auth/me', { cookie: eve.cookie })).body.workspace.id).toBe(eve.workspace.id);

    // Nothing of alice's moved.
    expect((await call(server, 'GET', '/v1/members', { cookie: alice.cookie })).body.map((m: { role: string }) => m.role)).toEqual(['owner', 'member']);
    expect((await call(server, 'GET', '/v1/invitations', { cookie: alice.cookie })).body.map((i: { id: string }) => i.id)).toEqual([pending.invitation.id]);
    expect((await call(server, 'GET', '/v1/auth/me', { cookie: bob.cookie })).status).toBe(200);
  });

  it('API keys are refused on the session-only team routes with 403 session_required, with or without a cookie', async () => {
    const alice = await signUp(server, 'key-alice@example.com', 'key-acme');
    const key = await createKey(server, alice.cookie, 'team-key');
    const bob = await join(server, alice.cookie, 'key-bob@example.com', 'member');
    const pending = await invite(server, alice.cookie, 'key-carol@example.com');
    const routes: Array<[string, string, unknown?]> = [
      ['GET', '/v1/auth/me'],
      ['GET', '/v1/auth/workspaces'],
      ['POST', '/v1/auth/workspace', { workspaceId: alice.workspace.id }],
      ['GET', '/v1/members'],
      ['PATCH', `/v1/members/${bob.userId}`, { role: 'admin' }],
      ['DELETE', `/v1/members/${bob.userId}`],
      ['GET', '/v1/invitations'],
      ['POST', '/v1/invitations', { email: 'key-dan@example.com', role: 'member' }],
      ['DELETE', `/v1/invitations/${pending.invitation.id}`],
      ['DELETE', '/v1/workspace?confirm=key-acme'],
    ];
    for (const [method, path, body] of routes) {
      const opts = { apiKey: key.key, ...(body === undefined ? {} : { body }) };
      expectError(await call(server, method, path, opts), 403, 'session_required');
      expectError(await call(server, method, path, { ...opts, cookie: alice.cookie }), 403, 'session_required');
    }
    expect((await call(server, 'GET', '/v1/members', { cookie: alice.cookie })).body.map((m: { userId: string; role: string }) => [m.userId, m.role])).toEqual([
      [alice.user.id, 'owner'],
      [bob.userId, 'member'],
    ]);
    expect((await call(server, 'GET', '/v1/invitations', { cookie: alice.cookie })).body.map((i: { email: string }) => i.email)).toEqual(['key-carol@example.com']);
    // The key still works where keys belong.
    expect((await call(server, 'GET', '/v1/agents', { apiKey: key.key })).status).toBe(200);
  });
});

describe('DELETE /v1/workspace', () => {
  it('an owner deletes the workspace by its name: the cookie is cleared, members are signed out, its keys are refused at once', async () => {
    const owner = await signUp(server, 'del-owner@example.com', 'del-acme');
    const key = await createKey(server, owner.cookie, 'doomed-key');
    expect((await call(server, 'GET', '/v1/agents', { apiKey: key.key })).status).toBe(200);
    const admin = await join(server, owner.cookie, 'del-admin@example.com', 'admin');

    expectError(await call(server, 'DELETE', '/v1/workspace?confirm=del-acme', { cookie: admin.cookie }), 403, 'forbidden');
    const missing = await call(server, 'DELETE', '/v1/workspace', { cookie: owner.cookie });
    expectError(missing, 400, 'invalid_request');
    const wrong = await call(server, 'DELETE', '/v1/workspace?confirm=del-acm', { cookie: owner.cookie });
    expectError(wrong, 400, 'invalid_request');
    expect(wrong.body.details).toEqual([{ path: 'confirm', message: 'Type the workspace’s name, del-acme, to confirm.' }]);
    expect((await call(server, 'GET', '/v1/agents', { apiKey: key.key })).status).toBe(200);

    const res = await call(server, 'DELETE', '/v1/workspace?confirm=del-acme', { cookie: owner.cookie });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ success: true });
    expect(res.headers.getSetCookie().find((c) => c.startsWith('session='))).toMatch(/Max-Age=0/);
    expectError(await call(server, 'GET', '/v1/agents', { apiKey: key.key }), 401, 'invalid_api_key');
    for (const cookie of [owner.cookie, admin.cookie]) expectError(await call(server, 'GET', '/v1/auth/me', { cookie }), 401, 'authentication_required');
    // The name is free again, and the people keep their accounts.
    const again = await signUp(server, 'del-owner@example.com', 'del-acme');
    expect(again.user.id).toBe(owner.user.id);
  });
});
