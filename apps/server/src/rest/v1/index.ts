import type { Core } from '@pc/core';
import { AppError } from '@pc/core';
import { type RequestHandler, Router } from 'express';
import type { Config } from '../../env.js';
import type { Guards } from '../../http/auth.js';
import { jsonBody } from '../../http/body.js';
import { methodNotAllowed } from '../../http/methods.js';
import { noStore } from '../../http/security-headers.js';
import { agentHandlers } from './agents.js';
import { apiKeyHandlers } from './api-keys.js';
import { auditLogHandlers } from './audit-logs.js';
import { authHandlers } from './auth.js';
import type { Handlers } from './handler.js';
import { buildOpenApi } from './openapi.js';
import { OPERATIONS } from './operations.js';
import { teamHandlers } from './teams.js';
import { usageHandlers } from './usage.js';
import { webhookHandlers } from './webhooks.js';

/** The /v1 router, one route per entry of OPERATIONS, in its order, with the guards its `auth` names. */
export function v1Routes(core: Core, config: Config, guards: Guards): Router {
  // Built on first request: rendering every schema takes a noticeable share of start-up.
  let openapi: ReturnType<typeof buildOpenApi> | undefined;
  const handlers: Handlers = {
    ...agentHandlers(core, config.publicUrl),
    ...authHandlers(core, config),
    ...apiKeyHandlers(core),
    ...auditLogHandlers(core),
    ...webhookHandlers(core),
    ...usageHandlers(core),
    ...teamHandlers(core, config),
    openApiDocument: (_req, res) => {
      res.json((openapi ??= buildOpenApi(config.publicUrl)));
    },
  };
  const auth: Record<(typeof OPERATIONS)[number]['auth'], RequestHandler[]> = {
    public: [],
    session: [guards.requireSession],
    keyOrSession: [guards.requireKeyOrSession],
  };

  const r = Router();
  // Here rather than beside the mount in app.ts: each extra layer on a mount path costs every request a URL trim.
  r.use(noStore);
  r.use(guards.sameOrigin);
  r.use(jsonBody());
  // A route asked with a method it does not take: 405 and what it does take. HEAD first, since
  // Express answers it with a GET route's handler: a HEAD of a verify link would spend its token,
  // one with a key would record a use. The other methods after the routes.
  const methodsOf = new Map<string, string[]>();
  const ORDER = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
  for (const op of OPERATIONS) methodsOf.set(op.path, [...(methodsOf.get(op.path) ?? []), op.method.toUpperCase()].sort((a, b) => ORDER.indexOf(a) - ORDER.indexOf(b)));
  const notTaken = (methods: string[]): RequestHandler => (_req, res) => {
    throw methodNotAllowed(res, methods);
  };
  for (const [path, methods] of methodsOf) r.head(path, notTaken(methods));
  for (const op of OPERATIONS) {
    const route = `/v1${op.path}`;
    // For the access log and metrics: the route template, never the URL (ids, tokens).
    const named: RequestHandler = (_req, res, next) => {
      res.locals.route = route;
      next();
    };
    const chain = [named, ...('noCrossSiteNavigation' in op ? [guards.noCrossSiteNavigation] : []), ...auth[op.auth], handlers[op.id]];
    r[op.method](op.path, ...chain);
  }
  for (const [path, methods] of methodsOf) r.all(path, notTaken(methods));
  r.use(() => {
    throw new AppError('not_found', 'No such route.');
  });
  return r;
}
