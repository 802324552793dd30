import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { appRouter } from '@pc/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPERATIONS, type OperationId } from '../src/rest/v1/operations.js';
import { type TestServer, call, createKey, signUp, startTestServer } from './harness.js';
import { expectError, requestLoginToken, signIn } from './helpers.js';
import { invite, join } from './team-fixtures.js';

/**
 * Who may call what, over every /v1 operation and every tRPC procedure, for an owner, an admin and a
 * member of one workspace, and for an API key of it. Written out here, not read from the contract's
 * ROLE_PERMISSIONS: a wrong change there (or in core) must fail this table.
 *
 *   O  allowed: the operation's success status (tRPC: a result)
 *   F  403 `forbidden`
 *   S  403 `session_required` (an API key on a route for people)
 *   N  404 `not_found` (an unknown id, for someone who may do it)
 */
type Outcome = 'O' | 'F' | 'S' | 'N';
const O = 'O';
const F = 'F';
const S = 'S';
const N = 'N';
const CALLERS = ['owner', 'admin', 'member', 'key'] as const;
type Caller = (typeof CALLERS)[number];
type Person = Exclude<Caller, 'key'>;

interface Args {
  params?: Record<string, string>;
  query?: Record<string, string>;
  body?: Record<string, unknown>;
  /** The tRPC input, when it is not params, query and body together. */
  input?: unknown;
  /** Call with this session instead of the caller's own (a fresh one, for calls that end or move it). */
  cookie?: string;
  after?: () => Promise<void>;
}

interface Case {
  rest?: OperationId;
  trpc?: string;
  variant?: string;
  /** owner, admin, member, key */
  expect: readonly [Outcome, Outcome, Outcome, Outcome];
  /** The request, made fresh for each call (destructive calls get their own fixture). */
  args?: (who: Caller) => Promise<Args>;
}

let server: TestServer;
const receiver = createServer((req, res) => {
  req.resume();
  req.on('end', () => res.writeHead(200).end());
});
let hookUrl: string;

/** The workspace under test and what lives in it. */
const fx = {
  workspaceId: '',
  sideWorkspaceId: '',
  email: {} as Record<Person, string>,
  cookie: {} as Record<Person, string>,
  /** A key whose creator was an admin and is now a member: keys keep working on the agent routes. */
  apiKey: '',
  keyId: '',
  agentId: '',
  webhookId: '',
  deliveryId: '',
  verifierEmail: 'matrix-verifier@example.com',
};

let n = 0;
const uniq = (p: string) => `${p}-${++n}`;
const ownerCookie = () => fx.cookie.owner;

