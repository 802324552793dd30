import {
  createWebhookInput,
  rotateWebhookSecretInput,
  updateWebhookWithIdInput,
  webhookDeliveriesInput,
  webhookDeliveryIdInput,
  webhookIdInput,
} from '@pc/contract';
import { router, sessionProcedure } from '../trpc.js';

export const webhooksRouter = router({
  list: sessionProcedure.query(({ ctx }) => ctx.core.webhooks.list(ctx.principal.workspaceId)),
  get: sessionProcedure.input(webhookIdInput).query(({ ctx, input }) => ctx.core.webhooks.get(ctx.principal.workspaceId, input.id)),
  create: sessionProcedure.input(createWebhookInput).mutation(({ ctx, input }) => ctx.core.webhooks.create(ctx.principal, input, ctx.meta)),
  update: sessionProcedure.input(updateWebhookWithIdInput).mutation(({ ctx, input: { id, ...patch } }) => ctx.core.webhooks.update(ctx.principal, id, patch, ctx.meta)),
  delete: sessionProcedure.input(webhookIdInput).mutation(async ({ ctx, input }) => {
    await ctx.core.webhooks.remove(ctx.principal, input.id, ctx.meta);
    return { success: true as const };
  }),
  rotateSecret: sessionProcedure
    .input(webhookIdInput.extend(rotateWebhookSecretInput.shape))
    .mutation(({ ctx, input }) => ctx.core.webhooks.rotateSecret(ctx.principal, input.id, input.overlapSeconds, ctx.meta)),
  test: sessionProcedure.input(webhookIdInput).mutation(({ ctx, input }) => ctx.core.webhooks.test(ctx.principal, input.id)),
  deliveries: sessionProcedure.input(webhookDeliveriesInput).query(({ ctx, input: { id, ...page } }) => ctx.core.webhooks.deliveries(ctx.principal.workspaceId, id, page)),
  redeliver: sessionProcedure.input(webhookDeliveryIdInput).mutation(({ ctx, input }) => ctx.core.webhooks.redeliver(ctx.principal, input.id, input.deliveryId)),
});
