import { z } from 'zod';
import { isoTimestamp } from './common.js';

export const AUDIT_ACTIONS = [
  'auth.registered',
  'auth.signed_in',
  'auth.signed_out',
  'auth.sign_in_link_issued',
  'session.revoked',
  'api_key.created',
  'api_key.revoked',
  'api_key.rolled',
  'api_key.expired',
  'api_key.ip_restrictions_updated',
  'api_key.ip_denied',
  'api_key.rate_limited',
  'agent.created',
  'agent.deleted',
  'webhook.created',
  'webhook.updated',
  'webhook.deleted',
  'webhook.secret_rotated',
  'webhook.disabled',
  'member.invited',
  'member.invitation_revoked',
  'member.joined',
  'member.role_changed',
  'member.removed',
  'member.left',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export const auditLogQuery = z.object({
  limit: z.coerce.number().int('limit must be a whole number.').min(1, 'limit must be at least 1.').max(100, 'limit must be at most 100.').default(50),
  cursor: z.string().max(200).optional(),
  action: z.enum(AUDIT_ACTIONS, { error: 'Unknown action.' }).optional(),
});

export const auditLogEntry = z.object({
  id: z.string(),
  action: z.string(),
  actor: z.object({ type: z.enum(['user', 'api_key', 'system']), id: z.string().nullable() }),
  target: z.object({ type: z.string(), id: z.string() }).nullable(),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  createdAt: isoTimestamp,
  metadata: z.record(z.string(), z.unknown()),
});

export const auditLogPage = z.object({ data: z.array(auditLogEntry), nextCursor: z.string().nullable() });

export type AuditLogEntry = z.infer<typeof auditLogEntry>;
export type AuditLogPage = z.infer<typeof auditLogPage>;
