import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Reply, type TestServer, call, signUp, startTestServer } from '../harness.js';
import { type Tenant, loginToken, tenant, trpcMutation, trpcQuery } from './support.js';

let s: TestServer;
let t: Tenant;
beforeAll(async () => {
  s = await startTestServer();
  t = await tenant(s, 'inject');
});
afterAll(async () => s.close());

/** SQL metacharacters, comment and quote tricks, LIKE wildcards, template syntax and unicode: all valid names (bidi controls are not: names.test.ts). */
const NASTY = [
  "'; DROP TABLE api_keys; --",
  '" OR "1"="1',
  "Robert'); DELETE FROM agents WHERE ('1'='1",
  "' UNION SELECT key_hash FROM api_keys --",
  '%_\\% LIKE',
  "\\'\\\" backslashes",
  '/* c */ -- ; `tick`',
  'ключ 🔑 名前',
  'e\u0301 ñ Ω ﷽',
  '😀'.repeat(25),
  'שלום عربي RTL text',
  '<script>alert(1)</script>',
  '${7*7} {{7*7}} %s %n',
  'NULL',
];

/** CR/LF (header injection) and the other control characters the contract refuses inside names and e-mails. */
const CONTROL = ['\r\n', '\n', '\r', '\u0000', '\u0007', '\u001b', '\u007f', '\u0085', '\u2028', '\u2029'];

const codeOf = (r: Reply) => (r.body?.code ?? r.body?.error?.data?.appCode) as string;
const dataOf = (r: Reply) => (r.body?.result ? r.body.result.data : r.body);

async function expectDatabaseIntact(): Promise<void> {
  expect((await call(s, 'GET', '/health')).body).toEqual({ status: 'ok', database: 'ok' });
  for (const table of ['users', 'workspaces', 'sessions', 'api_keys', 'agents', 'audit_logs', 'magic_links'] as const) {
    const rows = await s.handle.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(rows.n), table).toBeGreaterThan(table === 'magic_links' ? -1 : 0);
  }
  expect((await call(s, 'GET', `/v1/api-keys/${t.key.id}`, { cookie: t.cookie })).status).toBe(200);
}

