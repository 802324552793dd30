import { apiKeyIdInput, apiKeyUsageInput, createApiKeyInput, listApiKeysInput, rollApiKeyInput, updateIpRestrictionsInput } from '@pc/contract';
import { router, sessionProcedure } from '../trpc.js';

export const apiKeysRouter = router({
  create: sessionProcedure.input(createApiKeyInput).mutation(({ ctx, input }) => ctx.core.apiKeys.create(ctx.principal, input, ctx.meta)),
  list: sessionProcedure
    .input(listApiKeysInput.optional())
    .query(({ ctx, input }) => ctx.core.apiKeys.list(ctx.principal.workspaceId, input?.includeRevoked ?? false)),
  get: sessionProcedure.input(apiKeyIdInput).query(({ ctx, input }) => ctx.core.apiKeys.get(ctx.principal.workspaceId, input.id)),
  updateIpRestrictions: sessionProcedure
    .input(apiKeyIdInput.extend(updateIpRestrictionsInput.shape))
    .mutation(({ ctx, input }) => ctx.core.apiKeys.updateIpRestrictions(ctx.principal, input.id, input.allowedIpRanges, ctx.meta)),
  revoke: sessionProcedure.input(apiKeyIdInput).mutation(async ({ ctx, input }) => {
    await ctx.core.apiKeys.revoke(ctx.principal, input.id, ctx.meta);
    return { success: true as const };
  }),
  roll: sessionProcedure
    .input(apiKeyIdInput.extend(rollApiKeyInput.shape))
    .mutation(({ ctx, input }) => ctx.core.apiKeys.roll(ctx.principal, input.id, input.gracePeriodSeconds, ctx.meta)),
  usage: sessionProcedure.input(apiKeyUsageInput).query(({ ctx, input: { id, ...range } }) => ctx.core.apiKeys.usage(ctx.principal.workspaceId, id, range)),
});

