import { createHash } from 'node:crypto';
import { isWellFormedApiKey } from '@pc/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ManualClock, type TestServer, call, createKey, manualClock, signUp, startTestServer } from './harness.js';
import { ISO_MS, KEY_FORMAT, eventually, expectError, expectFields, idOf, unknownWellFormedKey } from './helpers.js';

const DAY = 24 * 3600_000;
const CREATED_FIELDS = ['id', 'name', 'key', 'prefix', 'createdAt', 'expiresAt'];
// The documented list item, `expiresAt` from the contract, `allowedIpRangeCount` and `rolledToId` (additions for the SPA's table).
const LIST_FIELDS = ['id', 'name', 'prefix', 'lastUsedAt', 'createdAt', 'isActive', 'expiresAt', 'allowedIpRangeCount', 'rolledToId'];
const DETAIL_FIELDS = ['id', 'name', 'prefix', 'allowedIpRanges', 'lastUsedAt', 'lastUsedIp', 'createdAt', 'isActive', 'revokedAt', 'expiresAt', 'rolledToId', 'createdBy'];

let server: TestServer;
let clock: ManualClock;
let n = 0;

beforeAll(async () => {
  clock = manualClock();
  server = await startTestServer({ clock });
});
afterAll(async () => server?.close());

/** A fresh signed-in workspace per test. */
async function owner() {
  n++;
  return signUp(server, `keys-${n}@example.com`, `keys-ws-${n}`);
}
let shared: Promise<Awaited<ReturnType<typeof owner>>> | undefined;
/** One workspace for the table-driven cases, which only need a key of their own. */
const sharedOwner = () => (shared ??= owner());
const post = (cookie: string, body: unknown) => call(server, 'POST', '/v1/api-keys', { cookie, body });
const get = (cookie: string, id: string) => call(server, 'GET', `/v1/api-keys/${id}`, { cookie });
const list = (cookie: string, query = '') => call(server, 'GET', `/v1/api-keys${query}`, { cookie });
const putRanges = (cookie: string, id: string, allowedIpRanges: unknown) =>
  call(server, 'PUT', `/v1/api-keys/${id}/ip-restrictions`, { cookie, body: { allowedIpRanges } });
const agents = (apiKey: string) => call(server, 'GET', '/v1/agents', { apiKey });

