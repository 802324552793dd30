import { workspaceUsageQuery } from '@pc/contract';
import { router, sessionProcedure } from '../trpc.js';

export const usageRouter = router({
  workspace: sessionProcedure.input(workspaceUsageQuery.optional()).query(({ ctx, input }) => ctx.core.usage.workspace(ctx.principal.workspaceId, input ?? {})),
});
