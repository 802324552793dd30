import { auditLogQuery } from '@pc/contract';
import { router, sessionProcedure } from '../trpc.js';

export const auditLogsRouter = router({
  list: sessionProcedure.input(auditLogQuery).query(({ ctx, input }) => ctx.core.audit.readLog(ctx.principal, input)),
});