describe('POST /v1/api-keys', () => {
  it('answers 201 with the documented body; the key has our format and checksum and is stored only hashed', async () => {
    const { cookie } = await owner();
    const res = await post(cookie, { name: 'production-key' });
    expect(res.status).toBe(201);
    expectFields(res.body, CREATED_FIELDS);
    expect(res.body).toMatchObject({ name: 'production-key', createdAt: clock.now().toISOString(), expiresAt: null });
    expect(res.body.id).toMatch(idOf('key'));
    expect(res.body.key).toMatch(KEY_FORMAT);
    expect(isWellFormedApiKey(res.body.key)).toBe(true);
    expect(res.body.prefix).toBe(res.body.key.slice(0, 12));
    expect(res.body.prefix).toMatch(/^pc_live_/);

    const rows = await server.handle.db.selectFrom('api_keys').selectAll().where('id', '=', res.body.id).execute();
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(res.body.key);
    expect(rows[0]!.key_hash).toBe(createHash('sha256').update(res.body.key).digest('hex'));
    // The key is shown once: no later answer carries it.
    expect(JSON.stringify((await list(cookie)).body)).not.toContain(res.body.key);
    expect(JSON.stringify((await get(cookie, res.body.id)).body)).not.toContain(res.body.key);
    expect((await agents(res.body.key)).status).toBe(200);
  });

  it('trims the name and accepts 1 to 50 characters', async () => {
    const { cookie } = await owner();
    expect((await post(cookie, { name: '  spaced  ' })).body.name).toBe('spaced');
    expect((await post(cookie, { name: 'x' })).status).toBe(201);
    expect((await post(cookie, { name: 'n'.repeat(50) })).status).toBe(201);
  });

  it.each([[{ name: '' }], [{ name: '   ' }], [{ name: 'n'.repeat(51) }], [{}], [{ name: 7 }], [{ name: 'a\nb' }]])(
    'refuses %j with 400 invalid_request on name',
    async (body) => {
      const { cookie } = await sharedOwner();
      const before = (await list(cookie, '?includeRevoked=true')).body.length;
      const res = await post(cookie, body);
      expectError(res, 400, 'invalid_request');
      expect(res.body.details.map((d: { path: string }) => d.path)).toContain('name');
      expect((await list(cookie, '?includeRevoked=true')).body).toHaveLength(before);
    },
  );

  it('an active key of the same name is 409 api_key_name_taken; revoked ones and other workspaces do not count', async () => {
    const { cookie } = await owner();
    const first = await createKey(server, cookie, 'dup');
    expectError(await post(cookie, { name: 'dup' }), 409, 'api_key_name_taken');
    expectError(await post(cookie, { name: ' dup ' }), 409, 'api_key_name_taken');
    const { cookie: other } = await owner();
    expect((await post(other, { name: 'dup' })).status).toBe(201);
    await call(server, 'DELETE', `/v1/api-keys/${first.id}`, { cookie });
    expect((await post(cookie, { name: 'dup' })).status).toBe(201);
  });

  it('takes an optional expiresAt: in the future, at most 365 days ahead', async () => {
    const { cookie } = await owner();
    const at = new Date(clock.now().getTime() + 7 * DAY).toISOString();
    const res = await post(cookie, { name: 'temp', expiresAt: at });
    expect(res.status).toBe(201);
    expect(res.body.expiresAt).toBe(at);
    expect((await get(cookie, res.body.id)).body.expiresAt).toBe(at);
    expect((await list(cookie)).body[0].expiresAt).toBe(at);
    expect((await post(cookie, { name: 'max', expiresAt: new Date(clock.now().getTime() + 365 * DAY).toISOString() })).status).toBe(201);
    for (const bad of [clock.now().toISOString(), new Date(clock.now().getTime() - 1000).toISOString(), new Date(clock.now().getTime() + 366 * DAY).toISOString(), 'tomorrow', '2026-13-01T00:00:00Z']) {
      const r = await post(cookie, { name: `bad-${bad}`.slice(0, 50), expiresAt: bad });
      expectError(r, 400, 'invalid_request');
      expect(r.body.details.map((d: { path: string }) => d.path)).toContain('expiresAt');
    }
  });

  it('a key past its expiresAt answers 401 api_key_expired and is listed only with includeRevoked', async () => {
    const { cookie } = await owner();
    const key = (await post(cookie, { name: 'short', expiresAt: new Date(clock.now().getTime() + 60_000).toISOString() })).body;
    expect((await agents(key.key)).status).toBe(200);
    clock.advance(60_000);
    expectError(await agents(key.key), 401, 'api_key_expired');
    expect((await list(cookie)).body).toEqual([]);
    const all = await list(cookie, '?includeRevoked=true');
    expect(all.body).toHaveLength(1);
    expect(all.body[0]).toMatchObject({ id: key.id, isActive: false });
    expect((await get(cookie, key.id)).body.isActive).toBe(false);
    // Its name is free again.
    expect((await post(cookie, { name: 'short' })).status).toBe(201);
  });
});

describe('GET /v1/api-keys', () => {
  it('lists the documented fields, newest first, active only unless includeRevoked=true', async () => {
    const { cookie } = await owner();
    const made = [];
    for (const name of ['oldest', 'middle', 'newest']) {
      made.push(await createKey(server, cookie, name));
      clock.advance(1000);
    }
    const res = await list(cookie);
    expect(res.status).toBe(200);
    expect(res.body.map((k: { name: string }) => k.name)).toEqual(['newest', 'middle', 'oldest']);
    for (const item of res.body) {
      expectFields(item, LIST_FIELDS);
      expect(item).toMatchObject({ lastUsedAt: null, isActive: true, expiresAt: null, rolledToId: null, allowedIpRangeCount: 0 });
      expect(item.createdAt).toMatch(ISO_MS);
      expect(item.prefix).toHaveLength(12);
    }

    await call(server, 'DELETE', `/v1/api-keys/${made[1]!.id}`, { cookie });
    expect((await list(cookie)).body.map((k: { name: string }) => k.name)).toEqual(['newest', 'oldest']);
    expect((await list(cookie, '?includeRevoked=false')).body.map((k: { name: string }) => k.name)).toEqual(['newest', 'oldest']);
    const all = await list(cookie, '?includeRevoked=true');
    expect(all.body.map((k: { name: string; isActive: boolean }) => [k.name, k.isActive])).toEqual([
      ['newest', true],
      ['middle', false],
      ['oldest', true],
    ]);
    expectError(await list(cookie, '?includeRevoked=yes'), 400, 'invalid_request');
  });

  it('lists only the caller workspace', async () => {
    const a = await owner();
    const b = await owner();
    await createKey(server, a.cookie, 'a-key');
    expect((await list(b.cookie)).body).toEqual([]);
  });
});

