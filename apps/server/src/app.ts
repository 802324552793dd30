import { AppError, type Core, type Logger } from '@pc/core';
import { appRouter, createApiContext } from '@pc/api';
import { createExpressMiddleware } from '@trpc/server/adapters/express';
import express, { type Express, type RequestHandler } from 'express';
import type { Config } from './env.js';
import { type Guards, apiKeyHeader, createGuards, setRateLimitHeaders } from './http/auth.js';
import { MAX_BODY_BYTES, MAX_TRPC_BATCH } from './http/body.js';
import { methodNotAllowed } from './http/methods.js';
import { SESSION_COOKIE, clearSessionCookie, readCookie, setSessionCookie } from './http/cookies.js';
import { errorHandler } from './http/errors.js';
import { storeFailureLog } from './http/store-failures.js';
import { requestMeta } from './http/request-context.js';
import { noStore, securityHeaders } from './http/security-headers.js';
import { spaRoutes } from './http/spa.js';
import { docsRoutes } from './http/docs.js';
import type { Metrics } from './http/metrics.js';
import { metricsEndpoint, requestStart } from './http/observe.js';
import { v1Routes } from './rest/v1/index.js';

export interface AppDeps {
  core: Core;
  config: Config;
  logger: Logger;
  /**
   * The /v1 guards; by default the real ones. Only `npm run bench` passes others, for its baseline
   * server that does a keyed route's work without the key check. No configuration reaches this.
   */
  guards?: Guards;
  /** More routes, mounted after the API and before the SPA fallback. */
  routes?: (app: Express) => void;
  /** Prometheus metrics (METRICS_TOKEN set), or none. */
  metrics?: Metrics | null;
}

const PROCEDURES = new Set(Object.keys(appRouter._def.procedures));

/** A bounded label: one known procedure, or a batch, or an unknown name (never the name itself). */
/**
 * The tRPC adapter answers some errors it finds before any procedure (a batch that mixes queries and
 * mutations, a missing content type) with a JSON body labelled `text/plain`: labelled as what it is.
 */
const jsonErrors: RequestHandler = (_req, res, next) => {
  const setHeader = res.setHeader.bind(res);
  res.setHeader = (name: string, value: number | string | readonly string[]) =>
    setHeader(name, name.toLowerCase() === 'content-type' && /^text\/plain/i.test(String(value)) ? 'application/json; charset=utf-8' : value);
  next();
};

function trpcRoute(paths: string[]): string {
  if (paths.length !== 1) return '/trpc/(batch)';
  return PROCEDURES.has(paths[0]!) ? `/trpc/${paths[0]}` : '/trpc/(unknown)';
}

export function createApp({ core, config, logger, guards, routes, metrics = null }: AppDeps): Express {
  const app = express();
  const logStoreFailure = storeFailureLog(logger, config.databaseUrl);
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.set('etag', false);
  app.use(requestStart(config.log.access ? logger : null, metrics), securityHeaders(config.secureCookies));

  app.get('/health', noStore, async (_req, res) => {
    res.locals.route = '/health';
    const ok = await core.health();
    res.status(ok ? 200 : 503).json({ status: ok ? 'ok' : 'error', database: ok ? 'ok' : 'error' });
  });

  app.use('/v1', v1Routes(core, config, guards ?? createGuards(core, config)));

  // tRPC takes GET (queries) and POST (mutations). Any other method would reach its adapter, which
  // answers TRACE with a 500 and OPTIONS in text/plain; a HEAD would run a query (and slide the
  // session it is made with).
  app.use('/trpc', (req, res, next) => {
    if (req.method === 'GET' || req.method === 'POST') return next();
    next(methodNotAllowed(res, ['GET', 'POST'], 'tRPC takes GET (queries) and POST (mutations).'));
  });
  app.use(
    '/trpc',
    noStore,
    jsonErrors,
    createExpressMiddleware({
      router: appRouter,
      maxBodySize: MAX_BODY_BYTES,
      // A batch is one request to us but N procedure calls; the SPA's pages batch a handful.
      maxBatchSize: MAX_TRPC_BATCH,
      createContext: ({ req, res, info }) => {
        res.locals.route = trpcRoute(info.calls.map((c) => c.path));
        return createApiContext(core, {
          meta: requestMeta(req),
          sessionToken: readCookie(req, SESSION_COOKIE),
          apiKey: apiKeyHeader(req),
          origin: req.get('origin') ?? null,
          setSessionCookie: (token, maxAge) => setSessionCookie(res, token, maxAge, config.secureCookies),
          clearSessionCookie: () => clearSessionCookie(res, config.secureCookies),
          setRateLimitHeaders: (s) => setRateLimitHeaders(res, s),
          onPrincipal: (p) => {
            res.locals.principal = p;
          },
        });
      },
      onError: ({ error, path }) => {
        if (error.cause instanceof AppError && error.cause.code === 'database_unavailable') logStoreFailure(error.cause.extra.cause);
        if (error.code === 'INTERNAL_SERVER_ERROR' && !(error.cause instanceof AppError)) {
          logger.error('tRPC procedure failed', { path: path ?? '', error: error.cause?.stack ?? error.message });
        }
      },
    }),
  );

  app.get('/metrics', metricsEndpoint(metrics, config.metricsToken));
  app.use(docsRoutes());
  routes?.(app);

  app.use((req, res, next) => {
    if (req.method === 'GET' || req.method === 'HEAD') return next();
    res.setHeader('Cache-Control', 'no-store');
    if (req.path.startsWith('/assets/')) return next(methodNotAllowed(res, ['GET', 'HEAD'], 'Files are read with GET.'));
    next(new AppError('not_found', 'No such route.'));
  });
  app.use(spaRoutes(config.webDist));
  app.use(errorHandler(logger, logStoreFailure));
  return app;
}
