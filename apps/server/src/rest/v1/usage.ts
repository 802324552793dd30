import { apiKeyIdInput, usageQuery, workspaceUsageQuery } from '@pc/contract';
import type { Core } from '@pc/core';
import { sessionOf } from '../../http/auth.js';
import { parse } from '../../http/validate.js';
import type { Handlers } from './handler.js';

export const usageHandlers = (core: Core): Handlers<'getApiKeyUsage' | 'getWorkspaceUsage'> => ({
  getApiKeyUsage: async (req, res) => {
    res.json(await core.apiKeys.usage(sessionOf(res).workspaceId, parse(apiKeyIdInput, req.params).id, parse(usageQuery, req.query)));
  },
  getWorkspaceUsage: async (req, res) => {
    res.json(await core.usage.workspace(sessionOf(res).workspaceId, parse(workspaceUsageQuery, req.query)));
  },
});
