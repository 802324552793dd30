import { AppError, type Logger, type Principal, constantTimeEqual } from '@pc/core';
import type { Request, RequestHandler, Response } from 'express';
import { API_KEY_DISPLAY_PREFIX_LENGTH } from '@pc/contract';
import type { Metrics } from './metrics.js';
import { apiKeyHeader } from './auth.js';
import { requestMeta } from './request-context.js';

/**
 * The route template a request was answered by (set by each route: `/v1/api-keys/:id`,
 * `/trpc/apiKeys.list`), never its URL: URLs carry ids and, on verify, a token.
 */
function routeOf(req: Request, res: Response): string {
  const named = res.locals.route as string | undefined;
  if (named) return named;
  if (req.path.startsWith('/assets/')) return '/assets/*';
  return res.statusCode === 404 ? '(unmatched)' : '/*';
}

/** Who made the request: a user id, or the public prefix of the key (never the key). */
function who(req: Request, res: Response): Record<string, string> {
  const p = res.locals.principal as Principal | undefined;
  if (p?.kind === 'session') return { userId: p.userId };
  if (p?.kind === 'api_key') return { keyPrefix: (apiKeyHeader(req) ?? '').slice(0, API_KEY_DISPLAY_PREFIX_LENGTH) };
  return {};
}

/**
 * One access-log line and one metrics observation per answered request, both when it finishes.
 * Absent when both are off (ACCESS_LOG=off and no METRICS_TOKEN): then it costs nothing.
 */
export function observeRequests(logger: Logger, access: boolean, metrics: Metrics | null): RequestHandler | null {
  if (!access && !metrics) return null;
  return (req, res, next) => {
    const started = performance.now();
    res.once('finish', () => {
      const ms = performance.now() - started;
      const route = routeOf(req, res);
      metrics?.request(route, req.method, res.statusCode, ms / 1000);
      if (access) {
        logger.info('request', {
          method: req.method,
          route,
          status: res.statusCode,
          durationMs: Math.round(ms * 10) / 10,
          requestId: res.getHeader('X-Request-Id'),
          ip: requestMeta(req).ip,
          ...who(req, res),
        });
      }
    });
    next();
  };
}

/** `GET /metrics` with `Authorization: Bearer <METRICS_TOKEN>`; off (404) without a token. */
export function metricsEndpoint(metrics: Metrics | null, token: string | null): RequestHandler {
  return async (req, res) => {
    res.locals.route = '/metrics';
    res.setHeader('Cache-Control', 'no-store');
    if (!metrics || !token) throw new AppError('not_found', 'Metrics are off: set METRICS_TOKEN to turn them on.');
    const given = /^Bearer (.+)$/.exec(req.get('authorization') ?? '')?.[1] ?? '';
    if (!constantTimeEqual(given, token)) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="metrics"');
      throw new AppError('authentication_required', 'GET /metrics needs Authorization: Bearer <METRICS_TOKEN>.');
    }
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  };
}
