import { agentIdInput, createAgentInput } from '@pc/contract';
import type { Core } from '@pc/core';
import { principalOf } from '../../http/auth.js';
import { requestMeta } from '../../http/request-context.js';
import { parse } from '../../http/validate.js';
import type { Handlers } from './handler.js';

export const agentHandlers = (core: Core): Handlers<'listAgents' | 'createAgent' | 'getAgent' | 'deleteAgent'> => ({
  listAgents: async (_req, res) => {
    res.json(await core.agents.list(principalOf(res).workspaceId));
  },
  createAgent: async (req, res) => {
    res.status(201).json(await core.agents.create(principalOf(res), parse(createAgentInput, req.body), requestMeta(req)));
  },
  getAgent: async (req, res) => {
    res.json(await core.agents.get(principalOf(res).workspaceId, parse(agentIdInput, req.params).id));
  },
  deleteAgent: async (req, res) => {
    await core.agents.remove(principalOf(res), parse(agentIdInput, req.params).id, requestMeta(req));
    res.json({ success: true });
  },
});
