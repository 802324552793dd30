import { auditLogQuery } from '@pc/contract';
import type { Core } from '@pc/core';
import { Router } from 'express';
import { type Guards, sessionOf } from '../../http/auth.js';
import { parse } from '../../http/validate.js';

export function auditLogRoutes(core: Core, guards: Guards): Router {
  const r = Router();
  r.get('/', guards.requireSession, async (req, res) => {
    res.json(await core.audit.list(sessionOf(res).workspaceId, parse(auditLogQuery, req.query)));
  });
  return r;
}