async function ok<T = any>(res: Promise<{ status: number; body: T }>, status = 200): Promise<T> {
  const r = await res;
  if (r.status !== status) throw new Error(`fixture failed: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

const fresh = {
  key: async () => (await createKey(server, ownerCookie(), uniq('fresh-key'))).id,
  agent: async () => (await ok(call(server, 'POST', '/v1/agents', { apiKey: fx.apiKey, body: { name: uniq('fresh-agent') } }), 201)).id as string,
  webhook: async () => (await ok(call(server, 'POST', '/v1/webhooks', { cookie: ownerCookie(), body: { url: hookUrl, events: ['agent.offline'] } }), 201)).id as string,
  invitation: async (role: 'owner' | 'admin' | 'member' = 'member') => invite(server, ownerCookie(), `${uniq('invitee')}@example.com`, role),
  member: async (role: Person = 'member') => join(server, ownerCookie(), `${uniq('joiner')}@example.com`, role),
  /** Another session of the caller, in the workspace under test. */
  session: async (who: Person) => signIn(server, fx.email[who]),
  loginToken: async () => requestLoginToken(server, fx.verifierEmail),
  /**
   * A workspace of its own in which `who` has their role, to delete (or fail to): its name and
   * `who`'s session there. `after` brings that session back, so later sign-ins land in the
   * workspace under test.
   */
  doomed: async (who: Person) => {
    const name = uniq('doomed');
    const founder = await signUp(server, `${uniq('founder')}@example.com`, name);
    const { cookie } = await join(server, founder.cookie, fx.email[who], who);
    const after = async () => {
      const back = await call(server, 'POST', '/v1/auth/workspace', { cookie, body: { workspaceId: fx.workspaceId } });
      // Deleted with its workspace: the session is gone, and the next sign-in falls back to the first workspace joined.
      if (back.status !== 200 && back.status !== 401) throw new Error(`could not switch back: ${back.status}`);
    };
    return { query: { confirm: name }, cookie, after };
  },
};

const person = (who: Caller): Person => (who === 'key' ? 'owner' : who);

// prettier-ignore
const CASES: Case[] = [
  // Agents: keys keep working whatever role their creator has.
  { rest: 'listAgents', trpc: 'agents.list', expect: [O, O, O, O] },
  { rest: 'createAgent', trpc: 'agents.create', expect: [O, O, F, O], args: async () => ({ body: { name: uniq('agent') } }) },
  { rest: 'getAgent', trpc: 'agents.get', expect: [O, O, O, O], args: async () => ({ params: { id: fx.agentId } }) },
  { rest: 'heartbeatAgent', trpc: 'agents.heartbeat', expect: [O, O, F, O], args: async () => ({ params: { id: fx.agentId }, body: { version: '1.0.0' } }) },
  { rest: 'heartbeatAgent', trpc: 'agents.heartbeat', variant: 'unknown id', expect: [N, N, F, N], args: async () => ({ params: { id: 'agt_unknown' }, body: {} }) },
  { rest: 'deleteAgent', trpc: 'agents.delete', expect: [O, O, F, O], args: async () => ({ params: { id: await fresh.agent() } }) },
  { rest: 'deleteAgent', trpc: 'agents.delete', variant: 'unknown id', expect: [N, N, F, N], args: async () => ({ params: { id: 'agt_unknown' } }) },

  // Signing in and one's own sessions: everyone's, never a key's.
  { rest: 'register', trpc: 'auth.register', expect: [O, O, O, O], args: async () => ({ body: { email: `${uniq('reg')}@example.com`, workspaceName: uniq('reg-ws') } }) },
  { rest: 'login', trpc: 'auth.login', expect: [O, O, O, O], args: async () => ({ body: { email: `${uniq('login')}@example.com` } }) },
  { rest: 'verify', trpc: 'auth.verify', expect: [O, O, O, O], args: async () => ({ query: { token: await fresh.loginToken() } }) },
  { trpc: 'auth.previewLink', expect: [O, O, O, O], args: async () => ({ input: { token: await fresh.loginToken() } }) },
  { trpc: 'auth.session', expect: [O, O, O, O] },
  { trpc: 'config', expect: [O, O, O, O] },
  { rest: 'openApiDocument', expect: [O, O, O, O] },
  { rest: 'me', trpc: 'auth.me', expect: [O, O, O, S] },
  { rest: 'logout', trpc: 'auth.logout', expect: [O, O, O, S], args: async (who) => ({ query: { scope: 'local' }, ...(who === 'key' ? {} : { cookie: await fresh.session(who) }) }) },
  { rest: 'listSessions', trpc: 'auth.sessions', expect: [O, O, O, S] },
  {
    rest: 'revokeSession', trpc: 'auth.revokeSession', expect: [O, O, O, S],
    args: async (who) => {
      const other = await fresh.session(person(who));
      const listed = await ok(call(server, 'GET', '/v1/auth/sessions', { cookie: other }));
      return { params: { id: listed.find((s: { current: boolean }) => s.current).id } };
    },
  },
  { rest: 'listMyWorkspaces', trpc: 'auth.workspaces', expect: [O, O, O, S] },
  {
    rest: 'switchWorkspace', trpc: 'auth.switchWorkspace', expect: [O, O, O, S],
    args: async (who) => {
      if (who === 'key') return { body: { workspaceId: fx.sideWorkspaceId } };
      const cookie = await fresh.session(who);
      // Back, so the next sign-in lands in the workspace under test again.
      const after = async () => void (await ok(call(server, 'POST', '/v1/auth/workspace', { cookie, body: { workspaceId: fx.workspaceId } })));
      return { cookie, body: { workspaceId: fx.sideWorkspaceId }, after };
    },
  },

  { rest: 'deleteWorkspace', trpc: 'auth.deleteWorkspace', expect: [O, F, F, S], args: async (who) => (who === 'key' ? { query: { confirm: 'matrix' } } : fresh.doomed(who)) },

  // Members: everyone reads; owners change and remove; anyone leaves.
  { rest: 'listMembers', trpc: 'members.list', expect: [O, O, O, S] },
  { rest: 'updateMember', trpc: 'members.updateRole', expect: [O, F, F, S], args: async () => ({ params: { userId: (await fresh.member()).userId }, body: { role: 'admin' } }) },
  { rest: 'updateMember', trpc: 'members.updateRole', variant: 'unknown id', expect: [N, F, F, S], args: async () => ({ params: { userId: 'user_unknown' }, body: { role: 'admin' } }) },
  { rest: 'removeMember', trpc: 'members.remove', expect: [O, F, F, S], args: async () => ({ params: { userId: (await fresh.member()).userId } }) },
  { rest: 'removeMember', trpc: 'members.remove', variant: 'unknown id', expect: [N, F, F, S], args: async () => ({ params: { userId: 'user_unknown' } }) },
  {
    rest: 'removeMember', trpc: 'members.remove', variant: 'yourself (leave)', expect: [O, O, O, S],
    args: async (who) => {
      const leaver = await fresh.member(person(who));
      return { params: { userId: leaver.userId }, ...(who === 'key' ? {} : { cookie: leaver.cookie }) };
    },
  },

  // Invitations: owners and admins invite, an admin never an owner; accepting is the link holder's.
  { rest: 'listInvitations', trpc: 'invitations.list', expect: [O, O, O, S] },
  { rest: 'createInvitation', trpc: 'invitations.create', expect: [O, O, F, S], args: async () => ({ body: { email: `${uniq('new')}@example.com`, role: 'member' } }) },
  { rest: 'createInvitation', trpc: 'invitations.create', variant: 'as admin', expect: [O, O, F, S], args: async () => ({ body: { email: `${uniq('new')}@example.com`, role: 'admin' } }) },
  { rest: 'createInvitation', trpc: 'invitations.create', variant: 'as owner', expect: [O, F, F, S], args: async () => ({ body: { email: `${uniq('new')}@example.com`, role: 'owner' } }) },
  { rest: 'revokeInvitation', trpc: 'invitations.revoke', expect: [O, O, F, S], args: async () => ({ params: { id: (await fresh.invitation('member')).invitation.id } }) },
  { rest: 'revokeInvitation', trpc: 'invitations.revoke', variant: 'of an owner', expect: [O, F, F, S], args: async () => ({ params: { id: (await fresh.invitation('owner')).invitation.id } }) },
  { rest: 'revokeInvitation', trpc: 'invitations.revoke', variant: 'unknown id', expect: [N, N, F, S], args: async () => ({ params: { id: 'inv_unknown' } }) },
  { rest: 'acceptInvitation', trpc: 'invitations.accept', expect: [O, O, O, O], args: async () => ({ body: { token: (await fresh.invitation()).token } }) },
  { trpc: 'invitations.preview', expect: [O, O, O, O], args: async () => ({ input: { token: (await fresh.invitation()).token } }) },

  // API keys: everyone reads; owners and admins change.
  { rest: 'createApiKey', trpc: 'apiKeys.create', expect: [O, O, F, S], args: async () => ({ body: { name: uniq('key') } }) },
  { rest: 'listApiKeys', trpc: 'apiKeys.list', expect: [O, O, O, S] },
  { rest: 'getApiKey', trpc: 'apiKeys.get', expect: [O, O, O, S], args: async () => ({ params: { id: fx.keyId } }) },
  { rest: 'updateIpRestrictions', trpc: 'apiKeys.updateIpRestrictions', expect: [O, O, F, S], args: async () => ({ params: { id: await fresh.key() }, body: { allowedIpRanges: ['10.0.0.0/8'] } }) },
  { rest: 'updateIpRestrictions', trpc: 'apiKeys.updateIpRestrictions', variant: 'unknown id', expect: [N, N, F, S], args: async () => ({ params: { id: 'key_unknown' }, body: { allowedIpRanges: [] } }) },
  { rest: 'rollApiKey', trpc: 'apiKeys.roll', expect: [O, O, F, S], args: async () => ({ params: { id: await fresh.key() }, body: { gracePeriodSeconds: 0 } }) },
  { rest: 'rollApiKey', trpc: 'apiKeys.roll', variant: 'unknown id', expect: [N, N, F, S], args: async () => ({ params: { id: 'key_unknown' }, body: { gracePeriodSeconds: 0 } }) },
  { rest: 'revokeApiKey', trpc: 'apiKeys.revoke', expect: [O, O, F, S], args: async () => ({ params: { id: await fresh.key() } }) },
  { rest: 'revokeApiKey', trpc: 'apiKeys.revoke', variant: 'unknown id', expect: [N, N, F, S], args: async () => ({ params: { id: 'key_unknown' } }) },
  { rest: 'getApiKeyUsage', trpc: 'apiKeys.usage', expect: [O, O, O, S], args: async () => ({ params: { id: fx.keyId } }) },
  { rest: 'getWorkspaceUsage', trpc: 'usage.workspace', expect: [O, O, O, S] },

  // Webhooks: everyone reads (never a secret); owners and admins change, test and redeliver.
  { rest: 'listWebhooks', trpc: 'webhooks.list', expect: [O, O, O, S] },
  { rest: 'createWebhook', trpc: 'webhooks.create', expect: [O, O, F, S], args: async () => ({ body: { url: hookUrl, events: ['agent.offline'] } }) },
  { rest: 'getWebhook', trpc: 'webhooks.get', expect: [O, O, O, S], args: async () => ({ params: { id: fx.webhookId } }) },
  { rest: 'updateWebhook', trpc: 'webhooks.update', expect: [O, O, F, S], args: async () => ({ params: { id: fx.webhookId }, body: { description: uniq('described') } }) },
  { rest: 'updateWebhook', trpc: 'webhooks.update', variant: 'unknown id', expect: [N, N, F, S], args: async () => ({ params: { id: 'whk_unknown' }, body: { description: 'x' } }) },
  { rest: 'deleteWebhook', trpc: 'webhooks.delete', expect: [O, O, F, S], args: async () => ({ params: { id: await fresh.webhook() } }) },
  { rest: 'deleteWebhook', trpc: 'webhooks.delete', variant: 'unknown id', expect: [N, N, F, S], args: async () => ({ params: { id: 'whk_unknown' } }) },
  { rest: 'rotateWebhookSecret', trpc: 'webhooks.rotateSecret', expect: [O, O, F, S], args: async () => ({ params: { id: fx.webhookId }, body: { overlapSeconds: 0 } }) },
  { rest: 'rotateWebhookSecret', trpc: 'webhooks.rotateSecret', variant: 'unknown id', expect: [N, N, F, S], args: async () => ({ params: { id: 'whk_unknown' }, body: { overlapSeconds: 0 } }) },
  { rest: 'testWebhook', trpc: 'webhooks.test', expect: [O, O, F, S], args: async () => ({ params: { id: fx.webhookId } }) },
  { rest: 'testWebhook', trpc: 'webhooks.test', variant: 'unknown id', expect: [N, N, F, S], args: async () => ({ params: { id: 'whk_unknown' } }) },
  { rest: 'listWebhookDeliveries', trpc: 'webhooks.deliveries', expect: [O, O, O, S], args: async () => ({ params: { id: fx.webhookId } }) },
  { rest: 'redeliverWebhookDelivery', trpc: 'webhooks.redeliver', expect: [O, O, F, S], args: async () => ({ params: { id: fx.webhookId, deliveryId: fx.deliveryId } }) },
  { rest: 'redeliverWebhookDelivery', trpc: 'webhooks.redeliver', variant: 'unknown id', expect: [N, N, F, S], args: async () => ({ params: { id: fx.webhookId, deliveryId: 'whd_unknown' } }) },

  // The audit log: owners and admins.
  { rest: 'listAuditLogs', trpc: 'auditLogs.list', expect: [O, O, F, S], args: async () => ({ input: {} }) },
];

beforeAll(async () => {
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  server = await startTestServer({ env: { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' } });

  const owner = await signUp(server, 'matrix-owner@example.com', 'matrix');
  fx.workspaceId = owner.workspace.id;
  fx.email.owner = 'matrix-owner@example.com';
  fx.cookie.owner = owner.cookie;
  // A second workspace everyone belongs to, to switch to.
  const side = await signUp(server, 'matrix-side@example.com', 'matrix-side');
  fx.sideWorkspaceId = side.workspace.id;
  await signUp(server, fx.verifierEmail, 'matrix-verifier');
  for (const who of ['admin', 'member'] as const) {
    fx.email[who] = `matrix-${who}@example.com`;
    fx.cookie[who] = (await join(server, owner.cookie, fx.email[who], who)).cookie;
  }
  for (const who of ['owner', 'admin', 'member'] as const) {
    await join(server, side.cookie, fx.email[who], 'member');
    // Back in the workspace under test, where their next sign-ins land.
    await ok(call(server, 'POST', '/v1/auth/workspace', { cookie: fx.cookie[who], body: { workspaceId: fx.workspaceId } }));
  }

  const keymaker = await join(server, owner.cookie, 'matrix-keymaker@example.com', 'admin');
  const key = await createKey(server, keymaker.cookie, 'matrix-key');
  await ok(call(server, 'PATCH', `/v1/members/${keymaker.userId}`, { cookie: owner.cookie, body: { role: 'member' } }));
  fx.apiKey = key.key;
  fx.keyId = key.id;
  fx.agentId = await fresh.agent();
  fx.webhookId = await fresh.webhook();
  fx.deliveryId = (await ok(call(server, 'POST', `/v1/webhooks/${fx.webhookId}/test`, { cookie: owner.cookie }), 202)).id;

  // The sessions are what the table says they are.
  for (const who of ['owner', 'admin', 'member'] as const) {
    expect((await call(server, 'GET', '/v1/auth/me', { cookie: fx.cookie[who] })).body).toMatchObject({ workspace: { id: fx.workspaceId }, role: who });
  }
}, 120_000);

afterAll(async () => {
  await server?.close();
  await new Promise<void>((r) => receiver.close(() => r()));
});

const auditCount = async () =>
  Number((await server.handle.db.selectFrom('audit_logs').select((eb) => eb.fn.countAll<number>().as('n')).where('workspace_id', '=', fx.workspaceId).executeTakeFirstOrThrow()).n);

const credentials = (who: Caller, args: Args) => (who === 'key' ? { apiKey: fx.apiKey } : { cookie: args.cookie ?? fx.cookie[who] });
const label = (c: Case, name: string) => `${name}${c.variant ? ` (${c.variant})` : ''}`;
const ERROR_OF: Record<Exclude<Outcome, 'O'>, [number, string]> = { F: [403, 'forbidden'], S: [403, 'session_required'], N: [404, 'not_found'] };

describe('the table covers everything', () => {
  it('every REST operation has a row', () => {
    const covered = new Set(CASES.flatMap((c) => (c.rest ? [c.rest] : [])));
    expect(OPERATIONS.map((op) => op.id).filter((id) => !covered.has(id))).toEqual([]);
  });

  it('every tRPC procedure has a row, and every row names one', () => {
    const procedures = Object.keys(appRouter._def.procedures).sort();
    const covered = [...new Set(CASES.flatMap((c) => (c.trpc ? [c.trpc] : [])))].sort();
    expect(covered).toEqual(procedures);
  });
});

describe('REST /v1', () => {
  for (const c of CASES.filter((x) => x.rest)) {
    const op = OPERATIONS.find((o) => o.id === c.rest)!;
    CALLERS.forEach((who, i) => {
      const outcome = c.expect[i]!;
      it(`${label(c, `${op.method.toUpperCase()} ${op.path}`)} as ${who} → ${outcome === 'O' ? op.ok.status : ERROR_OF[outcome].join(' ')}`, async () => {
        const args = (await c.args?.(who)) ?? {};
        const path = op.path.replace(/:(\w+)/g, (_m, k: string) => {
          const v = args.params?.[k];
          if (v === undefined) throw new Error(`no ${k} for ${op.path}`);
          return encodeURIComponent(v);
        });
        const query = args.query ? `?${new URLSearchParams(args.query)}` : '';
        const before = await auditCount();
        const res = await call(server, op.method.toUpperCase(), `/v1${path}${query}`, { ...credentials(who, args), ...(args.body ? { body: args.body } : {}) });
        if (outcome === 'O') {
          expect(res.status, JSON.stringify(res.body)).toBe(op.ok.status);
        } else {
          expectError(res, ...ERROR_OF[outcome]);
          // Refused before anything was done.
          expect(await auditCount()).toBe(before);
        }
        await args.after?.();
      });
    });
  }
});

async function trpcCall(path: string, input: unknown, who: Caller, args: Args) {
  const type = (appRouter._def.procedures as unknown as Record<string, { _def: { type: 'query' | 'mutation' } }>)[path]!._def.type;
  const creds = credentials(who, args);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (creds.apiKey !== undefined) headers['x-api-key'] = creds.apiKey;
  else headers.cookie = `session=${creds.cookie}`;
  const url = `${server.url}/trpc/${path}`;
  const res =
    type === 'query'
      ? await fetch(input === undefined ? url : `${url}?input=${encodeURIComponent(JSON.stringify(input))}`, { headers })
      : await fetch(url, { method: 'POST', headers, body: JSON.stringify(input ?? {}) });
  return { status: res.status, body: (await res.json()) as { result?: { data: unknown }; error?: { data: { appCode: string; httpStatus: number } } } };
}

describe('tRPC', () => {
  for (const c of CASES.filter((x) => x.trpc)) {
    const path = c.trpc!;
    CALLERS.forEach((who, i) => {
      const outcome = c.expect[i]!;
      it(`${label(c, path)} as ${who} → ${outcome === 'O' ? 'ok' : ERROR_OF[outcome].join(' ')}`, async () => {
        const args = (await c.args?.(who)) ?? {};
        const merged = { ...args.params, ...args.query, ...args.body };
        const input = 'input' in args ? args.input : Object.keys(merged).length > 0 ? merged : undefined;
        const before = await auditCount();
        const res = await trpcCall(path, input, who, args);
        if (outcome === 'O') {
          expect(res.status, JSON.stringify(res.body)).toBe(200);
          expect(res.body).toHaveProperty('result.data');
        } else {
          const [status, code] = ERROR_OF[outcome];
          expect({ status: res.status, appCode: res.body.error?.data.appCode, httpStatus: res.body.error?.data.httpStatus }, JSON.stringify(res.body)).toEqual({ status, appCode: code, httpStatus: status });
          expect(await auditCount()).toBe(before);
        }
        await args.after?.();
      });
    });
  }
});
