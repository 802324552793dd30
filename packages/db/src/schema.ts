import type { Generated } from 'kysely';

/** Timestamps are ISO 8601 UTC strings with milliseconds; they sort lexicographically in every dialect. */
type Timestamp = string;

export interface UsersTable {
  id: string;
  email: string;
  created_at: Timestamp;
  /** The workspace switched to or signed in to last: where the next sign-in lands (if still a member). */
  last_workspace_id: Generated<string | null>;
}

export interface WorkspacesTable {
  id: string;
  name: string;
  created_at: Timestamp;
}

export interface WorkspaceMembersTable {
  workspace_id: string;
  user_id: string;
  role: 'owner' | 'admin' | 'member';
  created_at: Timestamp;
}

/** An open invitation: deleted when accepted or revoked, refused once `expires_at` passed. */
export interface InvitationsTable {
  id: string;
  workspace_id: string;
  email: string;
  role: 'owner' | 'admin' | 'member';
  token_hash: string;
  invited_by_user_id: string | null;
  created_at: Timestamp;
  expires_at: Timestamp;
}

export interface PendingRegistrationsTable {
  id: string;
  email: string;
  workspace_name: string;
  created_at: Timestamp;
  expires_at: Timestamp;
}

export interface MagicLinksTable {
  id: string;
  token_hash: string;
  email: string;
  pending_registration_id: string | null;
  created_at: Timestamp;
  expires_at: Timestamp;
  used_at: Timestamp | null;
}

export interface SessionsTable {
  id: string;
  token_hash: string;
  user_id: string;
  workspace_id: string;
  created_at: Timestamp;
  last_used_at: Timestamp;
  expires_at: Timestamp;
  ip: string | null;
  user_agent: string | null;
}

export interface ApiKeysTable {
  id: string;
  workspace_id: string;
  name: string;
  key_hash: string;
  prefix: string;
  /** JSON array of normalised CIDR strings. */
  allowed_ip_ranges: string;
  created_at: Timestamp;
  created_by_user_id: string | null;
  last_used_at: Timestamp | null;
  last_used_ip: string | null;
  revoked_at: Timestamp | null;
  expires_at: Timestamp | null;
  rolled_to_id: string | null;
  /** Set the first time an expired key is presented, so `api_key.expired` is audited once. */
  expiry_recorded_at: Timestamp | null;
  /**
   * Set when an expired key gives its name up to a new key. Active names are unique by a partial
   * index over keys not revoked, not rolled and not released.
   */
  name_released_at: Timestamp | null;
  /** When `api_key.expiring` was emitted (once, a week before `expires_at`). */
  expiring_noticed_at: Timestamp | null;
  /** When `api_key.expired` was emitted (once, when `expires_at` passed). */
  expired_noticed_at: Timestamp | null;
  /** When the day-ahead expiry notice (mail, `api_key.expiring`) went out. */
  expiring_soon_noticed_at: Timestamp | null;
}

/** Requests made with a known key in one hour, by outcome; the flush adds to a row on conflict. */
export interface ApiKeyUsageTable {
  key_id: string;
  /** The hour's start, ISO. */
  hour_start: Timestamp;
  workspace_id: string;
  ok: number;
  ip_not_allowed: number;
  rate_limited: number;
  expired: number;
}

export interface AgentsTable {
  id: string;
  workspace_id: string;
  name: string;
  label: string | null;
  created_at: Timestamp;
  last_seen_at: Timestamp | null;
  last_seen_ip: string | null;
  version: string | null;
  /** 1 from the `agent.online` event until the `agent.offline` one. */
  reported_online: number;
}

export interface AuditLogsTable {
  seq: Generated<number>;
  id: string;
  workspace_id: string;
  action: string;
  actor_type: 'user' | 'api_key' | 'system';
  actor_id: string | null;
  target_type: string | null;
  target_id: string | null;
  ip: string | null;
  user_agent: string | null;
  /** JSON object. */
  metadata: string;
  created_at: Timestamp;
}

/** One row (id 1): `key_seq` numbers key changes in commit order. */
export interface ClusterStateTable {
  id: number;
  key_seq: number;
}

/** Key changes other instances must apply to their caches, in commit order. */
export interface KeyInvalidationsTable {
  seq: number;
  /** JSON array of SHA-256 key hashes. */
  key_hashes: string;
  created_at: Timestamp;
}

/** Instances that are up (PostgreSQL: unlogged), by the database's clock. */
export interface ClusterInstancesTable {
  id: string;
  started_at: Timestamp;
  seen_at_ms: number;
}

/** Requests admitted per bucket and fixed window (PostgreSQL: unlogged). */
export interface RateLimitWindowsTable {
  bucket: string;
  window_start_ms: number;
  used: number;
}

export interface ScheduledJobsTable {
  name: string;
  next_run_at: Timestamp;
  claimed_by: string | null;
}

export interface WebhookEndpointsTable {
  id: string;
  workspace_id: string;
  url: string;
  description: string | null;
  /** JSON array of event types, or ["*"]. */
  events: string;
  /** 0 or 1. */
  enabled: number;
  disabled_reason: 'manual' | 'gone' | 'failing' | null;
  /** Standard Webhooks secret (whsec_…): the sender must sign with it, so it cannot be stored hashed. */
  secret: string;
  previous_secret: string | null;
  previous_secret_expires_at: Timestamp | null;
  failing_since: Timestamp | null;
  created_by_user_id: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** The outbox: one row per event, written in the transaction of the change it reports. */
export interface WebhookEventsTable {
  id: string;
  workspace_id: string;
  type: string;
  /** The JSON body every delivery of the event sends (and signs): `{type, timestamp, data}`. */
  payload: string;
  created_at: Timestamp;
}

export interface WebhookDeliveriesTable {
  id: string;
  webhook_id: string;
  event_id: string;
  status: 'pending' | 'succeeded' | 'failed';
  attempt: number;
  next_attempt_at: Timestamp | null;
  last_attempt_at: Timestamp | null;
  response_status: number | null;
  duration_ms: number | null;
  error: string | null;
  /** A claim by one instance's worker while it attempts the delivery; a crashed claimer's lapses. */
  locked_until: Timestamp | null;
  locked_by: string | null;
  created_at: Timestamp;
}

export interface Database {
  users: UsersTable;
  workspaces: WorkspacesTable;
  workspace_members: WorkspaceMembersTable;
  invitations: InvitationsTable;
  pending_registrations: PendingRegistrationsTable;
  magic_links: MagicLinksTable;
  sessions: SessionsTable;
  api_keys: ApiKeysTable;
  agents: AgentsTable;
  audit_logs: AuditLogsTable;
  cluster_state: ClusterStateTable;
  key_invalidations: KeyInvalidationsTable;
  cluster_instances: ClusterInstancesTable;
  rate_limit_windows: RateLimitWindowsTable;
  scheduled_jobs: ScheduledJobsTable;
  webhook_endpoints: WebhookEndpointsTable;
  webhook_events: WebhookEventsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  api_key_usage: ApiKeyUsageTable;
}
