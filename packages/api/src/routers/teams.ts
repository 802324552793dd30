import { createInvitationInput, invitationIdInput, invitationTokenInput, memberIdInput, updateMemberInput } from '@pc/contract';
import { optionalSession, publicProcedure, router, sessionProcedure } from '../trpc.js';

export const membersRouter = router({
  list: sessionProcedure.query(({ ctx }) => ctx.core.members.list(ctx.principal.workspaceId)),
  updateRole: sessionProcedure.input(memberIdInput.extend(updateMemberInput.shape)).mutation(({ ctx, input }) => ctx.core.members.changeRole(ctx.principal, input.userId, input.role, ctx.meta)),
  /** Removes a member, or the caller themself (leave); the cookie of someone who left is cleared. */
  remove: sessionProcedure.input(memberIdInput).mutation(async ({ ctx, input }) => {
    const { leftWorkspace } = await ctx.core.members.remove(ctx.principal, input.userId, ctx.meta);
    if (leftWorkspace) ctx.clearSessionCookie();
    return { success: true as const };
  }),
});

export const invitationsRouter = router({
  list: sessionProcedure.query(({ ctx }) => ctx.core.invitations.list(ctx.principal.workspaceId)),
  create: sessionProcedure.input(createInvitationInput).mutation(({ ctx, input }) => ctx.core.invitations.create(ctx.principal, input, ctx.meta)),
  revoke: sessionProcedure.input(invitationIdInput).mutation(async ({ ctx, input }) => {
    await ctx.core.invitations.revoke(ctx.principal, input.id, ctx.meta);
    return { success: true as const };
  }),
  /** What a link opens, before the click; never spends it. */
  preview: publicProcedure.input(invitationTokenInput).query(async ({ ctx, input }) => {
    const session = await optionalSession(ctx);
    return ctx.core.invitations.preview(input.token, ctx.meta, session?.principal.userId ?? null);
  }),
  accept: publicProcedure.input(invitationTokenInput).mutation(async ({ ctx, input }) => {
    const accepted = await ctx.core.invitations.accept(input.token, ctx.meta);
    ctx.setSessionCookie(accepted.sessionToken, accepted.maxAgeSeconds);
    return accepted.result;
  }),
});
