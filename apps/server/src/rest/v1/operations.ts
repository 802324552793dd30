import * as c from '@pc/contract';
import type { z } from 'zod';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
/** Who may call: nobody in particular, a signed-in browser (cookie), or an API key or a session. */
export type Auth = 'public' | 'session' | 'keyOrSession';

/** The query string: the contract's schema (as the handler parses it) and a sentence per parameter. */
export interface Query {
  schema: z.ZodObject;
  describe: Record<string, string>;
}

export interface Operation {
  id: string;
  method: Method;
  /** Relative to /v1, in Express's form (`/api-keys/:id`). */
  path: string;
  auth: Auth;
  tag: 'Auth' | 'Sessions' | 'Members' | 'API keys' | 'Usage' | 'Agents' | 'Webhooks' | 'Audit log' | 'Meta';
  summary: string;
  description?: string;
  body?: { schema: z.ZodType; name: string; required?: boolean; example?: unknown };
  query?: Query;
  ok: { status: 200 | 201 | 202; schema: z.ZodType; name: string; description: string; example?: unknown };
  /** Statuses beyond 400 and 500 (every operation can answer those, and 503 when it reads the store). */
  errors: number[];
  /** `set`: signs in (Set-Cookie session=…); `clear`: signs out. */
  cookie?: 'set' | 'clear';
  /** A page of a longer list: the next page's URL is in a `Link: <…>; rel="next"` header. */
  paged?: true;
  /** Refuses a cross-site navigation (login CSRF through a GET). */
  noCrossSiteNavigation?: true;
}

const idPath = { errors: [404] };

/**
 * Every /v1 operation, once: the router is built from this list (`index.ts`) and so is the OpenAPI
 * document (`openapi.ts`), so the two cannot drift; a test also walks Express's own route table.
 * The order is the router's: the API-key routes (agents) first, for the scripts that call them all day.
 */
