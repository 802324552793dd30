import { apiKeyIdInput, createApiKeyInput, listApiKeysQuery, rollApiKeyInput, updateIpRestrictionsInput } from '@pc/contract';
import type { Core } from '@pc/core';
import { sessionOf } from '../../http/auth.js';
import { requestMeta } from '../../http/request-context.js';
import { parse } from '../../http/validate.js';
import type { Handlers } from './handler.js';

export const apiKeyHandlers = (core: Core): Handlers<'createApiKey' | 'listApiKeys' | 'getApiKey' | 'updateIpRestrictions' | 'rollApiKey' | 'revokeApiKey'> => ({
  createApiKey: async (req, res) => {
    res.status(201).json(await core.apiKeys.create(sessionOf(res), parse(createApiKeyInput, req.body), requestMeta(req)));
  },
  listApiKeys: async (req, res) => {
    const { includeRevoked } = parse(listApiKeysQuery, req.query);
    res.json(await core.apiKeys.list(sessionOf(res).workspaceId, includeRevoked));
  },
  getApiKey: async (req, res) => {
    res.json(await core.apiKeys.get(sessionOf(res).workspaceId, parse(apiKeyIdInput, req.params).id));
  },
  updateIpRestrictions: async (req, res) => {
    const { allowedIpRanges } = parse(updateIpRestrictionsInput, req.body);
    res.json(await core.apiKeys.updateIpRestrictions(sessionOf(res), parse(apiKeyIdInput, req.params).id, allowedIpRanges, requestMeta(req)));
  },
  rollApiKey: async (req, res) => {
    const { gracePeriodSeconds } = parse(rollApiKeyInput, req.body ?? {});
    res.status(201).json(await core.apiKeys.roll(sessionOf(res), parse(apiKeyIdInput, req.params).id, gracePeriodSeconds, requestMeta(req)));
  },
  revokeApiKey: async (req, res) => {
    await core.apiKeys.revoke(sessionOf(res), parse(apiKeyIdInput, req.params).id, requestMeta(req));
    res.json({ success: true });
  },
});
