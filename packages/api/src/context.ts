import type { Core, Principal, RateLimitState, RequestMeta } from '@pc/core';

/** What a transport tells the API about one request, and how the API answers outside the body. */
export interface TransportRequest {
  meta: RequestMeta;
  /** The `session` cookie, if any. */
  sessionToken: string | null;
  /** The `x-api-key` header, if any. */
  apiKey: string | null;
  /** The `Origin` header, if any (`"null"` stays a string). */
  origin: string | null;
  setSessionCookie(token: string, maxAgeSeconds: number): void;
  clearSessionCookie(): void;
  setRateLimitHeaders(state: RateLimitState): void;
  /** Who the procedure runs for, once authenticated (the access log names them). */
  onPrincipal?(principal: Principal): void;
}

export interface ApiContext extends TransportRequest {
  core: Core;
}

export function createApiContext(core: Core, request: TransportRequest): ApiContext {
  return { core, ...request };
}
