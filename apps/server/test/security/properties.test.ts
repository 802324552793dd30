import { BASE62 } from '@pc/contract';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestServer, call, createKey, signUp, startTestServer } from '../harness.js';
import { trpcMutation, unknownWellFormedKey } from './support.js';

let s: TestServer;
let cookie: string;
let key: { id: string; key: string };
beforeAll(async () => {
  s = await startTestServer({ env: { TRUST_PROXY: 'loopback', RATE_LIMIT_PER_MINUTE: '1000000' } });
  ({ cookie } = await signUp(s, 'prop@example.com', 'prop-ws'));
  key = await createKey(s, cookie, 'prop-key');
});
afterAll(async () => s.close());

// --- An oracle written apart from the contract's parser: plain integer arithmetic. ---

const v4 = fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 });
const v6 = fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 });

const v4Int = (b: number[]) => b.reduce((n, x) => n * 256 + x, 0);
const v6Big = (w: number[]) => w.reduce((n, x) => (n << 16n) | BigInt(x), 0n);
const v4Mask = (bits: number) => (bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0);
const v6Mask = (bits: number) => (bits === 0 ? 0n : ((1n << 128n) - 1n) ^ ((1n << BigInt(128 - bits)) - 1n));

function v4Text(n: number): string {
  return [24, 16, 8, 0].map((sh) => (n >>> sh) & 255).join('.');
}

/** RFC 5952: lower case, no leading zeros, the longest run (≥ 2) of zero groups as "::", IPv4-mapped as ::ffff:a.b.c.d. */
function v6Text(n: bigint): string {
  const w = Array.from({ length: 8 }, (_, i) => Number((n >> BigInt((7 - i) * 16)) & 0xffffn));
  if (w.slice(0, 5).every((x) => x === 0) && w[5] === 0xffff) return `::ffff:${v4Text(Number(n & 0xffffffffn))}`;
  let best = { at: -1, len: 0 };
  for (let i = 0; i < 8; ) {
    if (w[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > best.len) best = { at: i, len: j - i };
    i = j;
  }
  const hex = w.map((x) => x.toString(16));
  if (best.len < 2) return hex.join(':');
  return `${hex.slice(0, best.at).join(':')}::${hex.slice(best.at + best.len).join(':')}`;
}

/** An allowed-range entry as a user might type it, and the normal form the server must store. */
const entry = fc.oneof(
  fc.tuple(v4, fc.integer({ min: 0, max: 32 }), fc.boolean()).map(([b, bits, bare]) => {
    const typedBits = bare ? 32 : bits;
    return { typed: bare ? b.join('.') : `${b.join('.')}/${bits}`, normal: `${v4Text((v4Int(b) & v4Mask(typedBits)) >>> 0)}/${typedBits}` };
  }),
  fc.tuple(v6, fc.integer({ min: 0, max: 128 }), fc.boolean(), fc.boolean()).map(([w, bits, bare, upper]) => {
    const typedBits = bare ? 128 : bits;
    const full = w.map((x) => x.toString(16).padStart(4, '0')).join(':');
    const typed = upper ? full.toUpperCase() : full;
    return { typed: bare ? typed : `${typed}/${bits}`, normal: `${v6Text(v6Big(w) & v6Mask(typedBits))}/${typedBits}` };
  }),
);

describe('PUT ip-restrictions round trip (property, through HTTP and the database)', () => {
  it('stores each entry as its network address in normal form, keeps order, drops duplicates; GET agrees; a second PUT changes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(entry, { maxLength: 8 }), fc.boolean(), async (entries, viaTrpc) => {
        const typed = entries.map((e) => e.typed);
        const expected = [...new Set(entries.map((e) => e.normal))];
        const put = viaTrpc
          ? await trpcMutation(s, 'apiKeys.updateIpRestrictions', { id: key.id, allowedIpRanges: typed }, { cookie })
          : await call(s, 'PUT', `/v1/api-keys/${key.id}/ip-restrictions`, { cookie, body: { allowedIpRanges: typed } });
        expect(put.status, JSON.stringify(put.body)).toBe(200);
        const stored = viaTrpc ? put.body.result.data.allowedIpRanges : put.body.allowedIpRanges;
        expect(stored).toEqual(expected);
        expect((await call(s, 'GET', `/v1/api-keys/${key.id}`, { cookie })).body.allowedIpRanges).toEqual(expected);
        const again = await call(s, 'PUT', `/v1/api-keys/${key.id}/ip-restrictions`, { cookie, body: { allowedIpRanges: stored } });
        expect(again.body.allowedIpRanges).toEqual(expected);
      }),
      { numRuns: 25 },
    );
  }, 30_000);
});