describe('SQL metacharacters and unicode are data', () => {
  it('API key names: stored and returned verbatim by create, list and detail, over REST and tRPC', async () => {
    for (const [i, name] of NASTY.entries()) {
      const created = i % 2 === 0
        ? await call(s, 'POST', '/v1/api-keys', { cookie: t.cookie, body: { name } })
        : await trpcMutation(s, 'apiKeys.create', { name }, { cookie: t.cookie });
      expect(created.status, name).toBeLessThan(300);
      const key = dataOf(created);
      expect(key.name).toBe(name);
      expect((await call(s, 'GET', `/v1/api-keys/${key.id}`, { cookie: t.cookie })).body.name).toBe(name);
      expect(dataOf(await trpcQuery(s, 'apiKeys.get', { id: key.id }, { cookie: t.cookie })).name).toBe(name);
    }
    const listed = (await call(s, 'GET', '/v1/api-keys', { cookie: t.cookie })).body.map((k: { name: string }) => k.name);
    const viaTrpc = dataOf(await trpcQuery(s, 'apiKeys.list', {}, { cookie: t.cookie })).map((k: { name: string }) => k.name);
    for (const name of NASTY) {
      expect(listed).toContain(name);
      expect(viaTrpc).toContain(name);
    }
    // A metacharacter name did not make the name check match others (LIKE or quote confusion).
    expectConflict(await call(s, 'POST', '/v1/api-keys', { cookie: t.cookie, body: { name: NASTY[4] } }));
    expect((await call(s, 'POST', '/v1/api-keys', { cookie: t.cookie, body: { name: '%' } })).status).toBe(201);
    await expectDatabaseIntact();
  });

  it('agent names and labels: stored and returned verbatim, over REST and tRPC, by session and by key', async () => {
    for (const [i, name] of NASTY.entries()) {
      const label = NASTY[NASTY.length - 1 - i]!;
      const created = i % 3 === 0
        ? await call(s, 'POST', '/v1/agents', { cookie: t.cookie, body: { name, label } })
        : i % 3 === 1
          ? await trpcMutation(s, 'agents.create', { name, label }, { cookie: t.cookie })
          : await call(s, 'POST', '/v1/agents', { apiKey: t.key.key, body: { name, label } });
      expect(created.status, name).toBeLessThan(300);
      const agent = dataOf(created);
      expect({ name: agent.name, label: agent.label }).toEqual({ name, label });
      const fetched = (await call(s, 'GET', `/v1/agents/${agent.id}`, { apiKey: t.key.key })).body;
      expect({ name: fetched.name, label: fetched.label }).toEqual({ name, label });
      const viaTrpc = dataOf(await trpcQuery(s, 'agents.get', { id: agent.id }, { cookie: t.cookie }));
      expect({ name: viaTrpc.name, label: viaTrpc.label }).toEqual({ name, label });
    }
    await expectDatabaseIntact();
  });

  it("e-mails with quotes are someone's address: register, verify and sign in with them", async () => {
    for (const [i, email] of ["o'brien@example.com", "x'--@example.com", "'+'_@example.com"].entries()) {
      const { user, cookie } = await signUp(s, email, `quote-${i}`);
      expect(user.email).toBe(email);
      expect((await call(s, 'GET', '/v1/auth/me', { cookie })).body.user.email).toBe(email);
    }
    await expectDatabaseIntact();
  });

  it('where the contract allows no such characters they are 400 invalid_request, never 500', async () => {
    const bad: Array<[string, Promise<Reply>]> = [
      ['email', call(s, 'POST', '/v1/auth/register', { body: { email: '"; DROP TABLE users; --"@example.com', workspaceName: 'fine-name' } })],
      ['email', call(s, 'POST', '/v1/auth/login', { body: { email: "' OR 1=1 --" } })],
      ['email', call(s, 'POST', '/v1/auth/login', { body: { email: 'ü@exämple.com' } })],
      ['workspaceName', call(s, 'POST', '/v1/auth/register', { body: { email: 'w@example.com', workspaceName: "x'; DROP TABLE workspaces; --" } })],
      ['workspaceName', call(s, 'POST', '/v1/auth/register', { body: { email: 'w@example.com', workspaceName: 'работа' } })],
      ['allowedIpRanges.1', call(s, 'PUT', `/v1/api-keys/${t.key.id}/ip-restrictions`, { cookie: t.cookie, body: { allowedIpRanges: ['10.0.0.0/8', "10.0.0.0/8' OR '1'='1"] } })],
      ['expiresAt', call(s, 'POST', '/v1/api-keys', { cookie: t.cookie, body: { name: 'exp', expiresAt: "2027-01-01T00:00:00Z'; --" } })],
      ['gracePeriodSeconds', call(s, 'POST', `/v1/api-keys/${t.key.id}/roll`, { cookie: t.cookie, body: { gracePeriodSeconds: '1; DROP TABLE api_keys' } })],
      ['includeRevoked', call(s, 'GET', `/v1/api-keys?includeRevoked=${encodeURIComponent("true' OR '1'='1")}`, { cookie: t.cookie })],
      ['limit', call(s, 'GET', `/v1/audit-logs?limit=${encodeURIComponent('1; DROP TABLE audit_logs')}`, { cookie: t.cookie })],
      ['cursor', call(s, 'GET', `/v1/audit-logs?cursor=${encodeURIComponent("' OR 1=1 --")}`, { cookie: t.cookie })],
      ['action', call(s, 'GET', `/v1/audit-logs?action=${encodeURIComponent("x' OR '1'='1")}`, { cookie: t.cookie })],
      ['scope', call(s, 'POST', `/v1/auth/logout?scope=${encodeURIComponent("global' --")}`, { cookie: t.cookie })],
    ];
    for (const [field, pending] of bad) {
      const res = await pending;
      expect({ field, status: res.status, code: res.body.code }).toEqual({ field, status: 400, code: 'invalid_request' });
      expect(JSON.stringify(res.body.details ?? [])).toContain(field);
    }
    const token = await call(s, 'GET', `/v1/auth/verify?token=${encodeURIComponent("' OR '1'='1' --".padEnd(43, 'x'))}`);
    expect({ status: token.status, code: token.body.code }).toEqual({ status: 400, code: 'invalid_token' });
    await expectDatabaseIntact();
  });

  it('ids with SQL in them are unknown ids: 404 on every id route, REST and tRPC', async () => {
    for (const id of ["' OR '1'='1", "key_x' OR 1=1 --", 'agt_%', '*', "1; DELETE FROM agents"]) {
      const e = encodeURIComponent(id);
      const replies = [
        await call(s, 'GET', `/v1/api-keys/${e}`, { cookie: t.cookie }),
        await call(s, 'PUT', `/v1/api-keys/${e}/ip-restrictions`, { cookie: t.cookie, body: { allowedIpRanges: [] } }),
        await call(s, 'POST', `/v1/api-keys/${e}/roll`, { cookie: t.cookie, body: {} }),
        await call(s, 'DELETE', `/v1/api-keys/${e}`, { cookie: t.cookie }),
        await call(s, 'GET', `/v1/agents/${e}`, { apiKey: t.key.key }),
        await call(s, 'DELETE', `/v1/agents/${e}`, { cookie: t.cookie }),
        await call(s, 'DELETE', `/v1/auth/sessions/${e}`, { cookie: t.cookie }),
        await trpcQuery(s, 'apiKeys.get', { id }, { cookie: t.cookie }),
        await trpcMutation(s, 'apiKeys.revoke', { id }, { cookie: t.cookie }),
        await trpcQuery(s, 'agents.get', { id }, { cookie: t.cookie }),
        await trpcMutation(s, 'agents.delete', { id }, { cookie: t.cookie }),
        await trpcMutation(s, 'auth.revokeSession', { id }, { cookie: t.cookie }),
      ];
      for (const r of replies) expect({ id, status: r.status, code: codeOf(r) }).toEqual({ id, status: 404, code: 'not_found' });
    }
    expect((await call(s, 'GET', '/v1/agents', { cookie: t.cookie })).body.length).toBeGreaterThan(0);
    await expectDatabaseIntact();
  });

  it('a User-Agent with SQL and latin-1 text is recorded verbatim on the session and in the audit log', async () => {
    const ua = "Mozilla/5.0'); DROP TABLE sessions; -- caf\u00e9 \u00bfqu\u00e9?";
    const token = await loginToken(s, t.user.email);
    const res = await call(s, 'GET', `/v1/auth/verify?token=${encodeURIComponent(token)}`, { headers: { 'user-agent': ua } });
    expect(res.status).toBe(200);
    const sessions = (await call(s, 'GET', '/v1/auth/sessions', { cookie: res.cookie })).body;
    expect(sessions.find((x: { current: boolean }) => x.current).userAgent).toBe(ua);
    const audit = (await call(s, 'GET', '/v1/audit-logs?action=auth.signed_in&limit=1', { cookie: res.cookie })).body.data;
    expect(audit[0].userAgent).toBe(ua);
    await expectDatabaseIntact();
  });
});

