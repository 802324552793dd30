import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render } from '@testing-library/react';
import { httpBatchLink } from '@trpc/client';
import type { ReactElement } from 'react';
import { ToastProvider } from './lib/toast.js';
import { trpc } from './lib/trpc.js';

/** What a fake server answers for one procedure: data, or an error as our errorFormatter shapes it. */
export type FakeAnswer = { data: unknown } | { error: { message: string; httpStatus: number; appCode: string; details?: unknown[] } };
/** A fixed answer, or one computed from the call's input (a filter, a cursor). */
export type FakeProcedure = FakeAnswer | ((input: unknown) => FakeAnswer);

/** Inputs of a batched call: `?input={"0":…}` for queries, the JSON body for mutations. */
async function batchInputs(url: URL, init: RequestInit | undefined): Promise<Record<string, unknown>> {
  const raw = init?.method === 'POST' ? (typeof init.body === 'string' ? init.body : null) : url.searchParams.get('input');
  return raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
}

/**
 * Renders `ui` with the real tRPC client and React Query, over a fetch that answers from `answers`
 * (keyed by procedure path). Calls are recorded (`calls` the paths, `requests` with their inputs)
 * so tests can assert what was (not) sent.
 */
export function renderWithTrpc(ui: ReactElement, answers: Record<string, FakeProcedure>) {
  const calls: string[] = [];
  const requests: { path: string; input: unknown }[] = [];
  const fakeFetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = new URL(String(input), 'http://localhost');
    const paths = url.pathname.replace(/^\/trpc\//, '').split(',');
    const inputs = await batchInputs(url, init);
    calls.push(...paths);
    const answered = paths.map((p, i) => {
      requests.push({ path: p, input: inputs[String(i)] });
      const fake = answers[p];
      return typeof fake === 'function' ? fake(inputs[String(i)]) : fake;
    });
    const body = answered.map((a, i) => {
      const p = paths[i]!;
      if (!a) return { error: { message: `no fake for ${p}`, code: -32603, data: { code: 'INTERNAL_SERVER_ERROR', httpStatus: 500, appCode: 'internal_error' } } };
      if ('data' in a) return { result: { data: a.data } };
      return { error: { message: a.error.message, code: -32600, data: { code: 'BAD_REQUEST', path: p, ...a.error } } };
    });
    // A batch of one answers with its own status, as the server does; a mixed batch with 200.
    const only = body.length === 1 ? answered[0] : undefined;
    const status = body.length === 1 && 'error' in body[0]! ? (only && 'error' in only ? only.error.httpStatus : 500) : 200;
    return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  };
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false }, mutations: { retry: false } } });
  const client = trpc.createClient({ links: [httpBatchLink({ url: '/trpc', fetch: fakeFetch as typeof fetch })] });
  const view = render(
    <trpc.Provider client={client} queryClient={queryClient}>
      <QueryClientProvider client={queryClient}>
        <ToastProvider>{ui}</ToastProvider>
      </QueryClientProvider>
    </trpc.Provider>,
  );
  return { ...view, calls, requests, queryClient };
}
