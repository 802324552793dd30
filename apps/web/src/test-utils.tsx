import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render } from '@testing-library/react';
import { httpBatchLink } from '@trpc/client';
import type { ReactElement } from 'react';
import { ToastProvider } from './lib/toast.js';
import { trpc } from './lib/trpc.js';

/** What a fake server answers for one procedure: data, or an error as our errorFormatter shapes it. */
export type FakeAnswer = { data: unknown } | { error: { message: string; httpStatus: number; appCode: string; details?: unknown[] } };

/**
 * Renders `ui` with the real tRPC client and React Query, over a fetch that answers from `answers`
 * (keyed by procedure path). Calls are recorded so tests can assert what was (not) sent.
 */
export function renderWithTrpc(ui: ReactElement, answers: Record<string, FakeAnswer>) {
  const calls: string[] = [];
  const fakeFetch = async (input: RequestInfo | URL): Promise<Response> => {
    const url = new URL(String(input), 'http://localhost');
    const paths = url.pathname.replace(/^\/trpc\//, '').split(',');
    calls.push(...paths);
    const body = paths.map((p) => {
      const a = answers[p];
      if (!a) return { error: { message: `no fake for ${p}`, code: -32603, data: { code: 'INTERNAL_SERVER_ERROR', httpStatus: 500, appCode: 'internal_error' } } };
      if ('data' in a) return { result: { data: a.data } };
      return { error: { message: a.error.message, code: -32600, data: { code: 'BAD_REQUEST', path: p, ...a.error } } };
    });
    const status = body.some((b) => 'error' in b) && body.length === 1 ? (answers[paths[0]!] as { error: { httpStatus: number } }).error.httpStatus : 200;
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
  return { ...view, calls };
}