describe('GET /v1/api-keys/:id', () => {
  it('shows the documented detail fields plus lastUsedIp, revokedAt, expiresAt, rolledToId', async () => {
    const { cookie } = await owner();
    const key = await createKey(server, cookie, 'detail');
    const res = await get(cookie, key.id);
    expect(res.status).toBe(200);
    expectFields(res.body, DETAIL_FIELDS);
    expect(res.body).toEqual({
      id: key.id,
      name: 'detail',
      prefix: key.prefix,
      allowedIpRanges: [],
      lastUsedAt: null,
      lastUsedIp: null,
      createdAt: clock.now().toISOString(),
      isActive: true,
      revokedAt: null,
      expiresAt: null,
      rolledToId: null,
      createdBy: { userId: expect.any(String), email: expect.stringContaining('@') },
    });
    expectError(await get(cookie, 'key_doesnotexist00000000'), 404, 'not_found');
    expectError(await get(cookie, 'whatever'), 404, 'not_found');
  });

  it('shows lastUsedAt and lastUsedIp of a use within 2 seconds, in detail and list', async () => {
    const { cookie } = await owner();
    const key = await createKey(server, cookie, 'used');
    clock.advance(5000);
    const usedAt = clock.now().toISOString();
    expect((await agents(key.key)).status).toBe(200);
    clock.advance(5000);
    await eventually(async () => {
      const d = (await get(cookie, key.id)).body;
      expect(d.lastUsedAt).toBe(usedAt);
      expect(d.lastUsedIp).toBe('127.0.0.1');
      expect((await list(cookie)).body[0].lastUsedAt).toBe(usedAt);
    });
  });
});

describe('PUT /v1/api-keys/:id/ip-restrictions', () => {
  it('stores entries normalised (network address, RFC 5952, /32 and /128 for bare addresses), duplicates dropped', async () => {
    const { cookie } = await owner();
    const key = await createKey(server, cookie, 'ranges');
    const res = await putRanges(cookie, key.id, [
      '10.1.2.3/8',
      '10.0.0.0/8',
      '192.168.1.7',
      ' 172.16.5.4/12 ',
      '2001:0DB8:0000:0000:0000:0000:0000:0001/32',
      '2001:db8::/32',
      'FE80::1',
      '::FFFF:10.1.2.3',
      '0.0.0.0/0',
      '::/0',
    ]);
    expect(res.status).toBe(200);
    expectFields(res.body, DETAIL_FIELDS);
    expect(res.body.allowedIpRanges).toEqual([
      '10.0.0.0/8',
      '192.168.1.7/32',
      '172.16.0.0/12',
      '2001:db8::/32',
      'fe80::1/128',
      '::ffff:10.1.2.3/128',
      '0.0.0.0/0',
      '::/0',
    ]);
    // The answer is the key as GET shows it.
    expect((await get(cookie, key.id)).body).toEqual(res.body);
    expect((await list(cookie)).body[0].allowedIpRangeCount).toBe(8);
    // [] allows all again.
    const cleared = await putRanges(cookie, key.id, []);
    expect(cleared.body.allowedIpRanges).toEqual([]);
  });

  it.each([
    [['10.0.0.0/8', 'not-an-ip'], 'allowedIpRanges.1'],
    [['10.0.0.0/33'], 'allowedIpRanges.0'],
    [['10.0.0.0/8', '192.168.0.0/16', '1.2.3'], 'allowedIpRanges.2'],
    [['::1/129'], 'allowedIpRanges.0'],
    [['10.0.0.0/-1'], 'allowedIpRanges.0'],
    [['fe80::1%eth0'], 'allowedIpRanges.0'],
    [['10.0.0.0/8', 42], 'allowedIpRanges.1'],
    [['', '10.0.0.0/8'], 'allowedIpRanges.0'],
    ['10.0.0.0/8', 'allowedIpRanges'],
    [undefined, 'allowedIpRanges'],
  ])('refuses %j with 400 invalid_request at %s, changing nothing', async (ranges, path) => {
    const { cookie } = await sharedOwner();
    const key = await createKey(server, cookie, `bad-ranges-${n++}`);
    await putRanges(cookie, key.id, ['192.0.2.0/24']);
    const res = await putRanges(cookie, key.id, ranges);
    expectError(res, 400, 'invalid_request');
    expect(res.body.details.map((d: { path: string }) => d.path)).toContain(path);
    expect((await get(cookie, key.id)).body.allowedIpRanges).toEqual(['192.0.2.0/24']);
  });

  it('takes at most 100 entries', async () => {
    const { cookie } = await owner();
    const key = await createKey(server, cookie, 'many');
    const hundred = Array.from({ length: 100 }, (_, i) => `10.0.${i}.0/24`);
    expect((await putRanges(cookie, key.id, hundred)).body.allowedIpRanges).toHaveLength(100);
    expectError(await putRanges(cookie, key.id, [...hundred, '10.1.0.0/24']), 400, 'invalid_request');
  });

  it('is 409 api_key_revoked on a revoked key and 404 on an unknown one', async () => {
    const { cookie } = await owner();
    const key = await createKey(server, cookie, 'gone');
    await call(server, 'DELETE', `/v1/api-keys/${key.id}`, { cookie });
    expectError(await putRanges(cookie, key.id, ['10.0.0.0/8']), 409, 'api_key_revoked');
    expectError(await putRanges(cookie, 'key_doesnotexist00000000', ['10.0.0.0/8']), 404, 'not_found');
  });

  it('takes effect on the next request of a key already in use', async () => {
    const { cookie } = await owner();
    const key = await createKey(server, cookie, 'live-ranges');
    expect((await agents(key.key)).status).toBe(200);
    await putRanges(cookie, key.id, ['10.0.0.0/8']);
    const denied = await agents(key.key);
    expectError(denied, 403, 'ip_not_allowed');
    expect(denied.body.message).toContain('127.0.0.1');
    await putRanges(cookie, key.id, ['127.0.0.0/8']);
    expect((await agents(key.key)).status).toBe(200);
    await putRanges(cookie, key.id, []);
    expect((await agents(key.key)).status).toBe(200);
  });
});

