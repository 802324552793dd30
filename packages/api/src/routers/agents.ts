import { agentIdInput, createAgentInput, heartbeatInput, listAgentsQuery } from '@pc/contract';
import { keyOrSessionProcedure, router } from '../trpc.js';

export const agentsRouter = router({
  /** A page: `{data, nextCursor}` (REST gives the array and a Link header). */
  list: keyOrSessionProcedure.input(listAgentsQuery.optional()).query(({ ctx, input }) => ctx.core.agents.list(ctx.principal.workspaceId, input)),
  create: keyOrSessionProcedure.input(createAgentInput).mutation(({ ctx, input }) => ctx.core.agents.create(ctx.principal, input, ctx.meta)),
  get: keyOrSessionProcedure.input(agentIdInput).query(({ ctx, input }) => ctx.core.agents.get(ctx.principal.workspaceId, input.id)),
  heartbeat: keyOrSessionProcedure.input(agentIdInput.extend(heartbeatInput.shape)).mutation(({ ctx, input: { id, ...body } }) => ctx.core.agents.heartbeat(ctx.principal, id, body, ctx.meta)),
  delete: keyOrSessionProcedure.input(agentIdInput).mutation(async ({ ctx, input }) => {
    await ctx.core.agents.remove(ctx.principal, input.id, ctx.meta);
    return { success: true as const };
  }),
});
