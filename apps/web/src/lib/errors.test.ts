// @vitest-environment node
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AppRouter } from '@pc/api';
import { createTRPCClient, httpBatchLink } from '@trpc/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorInfo, errorMessage, fetchTellingFailuresApart } from './errors.js';

/**
 * What the SPA makes of each way a request can fail, through the real tRPC client and the SPA's
 * fetch, over real HTTP: a server that answers each request with the next `answer`.
 */
let answer: { status: number; type: string; body: string } = { status: 200, type: 'application/json', body: '' };
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((_req, res) => res.writeHead(answer.status, { 'content-type': answer.type, 'x-request-id': 'req_abc123' }).end(answer.body));
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((ok) => server.close(() => ok())));

async function failureOf(url: string): Promise<unknown> {
  const client = createTRPCClient<AppRouter>({ links: [httpBatchLink({ url: `${url}/trpc`, fetch: fetchTellingFailuresApart })] });
  try {
    await client.config.query();
  } catch (e) {
    return e;
  }
  throw new Error('expected the call to fail');
}

const trpcError = (httpStatus: number, message: string, appCode: string) =>
  JSON.stringify([{ error: { message, code: -32603, data: { code: 'X', httpStatus, appCode } } }]);

describe('errorInfo', () => {
  it('an answer that is not the API’s (a proxy’s 502 page) is an answer with an error, and its request id', async () => {
    answer = { status: 502, type: 'text/html', body: '<html><title>502 Bad Gateway</title></html>' };
    const e = await failureOf(base);
    expect(errorInfo(e)).toMatchObject({ httpStatus: 502, requestId: 'req_abc123', appCode: null });
    expect(errorMessage(e)).toBe('The server answered with an error (HTTP 502). Try again in a moment. Request id: req_abc123');
  });

  it('JSON in another shape is an answer too', async () => {
    answer = { status: 504, type: 'application/json', body: '{"message":"upstream timed out"}' };
    expect(errorMessage(await failureOf(base))).toBe('The server answered with an error (HTTP 504). Try again in a moment. Request id: req_abc123');
  });

  it('the API’s own 5xx keeps its message and adds the request id; its 4xx says only what was wrong', async () => {
    answer = { status: 500, type: 'application/json', body: trpcError(500, 'Internal server error.', 'internal_error') };
    expect(errorMessage(await failureOf(base))).toBe('Internal server error. Request id: req_abc123');
    answer = { status: 409, type: 'application/json', body: trpcError(409, 'This workspace name is already taken.', 'workspace_name_taken') };
    const conflict = await failureOf(base);
    expect(errorInfo(conflict)).toMatchObject({ appCode: 'workspace_name_taken', httpStatus: 409, requestId: null });
    expect(errorMessage(conflict)).toBe('This workspace name is already taken.');
  });

  it('no answer at all: the server could not be reached, with no status and no request id', async () => {
    const closed = createServer();
    await new Promise<void>((ok) => closed.listen(0, '127.0.0.1', ok));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise<void>((ok) => closed.close(() => ok()));
    const e = await failureOf(url);
    expect(errorInfo(e)).toMatchObject({ httpStatus: null, requestId: null });
    expect(errorMessage(e)).toBe('Could not reach the server. Check your connection and try again.');
  });
});