export const OPERATIONS = [
  {
    id: 'listAgents',
    method: 'get',
    path: '/agents',
    auth: 'keyOrSession',
    tag: 'Agents',
    summary: "The workspace's agents, newest first",
    description: 'At most `limit` agents (100 by default); when there are more, a `Link: <…>; rel="next"` header gives the URL of the next page.',
    query: {
      schema: c.listAgentsQuery,
      describe: {
        status: '`online` (a heartbeat younger than the offline threshold, 90 s by default) or `offline`',
        limit: 'Agents per page (1–1000, default 100)',
        cursor: 'From the `Link: rel="next"` URL of the previous page',
      },
    },
    ok: { status: 200, schema: c.agentList, name: 'AgentList', description: 'The agents' },
    errors: [401, 403, 429],
    paged: true,
  },
  {
    id: 'createAgent',
    method: 'post',
    path: '/agents',
    auth: 'keyOrSession',
    tag: 'Agents',
    summary: 'Register an agent',
    body: { schema: c.createAgentInput, name: 'CreateAgentInput', example: { name: 'office-gw' } },
    ok: { status: 201, schema: c.agent, name: 'Agent', description: 'The new agent' },
    errors: [401, 403, 413, 415, 429],
  },
  { id: 'getAgent', method: 'get', path: '/agents/:id', auth: 'keyOrSession', tag: 'Agents', summary: 'One agent', ok: { status: 200, schema: c.agent, name: 'Agent', description: 'The agent' }, errors: [401, 403, 429, ...idPath.errors] },
  {
    id: 'heartbeatAgent',
    method: 'post',
    path: '/agents/:id/heartbeat',
    auth: 'keyOrSession',
    tag: 'Agents',
    summary: 'An agent reports in: sets lastSeenAt and lastSeenIp',
    description: 'Send one every 30 s; the agent is `online` until its last heartbeat is older than the offline threshold (90 s by default). Heartbeats are written in batches, not one by one.',
    body: { schema: c.heartbeatInput, name: 'HeartbeatInput', required: false, example: { version: '1.4.2' } },
    ok: { status: 200, schema: c.agent, name: 'Agent', description: 'The agent, online' },
    errors: [401, 403, 413, 415, 429, ...idPath.errors],
  },
  { id: 'deleteAgent', method: 'delete', path: '/agents/:id', auth: 'keyOrSession', tag: 'Agents', summary: 'Delete an agent', ok: { status: 200, schema: c.successSchema, name: 'Success', description: 'Deleted' }, errors: [401, 403, 429, ...idPath.errors] },
  {
    id: 'register',
    method: 'post',
    path: '/auth/register',
    auth: 'public',
    tag: 'Auth',
    summary: 'Register a user and workspace (mails a link)',
    description: 'The same answer whether or not the e-mail has an account (one that has gets a sign-in link). User and workspace are created when the mailed link is verified.',
    body: { schema: c.registerInput, name: 'RegisterInput', example: { email: 'you@example.com', workspaceName: 'my-workspace' } },
    ok: { status: 200, schema: c.registerResult, name: 'RegisterResult', description: 'Mail queued', example: { success: true, message: 'Verification email sent' } },
    errors: [403, 409, 413, 415, 429],
  },
  {
    id: 'login',
    method: 'post',
    path: '/auth/login',
    auth: 'public',
    tag: 'Auth',
    summary: 'Mail a sign-in link',
    description: 'The same answer whether or not the account exists; a link is mailed only when it does.',
    body: { schema: c.loginInput, name: 'LoginInput', example: { email: 'you@example.com' } },
    ok: { status: 200, schema: c.loginResult, name: 'LoginResult', description: 'Mail queued', example: { success: true, message: 'Login link sent to your email' } },
    errors: [403, 413, 415, 429],
  },
  {
    id: 'verify',
    method: 'get',
    path: '/auth/verify',
    auth: 'public',
    tag: 'Auth',
    summary: 'Verify a magic-link token; sets the session cookie',
    query: { schema: c.verifyInput, describe: { token: 'The token of the mailed link (single use, 15 minutes)' } },
    ok: {
      status: 200,
      schema: c.verifyResult,
      name: 'VerifyResult',
      description: 'Signed in',
      example: { success: true, user: { id: 'user_123', email: 'you@example.com' }, workspace: { id: 'ws_456', name: 'my-workspace' }, isNewUser: false },
    },
    errors: [403, 409, 429],
    cookie: 'set',
    noCrossSiteNavigation: true,
  },
  { id: 'me', method: 'get', path: '/auth/me', auth: 'session', tag: 'Auth', summary: 'The signed-in user and workspace', ok: { status: 200, schema: c.meResult, name: 'Me', description: 'Who is signed in' }, errors: [401, 403] },
  {
    id: 'logout',
    method: 'post',
    path: '/auth/logout',
    auth: 'session',
    tag: 'Auth',
    summary: 'End this session, the others, or all',
    query: { schema: c.logoutInput, describe: { scope: '`local`: this session; `others`: every other; `global`: all of the user’s' } },
    ok: { status: 200, schema: c.successSchema, name: 'Success', description: 'Signed out', example: { success: true } },
    errors: [401, 403],
    cookie: 'clear',
  },
  { id: 'listSessions', method: 'get', path: '/auth/sessions', auth: 'session', tag: 'Sessions', summary: 'Live sessions of the signed-in user, newest use first', ok: { status: 200, schema: c.sessionList, name: 'SessionList', description: 'The sessions' }, errors: [401, 403] },
  { id: 'revokeSession', method: 'delete', path: '/auth/sessions/:id', auth: 'session', tag: 'Sessions', summary: 'End one session', ok: { status: 200, schema: c.successSchema, name: 'Success', description: 'Ended' }, errors: [401, 403, ...idPath.errors] },
  { id: 'listMyWorkspaces', method: 'get', path: '/auth/workspaces', auth: 'session', tag: 'Auth', summary: 'The workspaces of the signed-in user, and their role in each', ok: { status: 200, schema: c.workspaceMembershipList, name: 'WorkspaceMembershipList', description: 'The workspaces; `current` marks this session’s' }, errors: [401, 403] },
  {
    id: 'switchWorkspace',
    method: 'post',
    path: '/auth/workspace',
    auth: 'session',
    tag: 'Auth',
    summary: 'Switch this session to another of my workspaces',
    description: 'The next sign-in lands in the workspace switched to. A workspace the user is not a member of is 404.',
    body: { schema: c.switchWorkspaceInput, name: 'SwitchWorkspaceInput', example: { workspaceId: 'ws_456' } },
    ok: { status: 200, schema: c.meResult, name: 'Me', description: 'Who is signed in, in the workspace switched to' },
    errors: [401, 403, 413, 415, 404],
  },
  {
    id: 'deleteWorkspace',
    method: 'delete',
    path: '/workspace',
    auth: 'session',
    tag: 'Members',
    summary: 'Delete the current workspace and everything in it (owners)',
    description: 'Members, sessions, API keys (refused at every instance from the next request), agents, webhooks, usage, invitations and the audit log go with it; the people keep their accounts. `confirm` must be the workspace’s name.',
    query: { schema: c.deleteWorkspaceInput, describe: { confirm: 'The workspace’s name, typed again' } },
    ok: { status: 200, schema: c.successSchema, name: 'Success', description: 'Deleted; the session cookie is cleared' },
    errors: [401, 403, 404],
    cookie: 'clear',
  },
  { id: 'listMembers', method: 'get', path: '/members', auth: 'session', tag: 'Members', summary: 'The members of the workspace, by date joined', ok: { status: 200, schema: c.memberList, name: 'MemberList', description: 'The members' }, errors: [401, 403] },
  {
    id: 'updateMember',
    method: 'patch',
    path: '/members/:userId',
    auth: 'session',
    tag: 'Members',
    summary: 'Change a member’s role (owners only)',
    description: 'Holds from the member’s next request. The last owner cannot be demoted (409 `last_owner`).',
    body: { schema: c.updateMemberInput, name: 'UpdateMemberInput', example: { role: 'admin' } },
    ok: { status: 200, schema: c.member, name: 'Member', description: 'The member as they are now' },
    errors: [401, 403, 409, 413, 415, 404],
  },
  {
    id: 'removeMember',
    method: 'delete',
    path: '/members/:userId',
    auth: 'session',
    tag: 'Members',
    summary: 'Remove a member (owners), or yourself (leave)',
    description: 'Ends the member’s sessions in this workspace at once. The last owner cannot leave (409 `last_owner`).',
    ok: { status: 200, schema: c.successSchema, name: 'Success', description: 'Removed' },
    errors: [401, 403, 409, 404],
  },
  { id: 'listInvitations', method: 'get', path: '/invitations', auth: 'session', tag: 'Members', summary: 'Open invitations, newest first', ok: { status: 200, schema: c.invitationList, name: 'InvitationList', description: 'Invitations not yet accepted, revoked or expired' }, errors: [401, 403] },
  {
    id: 'createInvitation',
    method: 'post',
    path: '/invitations',
    auth: 'session',
    tag: 'Members',
    summary: 'Invite someone by e-mail (owners and admins)',
    description: 'Mails a link that works once for 7 days. The answer is the same whether or not the address has an account. Admins invite admins and members; owners also owners. Inviting an address again replaces its open invitation.',
    body: { schema: c.createInvitationInput, name: 'CreateInvitationInput', example: { email: 'colleague@example.com', role: 'member' } },
    ok: { status: 201, schema: c.invitation, name: 'Invitation', description: 'The invitation (the link is only in the mail)' },
    errors: [401, 403, 409, 413, 415, 429],
  },
  {
    id: 'acceptInvitation',
    method: 'post',
    path: '/invitations/accept',
    auth: 'public',
    tag: 'Members',
    summary: 'Accept an invitation; sets the session cookie',
    description: 'Creates the account if the address has none, adds the membership and signs in to the workspace.',
    body: { schema: c.invitationTokenInput, name: 'InvitationTokenInput', example: { token: 'the token of the mailed link' } },
    ok: { status: 200, schema: c.invitationAccepted, name: 'InvitationAccepted', description: 'Signed in to the workspace' },
    errors: [413, 415, 429],
    cookie: 'set',
  },
  { id: 'revokeInvitation', method: 'delete', path: '/invitations/:id', auth: 'session', tag: 'Members', summary: 'Revoke an open invitation', ok: { status: 200, schema: c.successSchema, name: 'Success', description: 'Revoked; its link no longer works' }, errors: [401, 403, ...idPath.errors] },
  {
    id: 'createApiKey',
    method: 'post',
    path: '/api-keys',
    auth: 'session',
    tag: 'API keys',
    summary: 'Create an API key (the key is shown once)',
    body: { schema: c.createApiKeyInput, name: 'CreateApiKeyInput', example: { name: 'production-key' } },
    ok: {
      status: 201,
      schema: c.apiKeyCreated,
      name: 'ApiKeyCreated',
      description: 'The new key; `key` is never shown again',
      example: { id: 'key_abc123', name: 'production-key', key: 'pc_live_1234567890abcdefghijklmnop', prefix: 'pc_live_1234', createdAt: '2026-03-02T10:00:00.000Z', expiresAt: null },
    },
    errors: [401, 403, 409, 413, 415],
  },
  {
    id: 'listApiKeys',
    method: 'get',
    path: '/api-keys',
    auth: 'session',
    tag: 'API keys',
    summary: 'List API keys, newest first',
    query: { schema: c.listApiKeysQuery, describe: { includeRevoked: 'Also list revoked and expired keys' } },
    ok: {
      status: 200,
      schema: c.apiKeyList,
      name: 'ApiKeyList',
      description: 'The keys (by prefix; never the key)',
      example: [{ id: 'key_abc123', name: 'production-key', prefix: 'pc_live_1234', lastUsedAt: '2026-03-02T09:30:00.000Z', createdAt: '2026-03-01T10:00:00.000Z', isActive: true, expiresAt: null, allowedIpRangeCount: 1, rolledToId: null }],
    },
    errors: [401, 403],
  },
  {
    id: 'getApiKey',
    method: 'get',
    path: '/api-keys/:id',
    auth: 'session',
    tag: 'API keys',
    summary: 'One API key',
    ok: {
      status: 200,
      schema: c.apiKeyDetail,
      name: 'ApiKeyDetail',
      description: 'The key',
      example: {
        id: 'key_abc123', name: 'production-key', prefix: 'pc_live_1234', allowedIpRanges: ['10.0.0.0/8'], lastUsedAt: '2026-03-02T09:30:00.000Z', lastUsedIp: '10.1.2.3',
        createdAt: '2026-03-01T10:00:00.000Z', isActive: true, revokedAt: null, expiresAt: null, rolledToId: null, createdBy: { userId: 'user_123', email: 'you@example.com' },
      },
    },
    errors: [401, 403, ...idPath.errors],
  },
  {
    id: 'updateIpRestrictions',
    method: 'put',
    path: '/api-keys/:id/ip-restrictions',
    auth: 'session',
    tag: 'API keys',
    summary: 'Restrict a key to CIDR ranges ([] allows all)',
    body: { schema: c.updateIpRestrictionsInput, name: 'UpdateIpRestrictionsInput', example: { allowedIpRanges: ['10.0.0.0/8', '192.168.1.0/24'] } },
    ok: { status: 200, schema: c.apiKeyDetail, name: 'ApiKeyDetail', description: 'The key as it is now' },
    errors: [401, 403, 409, 413, 415, ...idPath.errors],
  },
  {
    id: 'rollApiKey',
    method: 'post',
    path: '/api-keys/:id/roll',
    auth: 'session',
    tag: 'API keys',
    summary: 'Replace a key; the old one works through a grace period',
    body: { schema: c.rollApiKeyInput, name: 'RollApiKeyInput', required: false, example: { gracePeriodSeconds: 86400 } },
    ok: { status: 201, schema: c.apiKeyCreated, name: 'ApiKeyCreated', description: 'The new key (shown once)' },
    errors: [401, 403, 409, 413, 415, ...idPath.errors],
  },
  {
    id: 'revokeApiKey',
    method: 'delete',
    path: '/api-keys/:id',
    auth: 'session',
    tag: 'API keys',
    summary: 'Revoke an API key (irreversible, effective on the next request everywhere)',
    ok: { status: 200, schema: c.successSchema, name: 'Success', description: 'Revoked', example: { success: true } },
    errors: [401, 403, ...idPath.errors],
  },
  {
    id: 'getApiKeyUsage',
    method: 'get',
    path: '/api-keys/:id/usage',
    auth: 'session',
    tag: 'Usage',
    summary: "A key's requests over time, by outcome",
    description: 'Buckets in time order, empty ones included. Counts are exact to within the 1 s in which the server writes them.',
    query: {
      schema: c.usageQuery,
      describe: {
        granularity: '`hour` (default) or `day` (UTC days)',
        from: 'ISO date-time; the answer starts with the bucket holding it (its `from` says where); default: 23 hours (hour) or 29 days (day) before the bucket holding `to`',
        to: 'ISO date-time; default: now',
      },
    },
    ok: {
      status: 200,
      schema: c.apiKeyUsage,
      name: 'ApiKeyUsage',
      description: 'The buckets',
      example: { granularity: 'hour', from: '2026-03-01T11:00:00.000Z', to: '2026-03-02T10:30:00.000Z', data: [{ start: '2026-03-02T10:00:00.000Z', ok: 1520, ipNotAllowed: 3, rateLimited: 0, expired: 0 }] },
    },
    errors: [401, 403, ...idPath.errors],
  },
  {
    id: 'getWorkspaceUsage',
    method: 'get',
    path: '/usage',
    auth: 'session',
    tag: 'Usage',
    summary: "The workspace's keys by requests over a range, most first",
    query: { schema: c.workspaceUsageQuery, describe: { from: 'ISO date-time; default: 30 days before `to`', to: 'ISO date-time; default: now' } },
    ok: { status: 200, schema: c.workspaceUsage, name: 'WorkspaceUsage', description: 'One entry per key used in the range' },
    errors: [401, 403],
  },
  { id: 'listWebhooks', method: 'get', path: '/webhooks', auth: 'session', tag: 'Webhooks', summary: "The workspace's webhooks, newest first", ok: { status: 200, schema: c.webhookList, name: 'WebhookList', description: 'The webhooks (never their secrets)' }, errors: [401, 403] },
  {
    id: 'createWebhook',
    method: 'post',
    path: '/webhooks',
    auth: 'session',
    tag: 'Webhooks',
    summary: 'Add a webhook (its secret is shown once)',
    description: 'Deliveries are signed by the Standard Webhooks scheme (`webhook-id`, `webhook-timestamp`, `webhook-signature`). The URL must be https and resolve to public addresses only, unless the server allows private targets.',
    body: { schema: c.createWebhookInput, name: 'CreateWebhookInput', example: { url: 'https://hooks.example.com/private-connect', events: ['api_key.revoked', 'agent.offline'], description: 'on-call alerts' } },
    ok: { status: 201, schema: c.webhookWithSecret, name: 'WebhookWithSecret', description: 'The webhook; `secret` is never shown again' },
    errors: [401, 403, 409, 413, 415],
  },
  { id: 'getWebhook', method: 'get', path: '/webhooks/:id', auth: 'session', tag: 'Webhooks', summary: 'One webhook', ok: { status: 200, schema: c.webhook, name: 'Webhook', description: 'The webhook' }, errors: [401, 403, ...idPath.errors] },
  {
    id: 'updateWebhook',
    method: 'patch',
    path: '/webhooks/:id',
    auth: 'session',
    tag: 'Webhooks',
    summary: 'Change url, events, description, or enable and disable',
    description: 'Disabling fails the deliveries still pending; enabling clears the reason it was disabled.',
    body: { schema: c.updateWebhookInput, name: 'UpdateWebhookInput', example: { enabled: true } },
    ok: { status: 200, schema: c.webhook, name: 'Webhook', description: 'The webhook as it is now' },
    errors: [401, 403, 413, 415, ...idPath.errors],
  },
  { id: 'deleteWebhook', method: 'delete', path: '/webhooks/:id', auth: 'session', tag: 'Webhooks', summary: 'Delete a webhook and its delivery log', ok: { status: 200, schema: c.successSchema, name: 'Success', description: 'Deleted' }, errors: [401, 403, ...idPath.errors] },
  {
    id: 'rotateWebhookSecret',
    method: 'post',
    path: '/webhooks/:id/rotate-secret',
    auth: 'session',
    tag: 'Webhooks',
    summary: 'A new secret; the old one also signs for `overlapSeconds`',
    body: { schema: c.rotateWebhookSecretInput, name: 'RotateWebhookSecretInput', required: false, example: { overlapSeconds: 86400 } },
    ok: { status: 200, schema: c.webhookWithSecret, name: 'WebhookWithSecret', description: 'The webhook and its new secret (shown once)' },
    errors: [401, 403, 413, 415, ...idPath.errors],
  },
  {
    id: 'testWebhook',
    method: 'post',
    path: '/webhooks/:id/test',
    auth: 'session',
    tag: 'Webhooks',
    summary: 'Send a webhook.test event to this webhook',
    ok: { status: 202, schema: c.webhookDelivery, name: 'WebhookDelivery', description: 'The delivery, queued' },
    errors: [401, 403, 409, ...idPath.errors],
  },
  {
    id: 'listWebhookDeliveries',
    method: 'get',
    path: '/webhooks/:id/deliveries',
    auth: 'session',
    tag: 'Webhooks',
    summary: 'Deliveries of a webhook, newest first',
    query: { schema: c.webhookDeliveriesQuery, describe: { limit: 'Deliveries per page (1–100, default 50)', cursor: '`nextCursor` of the previous page' } },
    ok: { status: 200, schema: c.webhookDeliveryPage, name: 'WebhookDeliveryPage', description: 'A page of deliveries' },
    errors: [401, 403, ...idPath.errors],
  },
  {
    id: 'redeliverWebhookDelivery',
    method: 'post',
    path: '/webhooks/:id/deliveries/:deliveryId/redeliver',
    auth: 'session',
    tag: 'Webhooks',
    summary: 'Send a delivered or failed event again (same webhook-id)',
    ok: { status: 202, schema: c.webhookDelivery, name: 'WebhookDelivery', description: 'The new delivery, queued' },
    errors: [401, 403, 409, ...idPath.errors],
  },
  {
    id: 'listAuditLogs',
    method: 'get',
    path: '/audit-logs',
    auth: 'session',
    tag: 'Audit log',
    summary: 'Audit log of the workspace, newest first',
    query: { schema: c.auditLogQuery, describe: { limit: 'Entries per page', cursor: '`nextCursor` of the previous page', action: 'Only entries of this action' } },
    ok: { status: 200, schema: c.auditLogPage, name: 'AuditLogPage', description: 'A page of entries' },
    errors: [401, 403],
  },
  {
    id: 'openApiDocument',
    method: 'get',
    path: '/openapi.json',
    auth: 'public',
    tag: 'Meta',
    summary: 'This document (OpenAPI 3.1)',
    ok: { status: 200, schema: c.openApiDocument, name: 'OpenApiDocument', description: 'The OpenAPI document of /v1' },
    errors: [],
  },
] as const satisfies readonly Operation[];

export type OperationId = (typeof OPERATIONS)[number]['id'];

/** `/api-keys/:id` → `/api-keys/{id}`. */
export const openApiPath = (expressPath: string) => expressPath.replace(/:(\w+)/g, '{$1}');