function expectConflict(r: Reply) {
  expect({ status: r.status, code: r.body.code }).toEqual({ status: 409, code: 'api_key_name_taken' });
}

describe('control characters in header-bound values', () => {
  it('CR, LF and other controls inside an e-mail are 400 over REST and tRPC, and no mail goes anywhere', async () => {
    const before = s.sink.messages.length;
    for (const ctl of CONTROL) {
      const email = `victim@example.com${ctl}Bcc: attacker@example.com`;
      const inside = `vic${ctl}tim@example.com`;
      for (const res of [
        await call(s, 'POST', '/v1/auth/login', { body: { email } }),
        await call(s, 'POST', '/v1/auth/login', { body: { email: inside } }),
        await call(s, 'POST', '/v1/auth/register', { body: { email, workspaceName: 'ctl-ws' } }),
        await trpcMutation(s, 'auth.login', { email }),
        await trpcMutation(s, 'auth.register', { email: inside, workspaceName: 'ctl-ws' }),
      ]) {
        expect({ ctl: JSON.stringify(ctl), status: res.status, code: codeOf(res) }).toEqual({ ctl: JSON.stringify(ctl), status: 400, code: 'invalid_request' });
      }
    }
    await s.core.queue.idle();
    expect(s.sink.messages.length).toBe(before);
    expect(s.sink.messages.map((m) => m.to)).not.toContain('attacker@example.com');
  });

  it('CR, LF and other controls inside key names, agent names, labels and workspace names are 400 over REST and tRPC', async () => {
    for (const ctl of CONTROL) {
      const v = `a${ctl}b`;
      for (const res of [
        await call(s, 'POST', '/v1/api-keys', { cookie: t.cookie, body: { name: v } }),
        await trpcMutation(s, 'apiKeys.create', { name: v }, { cookie: t.cookie }),
        await call(s, 'POST', '/v1/agents', { cookie: t.cookie, body: { name: v } }),
        await call(s, 'POST', '/v1/agents', { apiKey: t.key.key, body: { name: 'ok', label: v } }),
        await trpcMutation(s, 'agents.create', { name: 'ok', label: v }, { cookie: t.cookie }),
        await call(s, 'POST', '/v1/auth/register', { body: { email: 'ctl@example.com', workspaceName: v } }),
      ]) {
        expect({ ctl: JSON.stringify(ctl), status: res.status, code: codeOf(res) }).toEqual({ ctl: JSON.stringify(ctl), status: 400, code: 'invalid_request' });
      }
    }
  });

  it('surrounding whitespace and line breaks are trimmed away: what is stored carries no control character', async () => {
    const key = await call(s, 'POST', '/v1/api-keys', { cookie: t.cookie, body: { name: '\r\n\ttrimmed-key \r\n' } });
    expect(key.body.name).toBe('trimmed-key');
    const login = await call(s, 'POST', '/v1/auth/login', { body: { email: '\r\n INJECT@Example.com\r\n' } });
    expect(login.status).toBe(200);
    const agent = await call(s, 'POST', '/v1/agents', { cookie: t.cookie, body: { name: '\nagent\n', label: '\tlabel\r\n' } });
    expect({ name: agent.body.name, label: agent.body.label }).toEqual({ name: 'agent', label: 'label' });
  });
});

