import { agentIdInput, createAgentInput, heartbeatInput, listAgentsQuery } from '@pc/contract';
import type { Core } from '@pc/core';
import type { Response } from 'express';
import { principalOf } from '../../http/auth.js';
import { requestMeta } from '../../http/request-context.js';
import { parse } from '../../http/validate.js';
import type { Handlers } from './handler.js';

/** RFC 8288: the next page as a URL with the same query and its cursor, so a client only follows it. */
export function linkNext(res: Response, publicUrl: string, path: string, query: Record<string, string | number | undefined>, nextCursor: string | null): void {
  if (nextCursor === null) return;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...query, cursor: nextCursor })) if (v !== undefined) params.set(k, String(v));
  res.setHeader('Link', `<${publicUrl}/v1${path}?${params}>; rel="next"`);
}

export const agentHandlers = (core: Core, publicUrl: string): Handlers<'listAgents' | 'createAgent' | 'getAgent' | 'heartbeatAgent' | 'deleteAgent'> => ({
  listAgents: async (req, res) => {
    const q = parse(listAgentsQuery, req.query);
    const page = await core.agents.list(principalOf(res).workspaceId, q);
    linkNext(res, publicUrl, '/agents', { status: q.status, limit: q.limit }, page.nextCursor);
    res.json(page.data);
  },
  createAgent: async (req, res) => {
    res.status(201).json(await core.agents.create(principalOf(res), parse(createAgentInput, req.body), requestMeta(req)));
  },
  getAgent: async (req, res) => {
    res.json(await core.agents.get(principalOf(res).workspaceId, parse(agentIdInput, req.params).id));
  },
  heartbeatAgent: async (req, res) => {
    const { id } = parse(agentIdInput, req.params);
    res.json(await core.agents.heartbeat(principalOf(res), id, parse(heartbeatInput, req.body ?? {}), requestMeta(req)));
  },
  deleteAgent: async (req, res) => {
    await core.agents.remove(principalOf(res), parse(agentIdInput, req.params).id, requestMeta(req));
    res.json({ success: true });
  },
});
