import { publicProcedure } from '../trpc.js';

export const configQuery = publicProcedure.query(({ ctx }) => ctx.core.publicConfig);
