import { request } from 'node:http';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Logger } from '@pc/core';
import { type TestServer, startTestServer } from '../harness.js';

// Whatever a client sends under /v1, /trpc and /assets, the answer is JSON with a request id, 404
// for what is not there, 405 for a method a route does not take, and the server logs no stack.
const WEB_DIST = fileURLToPath(new URL('../../../web/dist', import.meta.url));
const logged: string[] = [];
const logger: Logger = { info() {}, warn: (m) => void logged.push(`warn ${m}`), error: (m, f) => void logged.push(`error ${m} ${JSON.stringify(f ?? {})}`) };
let s: TestServer;
beforeAll(async () => {
  s = await startTestServer({ logger, env: { WEB_DIST } });
});
afterAll(async () => s.close());

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}
/** Any method, as a client may send it (fetch refuses TRACE). */
function raw(method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = request(s.url + path, { method, headers: body ? { 'content-type': 'application/json', ...headers } : headers }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
/** Bytes straight onto a socket, for what Node's parser itself refuses. */
function onSocket(bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect(Number(new URL(s.url).port), '127.0.0.1');
    let text = '';
    sock.on('data', (c) => (text += c.toString()));
    sock.on('close', () => resolve(text));
    sock.on('error', reject);
    sock.write(bytes);
  });
}

const isJsonError = (r: Raw, status: number, code: string) => {
  expect({ status: r.status, type: r.headers['content-type'] }).toEqual({ status, type: 'application/json; charset=utf-8' });
  expect(JSON.parse(r.body)).toMatchObject({ statusCode: status, code });
  expect(r.headers['x-request-id']).toBeTruthy();
};

describe('error answers are JSON with a request id; no client makes the server log a stack', () => {
  it('a missing file under /assets is 404; a method other than GET there is 405', async () => {
    isJsonError(await raw('GET', '/assets/missing-0123.js'), 404, 'not_found');
    isJsonError(await raw('GET', '/assets/deeper/missing.css'), 404, 'not_found');
    const post = await raw('POST', '/assets/index.js', '{}');
    isJsonError(post, 405, 'method_not_allowed');
    expect(post.headers.allow).toBe('GET, HEAD');
  });

  it('/v1: a method a route does not take is 405 with Allow; an unknown route is 404', async () => {
    for (const m of ['PUT', 'PATCH', 'TRACE', 'OPTIONS']) {
      const r = await raw(m, '/v1/agents', m === 'TRACE' || m === 'OPTIONS' ? undefined : '{}');
      isJsonError(r, 405, 'method_not_allowed');
      expect(r.headers.allow).toBe('GET, POST');
    }
    expect((await raw('POST', '/v1/api-keys/key_x')).headers.allow).toBe('GET, DELETE');
    isJsonError(await raw('GET', '/v1/no-such-thing'), 404, 'not_found');
  });

  it('/trpc: TRACE, OPTIONS, PUT, PATCH and DELETE are 405 with Allow; a mixed batch and a missing content type are JSON', async () => {
    for (const m of ['TRACE', 'OPTIONS', 'PUT', 'PATCH', 'DELETE']) {
      const r = await raw(m, '/trpc/auth.me');
      isJsonError(r, 405, 'method_not_allowed');
      expect(r.headers.allow).toBe('GET, POST');
    }
    const mixed = await raw('POST', '/trpc/config,auth.login?batch=1', '{}');
    expect(mixed.status).toBe(400);
    expect(mixed.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(JSON.parse(mixed.body)).toBeTruthy();
    const noType = await raw('POST', '/trpc/auth.login', '{"email":"x@example.com"}', { 'content-type': '' });
    expect(noType.headers['content-type']).toMatch(/^application\/json/);
  });

  it("Node's parser-level refusals get a JSON 400 or 431 with a request id", async () => {
    const garbage = await onSocket('NOT HTTP AT ALL\r\n\r\n');
    expect(garbage).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(garbage).toMatch(/\r\nX-Request-Id: req_/);
    expect(JSON.parse(garbage.slice(garbage.indexOf('\r\n\r\n') + 4))).toMatchObject({ statusCode: 400, code: 'invalid_request' });
    const huge = await onSocket(`GET /v1/agents HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(huge).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
    expect(JSON.parse(huge.slice(huge.indexOf('\r\n\r\n') + 4))).toMatchObject({ statusCode: 431, code: 'headers_too_large' });
  });

  it('none of the above logged an error or a stack', () => {
    expect(logged.filter((l) => l.startsWith('error'))).toEqual([]);
    expect(logged.join('\n')).not.toMatch(/\n\s+at /);
  });
});