describe('DELETE /v1/api-keys/:id', () => {
  it('revokes: the key fails on the very next request, even though it was just used', async () => {
    const { cookie } = await owner();
    const key = await createKey(server, cookie, 'doomed');
    for (let i = 0; i < 3; i++) expect((await agents(key.key)).status).toBe(200);
    const res = await call(server, 'DELETE', `/v1/api-keys/${key.id}`, { cookie });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ success: true });
    const after = await agents(key.key);
    expectError(after, 401, 'invalid_api_key');
    expect(after.body.message).toBe('The API key is invalid or has been revoked.');
    const detail = (await get(cookie, key.id)).body;
    expect(detail).toMatchObject({ isActive: false, revokedAt: clock.now().toISOString() });
    // Repeating answers the same; revocation is irreversible.
    const again = await call(server, 'DELETE', `/v1/api-keys/${key.id}`, { cookie });
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ success: true });
    expect((await get(cookie, key.id)).body.revokedAt).toBe(detail.revokedAt);
    expectError(await agents(key.key), 401, 'invalid_api_key');
    expectError(await call(server, 'DELETE', '/v1/api-keys/key_doesnotexist00000000', { cookie }), 404, 'not_found');
  });
});

describe('x-api-key authentication', () => {
  it('missing credentials are 401 authentication_required; malformed, unknown and revoked keys 401 invalid_api_key', async () => {
    const { cookie } = await owner();
    const key = await createKey(server, cookie, 'real');
    const revoked = await createKey(server, cookie, 'revoked');
    await call(server, 'DELETE', `/v1/api-keys/${revoked.id}`, { cookie });
    expectError(await call(server, 'GET', '/v1/agents'), 401, 'authentication_required');

    const last = key.key.at(-1)!;
    const badChecksum = key.key.slice(0, -1) + (last === 'a' ? 'b' : 'a');
    const bad = [
      '',
      'pc_live_abc',
      key.key.slice(0, -1),
      `${key.key}x`,
      badChecksum,
      key.key.replace('pc_live_', 'pc_test_'),
      key.key.toLowerCase() === key.key ? key.key.toUpperCase() : key.key.toLowerCase(),
      unknownWellFormedKey(),
      revoked.key,
    ];
    for (const k of bad) {
      const res = await agents(k);
      expect(res.status, k).toBe(401);
      expectError(res, 401, 'invalid_api_key');
      expect(res.body.message).toBe('The API key is invalid or has been revoked.');
    }
    expect((await agents(key.key)).status).toBe(200);
  });
});

describe('order of key checks', () => {
  it('format, then known and active, then IP range, then rate limit', async () => {
    const { cookie } = await owner();
    const key = await createKey(server, cookie, 'ordered');
    await putRanges(cookie, key.id, ['10.0.0.0/8']);
    expectError(await agents(key.key), 403, 'ip_not_allowed');
    await call(server, 'DELETE', `/v1/api-keys/${key.id}`, { cookie });
    // Revoked outranks the IP range.
    expectError(await agents(key.key), 401, 'invalid_api_key');
    const expiring = (await post(cookie, { name: 'expiring', expiresAt: new Date(clock.now().getTime() + 1000).toISOString() })).body;
    await putRanges(cookie, expiring.id, ['10.0.0.0/8']);
    clock.advance(1000);
    expectError(await agents(expiring.key), 401, 'api_key_expired');
  });
});