describe('IP ranges decide access exactly (property, a real request per case)', () => {
  it('an IPv4 client (plain or IPv4-mapped IPv6) gets in iff it lies in the range', async () => {
    const clientNear = (net: number[], bits: number) =>
      fc.oneof(v4, fc.integer({ min: 0, max: 0xffffffff }).map((host) => {
        const n = ((v4Int(net) & v4Mask(bits)) | (host & ~v4Mask(bits))) >>> 0;
        return [24, 16, 8, 0].map((sh) => (n >>> sh) & 255);
      }));
    const cases = fc.tuple(v4, fc.integer({ min: 0, max: 32 })).chain(([net, bits]) => fc.tuple(fc.constant(net), fc.constant(bits), clientNear(net, bits), fc.boolean()));
    await fc.assert(
      fc.asyncProperty(cases, async ([net, bits, client, mapped]) => {
        expect((await call(s, 'PUT', `/v1/api-keys/${key.id}/ip-restrictions`, { cookie, body: { allowedIpRanges: [`${net.join('.')}/${bits}`] } })).status).toBe(200);
        const inside = ((v4Int(client) ^ v4Int(net)) & v4Mask(bits)) >>> 0 === 0;
        const ip = mapped ? `::ffff:${client.join('.')}` : client.join('.');
        const res = await call(s, 'GET', '/v1/agents', { apiKey: key.key, headers: { 'x-forwarded-for': ip } });
        expect({ ip, range: `${net.join('.')}/${bits}`, status: res.status }).toEqual({ ip, range: `${net.join('.')}/${bits}`, status: inside ? 200 : 403 });
      }),
      { numRuns: 40 },
    );
  }, 30_000);

  it('an IPv6 client gets in iff it lies in the range', async () => {
    const cases = fc.tuple(v6, fc.integer({ min: 0, max: 128 })).chain(([net, bits]) =>
      fc.tuple(
        fc.constant(net),
        fc.constant(bits),
        fc.oneof(v6, v6.map((host) => v6Text((v6Big(net) & v6Mask(bits)) | (v6Big(host) & ~v6Mask(bits) & ((1n << 128n) - 1n))))),
      ),
    );
    await fc.assert(
      fc.asyncProperty(cases, async ([net, bits, client]) => {
        const range = `${v6Text(v6Big(net))}/${bits}`;
        expect((await call(s, 'PUT', `/v1/api-keys/${key.id}/ip-restrictions`, { cookie, body: { allowedIpRanges: [range] } })).status).toBe(200);
        const clientBig = typeof client === 'string' ? v6Big(expandV6(client)) : v6Big(client);
        const ip = v6Text(clientBig);
        const inside = ((clientBig ^ v6Big(net)) & v6Mask(bits)) === 0n;
        // Mapped clients also match IPv4 ranges; with only an IPv6 range here the answer is the IPv6 one.
        const res = await call(s, 'GET', '/v1/agents', { apiKey: key.key, headers: { 'x-forwarded-for': ip } });
        expect({ ip, range, status: res.status }).toEqual({ ip, range, status: inside ? 200 : 403 });
      }),
      { numRuns: 40 },
    );
  }, 30_000);
});

/** The eight groups of an address written by v6Text. */
function expandV6(text: string): number[] {
  const mapped = /^::ffff:(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (mapped) {
    const [a, b, c, d] = mapped.slice(1).map(Number) as [number, number, number, number];
    return [0, 0, 0, 0, 0, 0xffff, a * 256 + b, c * 256 + d];
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const h = head ? head.split(':') : [];
  const t = tail === undefined ? [] : tail ? tail.split(':') : [];
  const zeros = tail === undefined ? [] : Array(8 - h.length - t.length).fill('0');
  return [...h, ...zeros, ...t].map((x) => parseInt(x, 16));
}

describe('the key checksum over HTTP (property)', () => {
  const rangesAll = async () =>
    expect((await call(s, 'PUT', `/v1/api-keys/${key.id}/ip-restrictions`, { cookie, body: { allowedIpRanges: [] } })).status).toBe(200);

  it('any one-character change of a real key is 401 invalid_api_key, refused before any database look-up', async () => {
    await rangesAll();
    const body = key.key.slice('pc_live_'.length);
    const change = fc.tuple(fc.integer({ min: 0, max: body.length - 1 }), fc.constantFrom(...BASE62.split(''))).filter(([i, c]) => body[i] !== c);
    await fc.assert(
      fc.asyncProperty(change, async ([i, c]) => {
        const typo = `pc_live_${body.slice(0, i)}${c}${body.slice(i + 1)}`;
        const lookups = s.core.apiKeys.stats().cache.negative;
        const res = await call(s, 'GET', '/v1/agents', { apiKey: typo });
        expect({ status: res.status, code: res.body.code }).toEqual({ status: 401, code: 'invalid_api_key' });
        // An unknown key that passed the checksum would be remembered as unknown after its look-up.
        expect(s.core.apiKeys.stats().cache.negative).toBe(lookups);
      }),
      { numRuns: 60 },
    );
    expect((await call(s, 'GET', '/v1/agents', { apiKey: key.key })).status).toBe(200);
  }, 30_000);

  it('a well-formed key with a valid checksum does reach the look-up (the observation above can see one), and is still 401', async () => {
    await rangesAll();
    // On PostgreSQL the instance also hears of its own range change (NOTIFY, or the 250 ms poll) and
    // bumps its cache generation then; a look-up that straddles that bump rightly caches nothing.
    await new Promise((r) => setTimeout(r, 600));
    await fc.assert(
      fc.asyncProperty(fc.constant(null), async () => {
        const lookups = s.core.apiKeys.stats().cache.negative;
        const res = await call(s, 'GET', '/v1/agents', { apiKey: unknownWellFormedKey() });
        expect(res.status).toBe(401);
        expect(s.core.apiKeys.stats().cache.negative).toBe(lookups + 1);
      }),
      { numRuns: 10 },
    );
  });
});
