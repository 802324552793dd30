import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ERROR_CODES } from '@pc/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGuards } from '../src/http/auth.js';
import { buildOpenApi } from '../src/rest/v1/openapi.js';
import { v1Routes } from '../src/rest/v1/index.js';
import { PrivateConnectError, privateConnect } from '../../../docs/examples/typed-client/src/client.js';
import { type TestServer, call, signUp, startTestServer } from './harness.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SERVER = fileURLToPath(new URL('../', import.meta.url));

let server: TestServer;
let doc: any;
beforeAll(async () => {
  server = await startTestServer();
  doc = (await call(server, 'GET', '/v1/openapi.json')).body;
});
afterAll(() => server.close());

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

describe('the OpenAPI document and the router are one table', () => {
  it('names exactly the routes Express serves under /v1, method for method', () => {
    // Express's own route table, as the running app mounts it (not the operation list it is built from).
    const router = v1Routes(server.core, server.config, createGuards(server.core, server.config)) as unknown as {
      stack: Array<{ route?: { path: string; methods: Record<string, boolean> } }>;
    };
    // HEAD and "any other method" routes are the 405s (no operation of their own).
    const served = router.stack
      .filter((l) => l.route)
      .flatMap((l) => Object.keys(l.route!.methods).filter((m) => m !== 'head' && m !== '_all').map((m) => `${m.toUpperCase()} ${l.route!.path.replace(/:(\w+)/g, '{$1}')}`))
      .sort();
    const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>)
      .flatMap(([path, item]) => Object.keys(item).filter((k) => METHODS.includes(k)).map((m) => `${m.toUpperCase()} ${path}`))
      .sort();
    expect(served.length).toBeGreaterThanOrEqual(18);
    expect(documented).toEqual(served);
  });

  it('every documented operation answers (no route in the document that the server lacks)', async () => {
    for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, unknown>>)) {
      for (const method of Object.keys(item).filter((k) => METHODS.includes(k))) {
        const url = `/v1${path.replace(/\{\w+\}/g, 'missing')}`;
        const res = await call(server, method.toUpperCase() as 'GET', url, method === 'get' || method === 'delete' ? {} : { body: {} });
        // Whatever the answer (401, 400, 404 of an unknown id), it is the route's, not the router's "No such route".
        expect(res.body?.message, `${method} ${path}`).not.toBe('No such route.');
      }
    }
  });
});

