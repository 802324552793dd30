import { AppError, type ErrorCode, type Principal, type SessionPrincipal, isCrossSite, toAppError } from '@pc/core';
import { TRPCError, initTRPC } from '@trpc/server';
import { ZodError } from 'zod';
import { MAX_INPUT_DEPTH, exceedsInputDepth, issuesToDetails } from '@pc/contract';
import type { ApiContext } from './context.js';

/** Failures tRPC raises itself (body, transport), named with the codes REST uses for the same failure. */
const TRANSPORT_CODES: Partial<Record<string, ErrorCode>> = {
  NOT_FOUND: 'not_found',
  PARSE_ERROR: 'invalid_json',
  PAYLOAD_TOO_LARGE: 'payload_too_large',
  UNSUPPORTED_MEDIA_TYPE: 'unsupported_media_type',
  INTERNAL_SERVER_ERROR: 'internal_error',
};

/** Every tRPC error carries the contract's code (and details), so the SPA shows what REST would say. */
const t = initTRPC.context<ApiContext>().create({
  errorFormatter({ shape, error }) {
    const cause = error.cause;
    const app = cause instanceof AppError ? cause : null;
    const zod = cause instanceof ZodError ? cause : null;
    return {
      ...shape,
      message: zod ? 'The request is invalid.' : shape.data.code === 'INTERNAL_SERVER_ERROR' && !app ? 'Internal server error.' : shape.message,
      data: {
        code: shape.data.code,
        httpStatus: shape.data.httpStatus,
        path: shape.data.path,
        appCode: app?.code ?? (zod ? 'invalid_request' : cause instanceof SyntaxError ? 'invalid_json' : (TRANSPORT_CODES[shape.data.code] ?? 'invalid_request')),
        details: app?.extra.details ?? (zod ? issuesToDetails(zod.issues) : undefined),
        retryAfter: app?.extra.retryAfter,
      },
    };
  },
});

/** Core throws AppError (and the store may be down); here it becomes a TRPCError with the code from the one table. */
const appErrors = t.middleware(async ({ next }) => {
  const result = await next();
  const e = result.ok ? null : toAppError(result.error.cause);
  if (e) throw new TRPCError({ code: e.trpcCode, message: e.message, cause: e });
  return result;
});

const fail = (e: AppError): never => {
  throw new TRPCError({ code: e.trpcCode, message: e.message, cause: e });
};

/** Mutations made with a cookie must come from our own origin (curl and scripts send no Origin). */
const sameSiteMutations = t.middleware(({ ctx, type, next }) => {
  if (type === 'mutation' && ctx.apiKey === null && isCrossSite(ctx.origin, ctx.core.publicConfig.publicUrl)) {
    fail(new AppError('cross_site_request'));
  }
  return next();
});

/** The same depth limit REST applies to its bodies, before any input schema walks the value. */
const shallowInput = t.middleware(async ({ getRawInput, next }) => {
  if (exceedsInputDepth(await getRawInput())) {
    fail(new AppError('invalid_request', `The input nests more than ${MAX_INPUT_DEPTH} levels deep.`));
  }
  return next();
});

export const router = t.router;
export const publicProcedure = t.procedure.use(appErrors).use(sameSiteMutations).use(shallowInput);

/**
 * The session behind the cookie, if any (a request with an `x-api-key` is judged by the key alone).
 * Whichever procedure read it, the access log names its user, and when its expiry slid the cookie
 * is set again for as long.
 */
export async function optionalSession(ctx: ApiContext) {
  if (ctx.apiKey !== null || !ctx.sessionToken) return null;
  const session = await ctx.core.auth.authenticateSession(ctx.sessionToken);
  if (!session) return null;
  ctx.onPrincipal?.(session.principal);
  if (session.renewedMaxAgeSeconds !== null) ctx.setSessionCookie(ctx.sessionToken, session.renewedMaxAgeSeconds);
  return session;
}

async function requireSession(ctx: ApiContext): Promise<SessionPrincipal> {
  if (ctx.apiKey !== null) return fail(new AppError('session_required'));
  const session = await optionalSession(ctx);
  if (!session) return fail(new AppError('authentication_required'));
  return session.principal;
}

/** Signed-in users only; an API key is refused with `session_required`. */
export const sessionProcedure = publicProcedure.use(async ({ ctx, next }) => {
  const principal = await requireSession(ctx);
  return next({ ctx: { ...ctx, principal } });
});

/** An API key (checked on the hot path) or a session. */
export const keyOrSessionProcedure = publicProcedure.use(async ({ ctx, next }) => {
  let principal: Principal;
  if (ctx.apiKey !== null) {
    try {
      const auth = await ctx.core.apiKeys.authenticate(ctx.apiKey, ctx.meta);
      ctx.setRateLimitHeaders(auth.rateLimit);
      principal = auth.principal;
      ctx.onPrincipal?.(principal);
    } catch (e) {
      if (e instanceof AppError && e.extra.rateLimit) ctx.setRateLimitHeaders(e.extra.rateLimit);
      throw e instanceof AppError ? fail(e) : e;
    }
  } else {
    principal = await requireSession(ctx);
  }
  return next({ ctx: { ...ctx, principal } });
});