describe('POST /v1/api-keys/:id/roll', () => {
  it('makes a new key of the same name and ranges; the old one works through its grace period', async () => {
    const { cookie } = await owner();
    const old = await createKey(server, cookie, 'rolling');
    await putRanges(cookie, old.id, ['127.0.0.0/8', '10.0.0.0/8']);
    const res = await call(server, 'POST', `/v1/api-keys/${old.id}/roll`, { cookie });
    expect(res.status).toBe(201);
    expectFields(res.body, CREATED_FIELDS);
    expect(res.body).toMatchObject({ name: 'rolling', expiresAt: null, createdAt: clock.now().toISOString() });
    expect(res.body.key).toMatch(KEY_FORMAT);
    expect(res.body.id).not.toBe(old.id);

    const oldDetail = (await get(cookie, old.id)).body;
    expect(oldDetail).toMatchObject({ isActive: true, rolledToId: res.body.id, expiresAt: new Date(clock.now().getTime() + 86_400_000).toISOString() });
    const newDetail = (await get(cookie, res.body.id)).body;
    expect(newDetail).toMatchObject({ isActive: true, expiresAt: null, rolledToId: null, allowedIpRanges: ['127.0.0.0/8', '10.0.0.0/8'] });
    expect((await agents(old.key)).status).toBe(200);
    expect((await agents(res.body.key)).status).toBe(200);

    expectError(await call(server, 'POST', `/v1/api-keys/${old.id}/roll`, { cookie, body: {} }), 409, 'api_key_already_rolled');
    // The name belongs to the new key now.
    expectError(await post(cookie, { name: 'rolling' }), 409, 'api_key_name_taken');

    clock.advance(86_400_000);
    expectError(await agents(old.key), 401, 'api_key_expired');
    expect((await agents(res.body.key)).status).toBe(200);
  });

  it('name uniqueness ignores a rolled key still in its grace period', async () => {
    const { cookie } = await owner();
    const old = await createKey(server, cookie, 'roll-name');
    const rolled = (await call(server, 'POST', `/v1/api-keys/${old.id}/roll`, { cookie, body: {} })).body;
    await call(server, 'DELETE', `/v1/api-keys/${rolled.id}`, { cookie });
    expect((await get(cookie, old.id)).body.isActive).toBe(true);
    expect((await post(cookie, { name: 'roll-name' })).status).toBe(201);
  });

  it('with gracePeriodSeconds 0 revokes the old key at once', async () => {
    const { cookie } = await owner();
    const old = await createKey(server, cookie, 'instant');
    expect((await agents(old.key)).status).toBe(200);
    const res = await call(server, 'POST', `/v1/api-keys/${old.id}/roll`, { cookie, body: { gracePeriodSeconds: 0 } });
    expect(res.status).toBe(201);
    expectError(await agents(old.key), 401, 'invalid_api_key');
    expect((await get(cookie, old.id)).body).toMatchObject({ isActive: false, rolledToId: res.body.id });
    expect((await agents(res.body.key)).status).toBe(200);
  });

  it('validates gracePeriodSeconds (0 to 604800) and refuses revoked keys', async () => {
    const { cookie } = await owner();
    const key = await createKey(server, cookie, 'grace');
    for (const g of [-1, 604_801, 1.5, '60', null]) {
      const res = await call(server, 'POST', `/v1/api-keys/${key.id}/roll`, { cookie, body: { gracePeriodSeconds: g } });
      expectError(res, 400, 'invalid_request');
      expect(res.body.details[0].path).toBe('gracePeriodSeconds');
    }
    const max = await call(server, 'POST', `/v1/api-keys/${key.id}/roll`, { cookie, body: { gracePeriodSeconds: 604_800 } });
    expect(max.status).toBe(201);
    expect((await get(cookie, key.id)).body.expiresAt).toBe(new Date(clock.now().getTime() + 604_800_000).toISOString());

    const revoked = await createKey(server, cookie, 'revoked-roll');
    await call(server, 'DELETE', `/v1/api-keys/${revoked.id}`, { cookie });
    expectError(await call(server, 'POST', `/v1/api-keys/${revoked.id}/roll`, { cookie, body: {} }), 409, 'api_key_revoked');
    expectError(await call(server, 'POST', '/v1/api-keys/key_doesnotexist00000000/roll', { cookie, body: {} }), 404, 'not_found');
  });
});
