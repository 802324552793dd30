import { agentIdInput, createAgentInput } from '@pc/contract';
import type { Core } from '@pc/core';
import { Router } from 'express';
import { type Guards, principalOf } from '../../http/auth.js';
import { requestMeta } from '../../http/request-context.js';
import { parse } from '../../http/validate.js';

export function agentRoutes(core: Core, guards: Guards): Router {
  const r = Router();
  r.use(guards.requireKeyOrSession);

  r.get('/', async (_req, res) => {
    res.json(await core.agents.list(principalOf(res).workspaceId));
  });

  r.post('/', async (req, res) => {
    res.status(201).json(await core.agents.create(principalOf(res), parse(createAgentInput, req.body), requestMeta(req)));
  });

  r.get('/:id', async (req, res) => {
    res.json(await core.agents.get(principalOf(res).workspaceId, parse(agentIdInput, req.params).id));
  });

  r.delete('/:id', async (req, res) => {
    await core.agents.remove(principalOf(res), parse(agentIdInput, req.params).id, requestMeta(req));
    res.json({ success: true });
  });

  return r;
}
