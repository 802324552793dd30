import { expiresSoon, relativeTime } from '../../lib/format.js';
import { AlertIcon } from '../../lib/icons.js';
import { Badge, RelativeTime } from '../../lib/ui.js';
import { HOUR_MS } from '../usage/usage-outcomes.js';

interface KeyLike {
  isActive: boolean;
  expiresAt: string | null;
  revokedAt?: string | null;
  rolledToId?: string | null;
}

export type KeyState = 'active' | 'expiring' | 'rolled' | 'expired' | 'revoked';

export function keyState(k: KeyLike, now: number = Date.now()): KeyState {
  const expired = k.expiresAt !== null && new Date(k.expiresAt).getTime() <= now;
  if (!k.isActive) return expired && !k.revokedAt ? 'expired' : 'revoked';
  if (k.rolledToId) return 'rolled';
  if (expiresSoon(k.expiresAt, now)) return 'expiring';
  return 'active';
}

export function KeyStatusBadge({ apiKey }: { apiKey: KeyLike }) {
  const state = keyState(apiKey);
  switch (state) {
    case 'active':
      return <Badge tone="success">Active</Badge>;
    case 'expiring':
      return <Badge tone="warning">Expires {relativeTime(apiKey.expiresAt!)}</Badge>;
    case 'rolled':
      return <Badge tone="warning">Rolled · ends {relativeTime(apiKey.expiresAt ?? new Date().toISOString())}</Badge>;
    case 'expired':
      return <Badge tone="muted">Expired</Badge>;
    case 'revoked':
      return <Badge tone="danger">Revoked</Badge>;
  }
}

/**
 * When a key expires. Only a key still in service warns: a rolled key ends with its grace period
 * (its badge says so) and a revoked one no longer expires at all.
 */
export function Expiry({ apiKey }: { apiKey: KeyLike }) {
  const state = keyState(apiKey);
  if (state === 'revoked') return <span className="muted">—</span>;
  if (apiKey.expiresAt === null) return <span className="muted">Never</span>;
  if (state !== 'expiring') return <RelativeTime iso={apiKey.expiresAt} />;
  return (
    <span className="text-warning" data-testid="expiry-warning">
      <span className="warn-icon">
        <AlertIcon />
      </span>
      <RelativeTime iso={apiKey.expiresAt} />
    </span>
  );
}

/**
 * Beside an old key in its grace period: "Still called" if it was used in the last hour (move its
 * caller to the new key first), else a quiet hint that it can be revoked.
 */
export function RolledKeyUse({ lastUsedAt, now = Date.now() }: { lastUsedAt: string | null; now?: number }) {
  if (lastUsedAt !== null && now - Date.parse(lastUsedAt) < HOUR_MS) {
    const why = `Used ${relativeTime(lastUsedAt, now)} although it was rolled: move its caller to the new key before the grace period ends.`;
    return (
      <span className="badge badge-danger" title={why} data-testid="rolled-key-still-called">
        Still called<span className="visually-hidden">. {why}</span>
      </span>
    );
  }
  const why = 'Not used in the last hour: it can be revoked.';
  return (
    <span className="muted small" title={why} data-testid="rolled-key-quiet">
      Quiet<span className="visually-hidden">. {why}</span>
    </span>
  );
}

/** `pc_live_Ab3d` → `pc_live_Ab3d••••` so nobody mistakes it for a whole key. */
export function KeyPrefix({ prefix }: { prefix: string }) {
  return (
    <code className="mono key-prefix" title="The key's first 12 characters; the rest is never stored">
      {prefix}
      <span aria-hidden="true" className="muted">
        ••••
      </span>
    </code>
  );
}
