import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import { agentsRouter } from './routers/agents.js';
import { apiKeysRouter } from './routers/api-keys.js';
import { auditLogsRouter } from './routers/audit-logs.js';
import { authRouter } from './routers/auth.js';
import { configQuery } from './routers/config.js';
import { invitationsRouter, membersRouter } from './routers/teams.js';
import { usageRouter } from './routers/usage.js';
import { webhooksRouter } from './routers/webhooks.js';
import { router } from './trpc.js';

export const appRouter = router({
  config: configQuery,
  auth: authRouter,
  apiKeys: apiKeysRouter,
  agents: agentsRouter,
  auditLogs: auditLogsRouter,
  webhooks: webhooksRouter,
  usage: usageRouter,
  members: membersRouter,
  invitations: invitationsRouter,
});

export type AppRouter = typeof appRouter;
export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;
