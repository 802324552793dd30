import type { AppRouter } from '@pc/api';
import { httpBatchLink } from '@trpc/client';
import { fetchTellingFailuresApart } from './errors.js';
import { createTRPCReact, type inferReactQueryProcedureOptions } from '@trpc/react-query';
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';

export const trpc = createTRPCReact<AppRouter>();

export type RouterOutputs = inferRouterOutputs<AppRouter>;
export type RouterInputs = inferRouterInputs<AppRouter>;
export type ReactQueryOptions = inferReactQueryProcedureOptions<AppRouter>;

/** Same origin: the session cookie rides along, no header needed. */
export function createTrpcClient() {
  return trpc.createClient({ links: [httpBatchLink({ url: '/trpc', maxItems: 20, fetch: fetchTellingFailuresApart })] });
}
