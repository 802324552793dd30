import { AppError, type Core, type KeyAuthentication, type Principal, type RateLimitState, type SessionPrincipal, isCrossSite } from '@pc/core';
import type { Request, RequestHandler, Response } from 'express';
import type { Config } from '../env.js';
import { SESSION_COOKIE, readCookie, setSessionCookie } from './cookies.js';
import { requestMeta } from './request-context.js';

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export function setRateLimitHeaders(res: Response, s: RateLimitState): void {
  res.setHeader('X-RateLimit-Limit', String(s.limit));
  res.setHeader('X-RateLimit-Remaining', String(s.remaining));
  res.setHeader('X-RateLimit-Reset', String(s.resetSeconds));
}

/** The `x-api-key` header as Node parsed it (lower-cased names; a repeated header is joined, and then malformed). */
export const apiKeyHeader = (req: Request): string | null => {
  const v = req.headers['x-api-key'];
  return typeof v === 'string' ? v : null;
};

/** The principal a guard put on the response; guards run before every handler that reads it. */
export const principalOf = (res: Response): Principal => res.locals.principal as Principal;
export const sessionOf = (res: Response): SessionPrincipal => res.locals.principal as SessionPrincipal;

export function createGuards(core: Core, config: Config) {
  async function session(req: Request, res: Response): Promise<SessionPrincipal> {
    if (apiKeyHeader(req) !== null) throw new AppError('session_required');
    const token = readCookie(req, SESSION_COOKIE);
    const found = token ? await core.auth.authenticateSession(token) : null;
    if (!found || !token) throw new AppError('authentication_required');
    if (found.renewedMaxAgeSeconds !== null) setSessionCookie(res, token, found.renewedMaxAgeSeconds, config.secureCookies);
    return found.principal;
  }

  /** Cookie-made state changes must come from our own origin. */
  const sameOrigin: RequestHandler = (req, _res, next) => {
    if (STATE_CHANGING.has(req.method) && apiKeyHeader(req) === null && isCrossSite(req.get('origin') ?? null, config.publicUrl)) {
      throw new AppError('cross_site_request');
    }
    next();
  };

  /**
   * The REST verify link signs a browser in with a GET, so a page on another site could navigate a
   * victim there with the attacker's own token (login CSRF). Browsers say where a navigation came
   * from; only same-origin and direct ones (typed, bookmarked: `none`) are let through. Scripts send
   * no Sec-Fetch-Site and pass; the SPA verifies through the Origin-checked tRPC mutation.
   */
  const noCrossSiteNavigation: RequestHandler = (req, _res, next) => {
    const site = req.get('sec-fetch-site');
    if (site !== undefined && site !== 'same-origin' && site !== 'none') throw new AppError('cross_site_request');
    next();
  };

  const requireSession: RequestHandler = async (req, res, next) => {
    res.locals.principal = await session(req, res);
    next();
  };

  const admitted = (res: Response, auth: KeyAuthentication) => {
    setRateLimitHeaders(res, auth.rateLimit);
    res.locals.principal = auth.principal;
  };
  const refused = (res: Response, e: unknown): never => {
    if (e instanceof AppError && e.extra.rateLimit) setRateLimitHeaders(res, e.extra.rateLimit);
    throw e;
  };

  /**
   * A cached key is judged synchronously (`check`), so the common request goes on to its handler in
   * the same turn of the event loop, with no promise in between; a key to read from the store, or
   * a budget to lease, waits for it.
   */
  const requireKeyOrSession: RequestHandler = (req, res, next) => {
    const key = apiKeyHeader(req);
    if (key === null) {
      return session(req, res).then((principal) => {
        res.locals.principal = principal;
        next();
      });
    }
    let auth: ReturnType<typeof core.apiKeys.check>;
    try {
      auth = core.apiKeys.check(key, requestMeta(req));
    } catch (e) {
      return refused(res, e);
    }
    if (auth instanceof Promise) {
      return auth.then(
        (a) => {
          admitted(res, a);
          next();
        },
        (e: unknown) => refused(res, e),
      );
    }
    admitted(res, auth);
    next();
  };

  return { sameOrigin, noCrossSiteNavigation, requireSession, requireKeyOrSession };
}

export type Guards = ReturnType<typeof createGuards>;