describe('__proto__ and constructor in JSON bodies', () => {
  const polluted = () => ({ fromObject: ({} as Record<string, unknown>).polluted, name: ({} as Record<string, unknown>).name, isAdmin: ({} as Record<string, unknown>).isAdmin });

  it('cannot supply a missing field, set a hidden one, or pollute prototypes (REST and tRPC)', async () => {
    const raw = (body: string) => ({ cookie: t.cookie, rawBody: body, headers: { 'content-type': 'application/json' } });
    // A field given only through __proto__ does not exist.
    const onlyProto = '{"__proto__":{"name":"via-proto","label":"x"}}';
    expect(codeOf(await call(s, 'POST', '/v1/agents', raw(onlyProto)))).toBe('invalid_request');
    expect(codeOf(await call(s, 'POST', '/trpc/agents.create', raw(onlyProto)))).toBe('invalid_request');
    expect(codeOf(await call(s, 'PUT', `/v1/api-keys/${t.key.id}/ip-restrictions`, raw('{"__proto__":{"allowedIpRanges":[]}}')))).toBe('invalid_request');
    expect(codeOf(await call(s, 'POST', '/v1/auth/login', { rawBody: '{"constructor":{"prototype":{"email":"a@example.com"}}}', headers: { 'content-type': 'application/json' } }))).toBe('invalid_request');

    // Alongside valid fields, they are ignored.
    const sneaky = '{"name":"proto-agent","__proto__":{"label":"hidden","isAdmin":true},"constructor":{"prototype":{"polluted":"yes"}}}';
    for (const res of [await call(s, 'POST', '/v1/agents', raw(sneaky)), await call(s, 'POST', '/trpc/agents.create', raw(sneaky))]) {
      expect(res.status).toBeLessThan(300);
      expect(dataOf(res)).toMatchObject({ name: 'proto-agent', label: null });
      expect(JSON.stringify(dataOf(res))).not.toMatch(/isAdmin|polluted|hidden/);
    }
    const key = await call(s, 'POST', '/v1/api-keys', raw('{"name":"proto-key","__proto__":{"expiresAt":"2026-12-01T00:00:00.000Z"}}'));
    expect(key.status).toBe(201);
    expect(key.body.expiresAt).toBeNull();

    // The server shares this process: its Object.prototype is ours.
    expect(polluted()).toEqual({ fromObject: undefined, name: undefined, isAdmin: undefined });
    expect((await call(s, 'GET', '/v1/api-keys?__proto__=x&constructor=y&includeRevoked=false', { cookie: t.cookie })).status).toBe(200);
    expect(polluted()).toEqual({ fromObject: undefined, name: undefined, isAdmin: undefined });
  });
});

