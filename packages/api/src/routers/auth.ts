import { deleteWorkspaceInput, loginInput, logoutInput, registerInput, revokeSessionInput, switchWorkspaceInput, verifyInput } from '@pc/contract';
import { optionalSession, publicProcedure, router, sessionProcedure } from '../trpc.js';

export const authRouter = router({
  register: publicProcedure.input(registerInput).mutation(async ({ ctx, input }) => {
    await ctx.core.auth.register(input, ctx.meta);
    return { success: true as const, message: 'Verification email sent' as const };
  }),
  login: publicProcedure.input(loginInput).mutation(async ({ ctx, input }) => {
    await ctx.core.auth.login(input, ctx.meta);
    return { success: true as const, message: 'Login link sent to your email' as const };
  }),
  verify: publicProcedure.input(verifyInput).mutation(async ({ ctx, input }) => {
    const signedIn = await ctx.core.auth.verify(input.token, ctx.meta);
    ctx.setSessionCookie(signedIn.sessionToken, signedIn.maxAgeSeconds);
    return signedIn.result;
  }),
  /** What a link will sign in to, before the click; never spends it. */
  previewLink: publicProcedure.input(verifyInput).query(async ({ ctx, input }) => {
    const session = await optionalSession(ctx);
    return ctx.core.auth.previewLink(input.token, ctx.meta, session?.principal.userId ?? null);
  }),
  me: sessionProcedure.query(({ ctx }) => ctx.core.auth.me(ctx.principal)),
  /** The SPA's probe: being signed out is an answer here, not a 401, so a signed-out page load fails no request. */
  session: publicProcedure.query(async ({ ctx }) => {
    const session = await optionalSession(ctx);
    if (!session) return { signedIn: false as const };
    return { signedIn: true as const, ...(await ctx.core.auth.me(session.principal)) };
  }),
  workspaces: sessionProcedure.query(({ ctx }) => ctx.core.auth.workspaces(ctx.principal)),
  switchWorkspace: sessionProcedure.input(switchWorkspaceInput).mutation(async ({ ctx, input }) => ctx.core.auth.me(await ctx.core.auth.switchWorkspace(ctx.principal, input.workspaceId))),
  /** Owners: the current workspace and everything in it; this session goes with it. */
  deleteWorkspace: sessionProcedure.input(deleteWorkspaceInput).mutation(async ({ ctx, input }) => {
    await ctx.core.auth.deleteWorkspace(ctx.principal, input.confirm, ctx.meta);
    ctx.clearSessionCookie();
    return { success: true as const };
  }),
  logout: sessionProcedure.input(logoutInput).mutation(async ({ ctx, input }) => {
    await ctx.core.auth.logout(ctx.principal, input.scope, ctx.meta);
    if (input.scope !== 'others') ctx.clearSessionCookie();
    return { success: true as const };
  }),
  sessions: sessionProcedure.query(({ ctx }) => ctx.core.auth.listSessions(ctx.principal)),
  revokeSession: sessionProcedure.input(revokeSessionInput).mutation(async ({ ctx, input }) => {
    await ctx.core.auth.revokeSession(ctx.principal, input.id, ctx.meta);
    return { success: true as const };
  }),
});
