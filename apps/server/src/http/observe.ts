import { AppError, type Logger, type Principal, constantTimeEqual } from '@pc/core';
import type { Request, RequestHandler, Response } from 'express';
import { API_KEY_DISPLAY_PREFIX_LENGTH } from '@pc/contract';
import type { Metrics } from './metrics.js';
import { apiKeyHeader } from './auth.js';
import { clientIp, newRequestId } from './request-context.js';

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

/**
 * The first middleware: gives the request its id (`X-Request-Id`) and, when the access log or
 * metrics are on, writes its access-log line and observes its metrics once it is answered. One
 * layer for both, since each Express layer costs every request its own dispatch.
 */
export function requestStart(access: Logger | null, metrics: Metrics | null): RequestHandler {
  if (!access && !metrics) {
    return (_req, res, next) => {
      res.setHeader('X-Request-Id', newRequestId());
      next();
    };
  }
  return (req, res, next) => {
    const requestId = newRequestId();
    res.setHeader('X-Request-Id', requestId);
    const started = performance.now();
    // Named, so that a CPU profile shows what it costs (scripts/bench/observe-profile.mjs).
    res.on('finish', function observeAnswer() {
      const ms = performance.now() - started;
      const route = routeOf(req, res);
      metrics?.request(route, req.method, res.statusCode, ms / 1000);
      if (!access) return;
      const p = res.locals.principal as Principal | undefined;
      access.info('request', {
        method: req.method,
        route,
        status: res.statusCode,
        durationMs: Math.round(ms * 10) / 10,
        requestId,
        ip: clientIp(req),
        // Who: a user id, or the public prefix of the key (never the key).
        userId: p?.kind === 'session' ? p.userId : undefined,
        keyPrefix: p?.kind === 'api_key' ? apiKeyHeader(req)?.slice(0, API_KEY_DISPLAY_PREFIX_LENGTH) : undefined,
      });
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
