import type { Core } from '@pc/core';
import { AppError } from '@pc/core';
import { Router } from 'express';
import type { Config } from '../../env.js';
import type { Guards } from '../../http/auth.js';
import { jsonBody } from '../../http/body.js';
import { noStore } from '../../http/security-headers.js';
import { agentRoutes } from './agents.js';
import { apiKeyRoutes } from './api-keys.js';
import { auditLogRoutes } from './audit-logs.js';
import { authRoutes } from './auth.js';
import { buildOpenApi } from './openapi.js';

export function v1Routes(core: Core, config: Config, guards: Guards): Router {
  const r = Router();
  // Here rather than beside the mount in app.ts: each extra layer on a mount path costs every request a URL trim.
  r.use(noStore);
  // Built on first request: rendering every schema takes a noticeable share of start-up.
  let openapi: ReturnType<typeof buildOpenApi> | undefined;
  r.get('/openapi.json', (_req, res) => {
    res.json((openapi ??= buildOpenApi(config.publicUrl)));
  });
  r.use(guards.sameOrigin);
  r.use(jsonBody());
  // The prefixes are disjoint, so the order only decides how many prefixes each request is tested
  // against: the API-key routes (agents) first, for the scripts that call them all day.
  r.use('/agents', agentRoutes(core, guards));
  r.use('/auth', authRoutes(core, config, guards));
  r.use('/api-keys', apiKeyRoutes(core, guards));
  r.use('/audit-logs', auditLogRoutes(core, guards));
  r.use(() => {
    throw new AppError('not_found', 'No such route.');
  });
  return r;
}
