import { agentIdInput, createAgentInput } from '@pc/contract';
import { keyOrSessionProcedure, router } from '../trpc.js';

export const agentsRouter = router({
  list: keyOrSessionProcedure.query(({ ctx }) => ctx.core.agents.list(ctx.principal.workspaceId)),
  create: keyOrSessionProcedure.input(createAgentInput).mutation(({ ctx, input }) => ctx.core.agents.create(ctx.principal, input, ctx.meta)),
  get: keyOrSessionProcedure.input(agentIdInput).query(({ ctx, input }) => ctx.core.agents.get(ctx.principal.workspaceId, input.id)),
  delete: keyOrSessionProcedure.input(agentIdInput).mutation(async ({ ctx, input }) => {
    await ctx.core.agents.remove(ctx.principal, input.id, ctx.meta);
    return { success: true as const };
  }),
});