describe('limits on every string and array', () => {
  it('one past each limit is 400 invalid_request naming the field, REST and tRPC alike', async () => {
    const long = (n: number) => 'a'.repeat(n);
    const cases: Array<[string, Promise<Reply>]> = [
      ['name', call(s, 'POST', '/v1/api-keys', { cookie: t.cookie, body: { name: long(51) } })],
      ['name', trpcMutation(s, 'apiKeys.create', { name: long(51) }, { cookie: t.cookie })],
      ['name', call(s, 'POST', '/v1/agents', { cookie: t.cookie, body: { name: long(51) } })],
      ['label', call(s, 'POST', '/v1/agents', { cookie: t.cookie, body: { name: 'n', label: long(51) } })],
      ['email', call(s, 'POST', '/v1/auth/login', { body: { email: `${long(243)}@example.com` } })],
      ['email', call(s, 'POST', '/v1/auth/login', { body: { email: `${long(20_000)}@example.com` } })],
      ['workspaceName', call(s, 'POST', '/v1/auth/register', { body: { email: 'l@example.com', workspaceName: long(51) } })],
      ['allowedIpRanges', call(s, 'PUT', `/v1/api-keys/${t.key.id}/ip-restrictions`, { cookie: t.cookie, body: { allowedIpRanges: Array.from({ length: 101 }, (_, i) => `10.0.${i}.0/24`) } })],
      ['allowedIpRanges.0', call(s, 'PUT', `/v1/api-keys/${t.key.id}/ip-restrictions`, { cookie: t.cookie, body: { allowedIpRanges: [`10.0.0.0/8${' '.repeat(200)}`] } })],
      ['token', trpcMutation(s, 'auth.verify', { token: long(4097) })],
      ['cursor', call(s, 'GET', `/v1/audit-logs?cursor=${long(201)}`, { cookie: t.cookie })],
      ['id', call(s, 'GET', `/v1/api-keys/key_${long(200)}`, { cookie: t.cookie })],
      ['id', trpcQuery(s, 'apiKeys.get', { id: `key_${long(200)}` }, { cookie: t.cookie })],
      ['id', call(s, 'DELETE', `/v1/agents/agt_${long(200)}`, { apiKey: t.key.key })],
      ['id', trpcMutation(s, 'agents.delete', { id: `agt_${long(200)}` }, { cookie: t.cookie })],
      ['id', call(s, 'DELETE', `/v1/auth/sessions/ses_${long(200)}`, { cookie: t.cookie })],
    ];
    for (const [field, pending] of cases) {
      const res = await pending;
      expect({ field, status: res.status, code: codeOf(res) }).toEqual({ field, status: 400, code: 'invalid_request' });
      const details = res.body.details ?? res.body.error?.data?.details;
      expect(details.map((d: { path: string }) => d.path)).toContain(field);
    }
  });

  it('a 10,000-character User-Agent is kept to 512 characters', async () => {
    const token = await loginToken(s, t.user.email);
    const res = await call(s, 'GET', `/v1/auth/verify?token=${encodeURIComponent(token)}`, { headers: { 'user-agent': 'U'.repeat(10_000) } });
    const mine = (await call(s, 'GET', '/v1/auth/sessions', { cookie: res.cookie })).body.find((x: { current: boolean }) => x.current);
    expect(mine.userAgent).toHaveLength(512);
  });
});