describe('the OpenAPI document', () => {
  it('has an operationId on every operation, each once, and security on each (empty for public ones)', () => {
    const ids: string[] = [];
    for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, any>>)) {
      for (const method of Object.keys(item).filter((k) => METHODS.includes(k))) {
        const op = item[method];
        expect(op.operationId, `${method} ${path}`).toMatch(/^[a-z][A-Za-z]+$/);
        ids.push(op.operationId);
        expect(Array.isArray(op.security), `${method} ${path}`).toBe(true);
      }
    }
    expect(new Set(ids).size).toBe(ids.length);
    for (const [path, method] of [['/auth/register', 'post'], ['/auth/login', 'post'], ['/auth/verify', 'get'], ['/openapi.json', 'get']] as const) {
      expect(doc.paths[path][method].security, `${method} ${path}`).toEqual([]);
    }
    expect(doc.paths['/api-keys'].get.security).toEqual([{ session: [] }]);
    expect(doc.paths['/agents'].get.security).toEqual([{ apiKey: [] }, { session: [] }]);
  });

  it('names its schemas once, the error with `code` as the enum of the error table', () => {
    const schemas = doc.components.schemas;
    for (const name of ['Error', 'Agent', 'AgentList', 'ApiKey', 'ApiKeyCreated', 'ApiKeyList', 'User', 'Workspace', 'AuditLogPage', 'SessionList', 'RegisterInput']) {
      expect(schemas[name], name).toBeDefined();
    }
    expect(schemas.Error.properties.code.enum.sort()).toEqual(Object.keys(ERROR_CODES).sort());
    expect(schemas.Error.required).toEqual(expect.arrayContaining(['error', 'code', 'message']));
    // Every response refers to a named schema; the error is not repeated inline.
    const text = JSON.stringify(doc.paths);
    expect(text.includes('"properties"'), 'an object schema inline in paths').toBe(false);
    expect((text.match(/#\/components\/schemas\/Error/g) ?? []).length).toBeGreaterThan(50);
    // About 2 KB an operation: a schema repeated inline in every operation would be far more.
    const operations = Object.values(doc.paths as Record<string, object>).reduce((n, ops) => n + Object.keys(ops).length, 0);
    expect(JSON.stringify(doc).length).toBeLessThan(2_500 * operations);
  });

  it('documents the session cookie, Set-Cookie on verify, the rate-limit headers, examples and a licence', () => {
    expect(doc.components.securitySchemes.session).toMatchObject({ type: 'apiKey', in: 'cookie', name: 'session' });
    expect(doc.components.securitySchemes.apiKey).toMatchObject({ type: 'apiKey', in: 'header', name: 'x-api-key' });
    expect(doc.paths['/auth/verify'].get.responses['200'].headers['Set-Cookie']).toBeDefined();
    expect(doc.paths['/auth/logout'].post.responses['200'].headers['Set-Cookie']).toBeDefined();
    expect(doc.paths['/agents'].get.responses['200'].headers['X-RateLimit-Remaining']).toBeDefined();
    expect(doc.paths['/agents'].get.responses['429'].headers['Retry-After']).toBeDefined();
    expect(doc.paths['/auth/register'].post.requestBody.content['application/json'].example).toEqual({ email: 'you@example.com', workspaceName: 'my-workspace' });
    expect(doc.paths['/auth/register'].post.responses['200'].content['application/json'].example).toEqual({ success: true, message: 'Verification email sent' });
    expect(doc.info.license).toEqual({ name: 'MIT', identifier: 'MIT' });
    expect(doc.servers).toEqual([{ url: `${server.config.publicUrl}/v1` }]);
  });

  it('passes @redocly/cli lint with no error and no warning (rules turned off have their reason in redocly.yaml)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pc-openapi-'));
    try {
      // The document as a first start serves it (PUBLIC_URL unset).
      const file = join(dir, 'openapi.json');
      writeFileSync(file, JSON.stringify(buildOpenApi('http://localhost:3000'), null, 2));
      const redocly = join(ROOT, 'node_modules', '.bin', 'redocly');
      const env = { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' };
      const result = await run(redocly, ['lint', file, '--config', join(SERVER, 'redocly.yaml'), '--format', 'json'], { env, maxBuffer: 16 * 1024 * 1024 }).catch(
        (err: { stdout: string; stderr: string; code: number }) => err,
      );
      const report = JSON.parse(result.stdout) as { totals: { errors: number; warnings: number; ignored: number }; problems: Array<{ ruleId: string; message: string }> };
      expect(report.problems.map((p) => `${p.ruleId}: ${p.message}`)).toEqual([]);
      expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('the copy in docs/openapi.json is the document the server builds (regenerate: npx private-connect openapi > docs/openapi.json)', () => {
    const committed = JSON.parse(readFileSync(join(ROOT, 'docs', 'openapi.json'), 'utf8'));
    expect(committed).toEqual(buildOpenApi('http://localhost:3000'));
  });

  it("the typed client's types are openapi-typescript's of that copy (regenerate: npm run generate -w docs/examples/typed-client)", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pc-openapi-ts-'));
    try {
      const out = join(dir, 'api.d.ts');
      // From the example's folder, as its `npm run generate` runs (redocly.yaml files elsewhere do not apply).
      await run(join(ROOT, 'node_modules', '.bin', 'openapi-typescript'), [join(ROOT, 'docs', 'openapi.json'), '--output', out], {
        cwd: join(ROOT, 'docs', 'examples', 'typed-client'),
        env: { ...process.env, NO_COLOR: '1' },
      });
      expect(readFileSync(out, 'utf8')).toBe(readFileSync(join(ROOT, 'docs', 'examples', 'typed-client', 'src', 'api.d.ts'), 'utf8'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('the typed client in docs/examples', () => {
  it('creates a key with a session and lists agents with that key, against the real server', async () => {
    const { cookie } = await signUp(server, 'typed@example.com', 'typed-client');
    const api = privateConnect(`${server.url}/v1`);
    const key = await api.createKey(`session=${cookie}`, 'from-the-example');
    expect(key.key).toMatch(/^pc_live_/);
    expect((await api.restrictKey(`session=${cookie}`, key.id, ['127.0.0.1/32'])).allowedIpRanges).toEqual(['127.0.0.1/32']);
    expect(await api.listAgents(key.key)).toEqual([]);
    const agent = await api.registerAgent(key.key, 'office-gw');
    expect((await api.listAgents(key.key)).map((a) => a.id)).toEqual([agent.id]);
    // A refusal arrives as the contract's error, typed.
    const refused = await api.listAgents('pc_live_' + 'x'.repeat(32)).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(PrivateConnectError);
    expect((refused as PrivateConnectError).status).toBe(401);
    expect((refused as PrivateConnectError).body.code).toBe('invalid_api_key');
  });
});
