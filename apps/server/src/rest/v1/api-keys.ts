import { apiKeyIdInput, createApiKeyInput, rollApiKeyInput, updateIpRestrictionsInput } from '@pc/contract';
import type { Core } from '@pc/core';
import { Router } from 'express';
import { z } from 'zod';
import { type Guards, sessionOf } from '../../http/auth.js';
import { requestMeta } from '../../http/request-context.js';
import { parse } from '../../http/validate.js';

const listQuery = z.object({
  includeRevoked: z
    .enum(['true', 'false'], { error: 'includeRevoked must be true or false.' })
    .optional()
    .transform((v) => v === 'true'),
});

export function apiKeyRoutes(core: Core, guards: Guards): Router {
  const r = Router();
  r.use(guards.requireSession);

  r.post('/', async (req, res) => {
    res.status(201).json(await core.apiKeys.create(sessionOf(res), parse(createApiKeyInput, req.body), requestMeta(req)));
  });

  r.get('/', async (req, res) => {
    const { includeRevoked } = parse(listQuery, req.query);
    res.json(await core.apiKeys.list(sessionOf(res).workspaceId, includeRevoked));
  });

  r.get('/:id', async (req, res) => {
    res.json(await core.apiKeys.get(sessionOf(res).workspaceId, parse(apiKeyIdInput, req.params).id));
  });

  r.put('/:id/ip-restrictions', async (req, res) => {
    const { allowedIpRanges } = parse(updateIpRestrictionsInput, req.body);
    res.json(await core.apiKeys.updateIpRestrictions(sessionOf(res), parse(apiKeyIdInput, req.params).id, allowedIpRanges, requestMeta(req)));
  });

  r.post('/:id/roll', async (req, res) => {
    const { gracePeriodSeconds } = parse(rollApiKeyInput, req.body ?? {});
    res.status(201).json(await core.apiKeys.roll(sessionOf(res), parse(apiKeyIdInput, req.params).id, gracePeriodSeconds, requestMeta(req)));
  });

  r.delete('/:id', async (req, res) => {
    await core.apiKeys.revoke(sessionOf(res), parse(apiKeyIdInput, req.params).id, requestMeta(req));
    res.json({ success: true });
  });

  return r;
}
