import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestServer, call, createKey, signUp, startTestServer } from '../harness.js';
import { expectRestError, expectTrpcError, trpcMutation } from './support.js';

// A name that displays as something else: bidi overrides turn "key‮gnp.exe" into "keyexe.png", and
// zero-width characters make two names that look the same differ. Names refuse them.
const INVISIBLE: Array<[string, string]> = [
  ['\u202a', '202A'],
  ['\u202b', '202B'],
  ['\u202c', '202C'],
  ['\u202d', '202D'],
  ['\u202e', '202E'],
  ['\u2066', '2066'],
  ['\u2067', '2067'],
  ['\u2068', '2068'],
  ['\u2069', '2069'],
  ['\u200b', '200B'],
  ['\u200c', '200C'],
  ['\u200d', '200D'],
  ['\u200e', '200E'],
  ['\u200f', '200F'],
  ['\u2060', '2060'],
  ['\ufeff', 'FEFF'],
  ['\u00ad', '00AD'],
  ['\u061c', '061C'],
];

let s: TestServer;
let cookie: string;
let apiKey: string;
const origin = () => ({ origin: s.url });
beforeAll(async () => {
  s = await startTestServer({ env: { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' } });
  ({ cookie } = await signUp(s, 'names@example.com', 'names-ws'));
  apiKey = (await createKey(s, cookie)).key;
});
afterAll(async () => s.close());

describe('names refuse invisible and direction-changing characters', () => {
  it.each(INVISIBLE)('U+%s… in a key name, an agent name or label, a webhook description: 400 naming the field and the position; nothing is created', async (char, code) => {
    const name = `ci${char}gnp.exe`;
    const message = expect.stringContaining(`U+${code} at position 3`);
    const cases = [
      { path: '/v1/api-keys', auth: { cookie }, body: { name }, field: 'name', list: '/v1/api-keys' },
      { path: '/v1/agents', auth: { apiKey }, body: { name }, field: 'name', list: '/v1/agents' },
      { path: '/v1/agents', auth: { cookie }, body: { name: 'ok', label: name }, field: 'label', list: '/v1/agents' },
      { path: '/v1/webhooks', auth: { cookie }, body: { url: 'http://127.0.0.1:9/x', events: ['*'], description: name }, field: 'description', list: '/v1/webhooks' },
    ];
    for (const c of cases) {
      const before = (await call(s, 'GET', c.list, c.auth)).body.length;
      const res = await call(s, 'POST', c.path, { ...c.auth, body: c.body });
      expectRestError(res, 400, 'invalid_request');
      expect(res.body.details).toEqual([{ path: c.field, message }]);
      expect((await call(s, 'GET', c.list, c.auth)).body.length).toBe(before);
    }
    expectTrpcError(await trpcMutation(s, 'apiKeys.create', { name }, { cookie, headers: origin() }), 400, 'invalid_request');
    expectTrpcError(await trpcMutation(s, 'agents.create', { name }, { apiKey }), 400, 'invalid_request');
  });

  it('visible unicode stays welcome: accents, scripts written right to left, emoji', async () => {
    for (const name of ['café-é', 'שלום', 'مرحبا', 'ключ 🔑', 'e\u0301']) {
      expect((await call(s, 'POST', '/v1/api-keys', { cookie, body: { name } })).status, name).toBe(201);
    }
  });

  it('a rename to an invisible name is refused too (webhook description through PATCH)', async () => {
    const hook = (await call(s, 'POST', '/v1/webhooks', { cookie, body: { url: 'http://127.0.0.1:9/y', events: ['*'], description: 'fine' } })).body;
    const res = await call(s, 'PATCH', `/v1/webhooks/${hook.id}`, { cookie, body: { description: 'fi\u200bne' } });
    expectRestError(res, 400, 'invalid_request');
    expect((await call(s, 'GET', `/v1/webhooks/${hook.id}`, { cookie })).body.description).toBe('fine');
  });
});
