import { KEY_EXPIRING_NOTICE_DAYS, KEY_EXPIRING_SOON_NOTICE_DAYS } from '@pc/contract';
import { workspaceOwners } from '../auth/accounts.js';
import type { MailDelivery } from '../mail/mail-delivery.js';
import { keyExpiringMail } from '../mail/templates.js';
import { type Clock, DAY_MS, HOUR_MS, iso } from '../shared/runtime.js';
import { type Store, type Trx, afterCommit } from '../store/store.js';
import type { WebhookOutbox } from '../webhooks/webhook-outbox.js';

const BATCH = 500;
/** How often the instance that holds the job looks for keys about to expire or just expired. */
export const EXPIRY_NOTICE_CHECK_MS = 60_000;

/** "in 6 days", "in 23 hours": how far off `expiresAt` is, as the mail's subject says it. */
function inWords(expiresAtMs: number, nowMs: number): string {
  const hours = Math.max(1, Math.round((expiresAtMs - nowMs) / HOUR_MS));
  if (hours < 36) return `in ${hours} hour${hours === 1 ? '' : 's'}`;
  const days = Math.round(hours / 24);
  return `in ${days} days`;
}

type Stage = { column: 'expiring_noticed_at' | 'expiring_soon_noticed_at'; days: number };
/** The day-ahead notice runs first: a key that first shows up within a day gets that one, not both. */
const STAGES: Stage[] = [
  { column: 'expiring_soon_noticed_at', days: KEY_EXPIRING_SOON_NOTICE_DAYS },
  { column: 'expiring_noticed_at', days: KEY_EXPIRING_NOTICE_DAYS },
];

/**
 * Before a key's `expiresAt`: a week ahead and a day ahead, a mail to the workspace's owners and an
 * `api_key.expiring` event, once each; when it passes, `api_key.expired`, once. The mark and the
 * event are written in one transaction (the mail follows the commit). Revoked keys get none, and a
 * key rolled away (its successor is the key in use) gets no expiring notice.
 */
export function createKeyExpiryNotices(deps: { store: Store; clock: Clock; outbox: WebhookOutbox; mail: MailDelivery; publicUrl: string }) {
  const { store, clock, outbox } = deps;

  async function tellOwners(trx: Trx, k: { id: string; workspace_id: string; name: string; prefix: string; expires_at: string | null }, nowMs: number): Promise<void> {
    const expiresAt = k.expires_at!;
    const when = inWords(Date.parse(expiresAt), nowMs);
    for (const o of await workspaceOwners(trx, k.workspace_id)) {
      const message = keyExpiringMail(o.email, o.workspaceName, { name: k.name, prefix: k.prefix, expiresAt }, when, `${deps.publicUrl}/keys/${k.id}`);
      afterCommit(trx, () => deps.mail.send(message, null));
    }
  }

  async function expiring(stage: Stage, now: Date): Promise<number> {
    const nowIso = iso(now);
    const horizonIso = iso(new Date(now.getTime() + stage.days * DAY_MS));
    return store.transaction(async (trx) => {
      const rows = await trx
        .updateTable('api_keys')
        // The day-ahead notice also stands for the week-ahead one, which would say less, later.
        .set(stage.column === 'expiring_soon_noticed_at' ? { expiring_soon_noticed_at: nowIso, expiring_noticed_at: nowIso } : { expiring_noticed_at: nowIso })
        .where(stage.column, 'is', null)
        .where('id', 'in', (eb) =>
          eb
            .selectFrom('api_keys')
            .select('id')
            .where('expired_noticed_at', 'is', null)
            .where('expires_at', '>', nowIso)
            .where('expires_at', '<=', horizonIso)
            .where(stage.column, 'is', null)
            .where('revoked_at', 'is', null)
            .where('rolled_to_id', 'is', null)
            .limit(BATCH),
        )
        .returning(['id', 'workspace_id', 'name', 'prefix', 'expires_at'])
        .execute();
      for (const k of rows) {
        await outbox.emit(trx, k.workspace_id, 'api_key.expiring', { id: k.id, name: k.name, prefix: k.prefix, expiresAt: k.expires_at, noticeDays: stage.days });
        await tellOwners(trx, k, now.getTime());
      }
      return rows.length;
    });
  }

  async function expired(nowIso: string): Promise<number> {
    return store.transaction(async (trx) => {
      const rows = await trx
        .updateTable('api_keys')
        .set({ expired_noticed_at: nowIso })
        .where('expired_noticed_at', 'is', null)
        .where('id', 'in', (eb) =>
          eb.selectFrom('api_keys').select('id').where('expires_at', 'is not', null).where('expired_noticed_at', 'is', null).where('expires_at', '<=', nowIso).where('revoked_at', 'is', null).limit(BATCH),
        )
        .returning(['id', 'workspace_id', 'name', 'prefix', 'expires_at', 'rolled_to_id'])
        .execute();
      for (const k of rows) await outbox.emit(trx, k.workspace_id, 'api_key.expired', { id: k.id, name: k.name, prefix: k.prefix, expiresAt: k.expires_at, rolledToId: k.rolled_to_id });
      return rows.length;
    });
  }

  return async function notify(): Promise<void> {
    const now = clock.now();
    while ((await expired(iso(now))) === BATCH);
    for (const stage of STAGES) while ((await expiring(stage, now)) === BATCH);
  };
}
