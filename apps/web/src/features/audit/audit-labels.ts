import type { AuditAction } from '@pc/contract';

export const ACTION_LABELS: Record<AuditAction, string> = {
  'auth.registered': 'Workspace created',
  'auth.signed_in': 'Signed in',
  'auth.signed_out': 'Signed out',
  'auth.sign_in_link_issued': 'Sign-in link issued by the operator',
  'session.revoked': 'Session signed out',
  'api_key.created': 'API key created',
  'api_key.revoked': 'API key revoked',
  'api_key.rolled': 'API key rolled',
  'api_key.expired': 'Expired API key used',
  'api_key.ip_restrictions_updated': 'IP ranges changed',
  'api_key.ip_denied': 'Request from a refused IP',
  'api_key.rate_limited': 'API key rate-limited',
  'agent.created': 'Agent registered',
  'agent.deleted': 'Agent deleted',
  'webhook.created': 'Webhook added',
  'webhook.updated': 'Webhook changed',
  'webhook.deleted': 'Webhook deleted',
  'webhook.secret_rotated': 'Webhook secret rotated',
  'webhook.disabled': 'Webhook disabled by the server',
  'member.invited': 'Person invited',
  'member.invitation_revoked': 'Invitation revoked',
  'member.joined': 'Member joined',
  'member.role_changed': 'Role changed',
  'member.removed': 'Member removed',
  'member.left': 'Member left',
};

export const DENIAL_ACTIONS = new Set<string>(['api_key.ip_denied', 'api_key.rate_limited', 'api_key.expired']);

export const actionLabel = (a: string) => (ACTION_LABELS as Record<string, string>)[a] ?? a;

/** An entry's metadata as `[field, text]` pairs, empty values left out. */
export function metadataFields(metadata: Record<string, unknown>): [string, string][] {
  const fields: [string, string][] = [];
  for (const [k, v] of Object.entries(metadata)) {
    if (v === null || v === undefined || v === '') continue;
    fields.push([k, Array.isArray(v) ? (v.length === 0 ? '[]' : v.join(', ')) : typeof v === 'object' ? JSON.stringify(v) : String(v)]);
  }
  return fields;
}

/** The metadata on one line, for a glance in a table row; the row's details show it in full. */
export const metadataSummary = (metadata: Record<string, unknown>): string => metadataFields(metadata).map(([k, v]) => `${k}: ${v}`).join(' · ');
