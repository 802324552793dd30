import { createInvitationInput, deleteWorkspaceInput, invitationIdInput, invitationTokenInput, memberIdInput, switchWorkspaceInput, updateMemberInput } from '@pc/contract';
import type { Core } from '@pc/core';
import type { Config } from '../../env.js';
import { sessionOf } from '../../http/auth.js';
import { clearSessionCookie, setSessionCookie } from '../../http/cookies.js';
import { requestMeta } from '../../http/request-context.js';
import { parse } from '../../http/validate.js';
import type { Handlers } from './handler.js';

type TeamOperation = 'listMyWorkspaces' | 'switchWorkspace' | 'deleteWorkspace' | 'listMembers' | 'updateMember' | 'removeMember' | 'listInvitations' | 'createInvitation' | 'revokeInvitation' | 'acceptInvitation';

export const teamHandlers = (core: Core, config: Config): Handlers<TeamOperation> => ({
  listMyWorkspaces: async (_req, res) => {
    res.json(await core.auth.workspaces(sessionOf(res)));
  },
  switchWorkspace: async (req, res) => {
    res.json(await core.auth.me(await core.auth.switchWorkspace(sessionOf(res), parse(switchWorkspaceInput, req.body).workspaceId)));
  },
  deleteWorkspace: async (req, res) => {
    await core.auth.deleteWorkspace(sessionOf(res), parse(deleteWorkspaceInput, req.query).confirm, requestMeta(req));
    clearSessionCookie(res, config.secureCookies);
    res.json({ success: true });
  },
  listMembers: async (_req, res) => {
    res.json(await core.members.list(sessionOf(res).workspaceId));
  },
  updateMember: async (req, res) => {
    res.json(await core.members.changeRole(sessionOf(res), parse(memberIdInput, req.params).userId, parse(updateMemberInput, req.body).role, requestMeta(req)));
  },
  removeMember: async (req, res) => {
    const { leftWorkspace } = await core.members.remove(sessionOf(res), parse(memberIdInput, req.params).userId, requestMeta(req));
    if (leftWorkspace) clearSessionCookie(res, config.secureCookies);
    res.json({ success: true });
  },
  listInvitations: async (_req, res) => {
    res.json(await core.invitations.list(sessionOf(res).workspaceId));
  },
  createInvitation: async (req, res) => {
    res.status(201).json(await core.invitations.create(sessionOf(res), parse(createInvitationInput, req.body), requestMeta(req)));
  },
  revokeInvitation: async (req, res) => {
    await core.invitations.revoke(sessionOf(res), parse(invitationIdInput, req.params).id, requestMeta(req));
    res.json({ success: true });
  },
  acceptInvitation: async (req, res) => {
    const accepted = await core.invitations.accept(parse(invitationTokenInput, req.body).token, requestMeta(req));
    setSessionCookie(res, accepted.sessionToken, accepted.maxAgeSeconds, config.secureCookies);
    res.json(accepted.result);
  },
});
