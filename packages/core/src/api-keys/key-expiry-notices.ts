import { KEY_EXPIRING_NOTICE_DAYS } from '@pc/contract';
import { type Clock, iso } from '../shared/runtime.js';
import type { Store } from '../store/store.js';
import type { WebhookOutbox } from '../webhooks/webhook-outbox.js';

const DAY_MS = 24 * 3600_000;
const BATCH = 500;
/** How often the instance that holds the job looks for keys about to expire or just expired. */
export const EXPIRY_NOTICE_CHECK_MS = 60_000;

/**
 * `api_key.expiring` a week before a key's `expiresAt` and `api_key.expired` once it passes, each
 * once per key: the mark and the event are written in one transaction. Revoked keys get neither,
 * and a key rolled away (its successor is the key in use) gets no `expiring`.
 */
export function createKeyExpiryNotices(deps: { store: Store; clock: Clock; outbox: WebhookOutbox }) {
  const { store, clock, outbox } = deps;

  async function expiring(nowIso: string, horizonIso: string): Promise<number> {
    return store.transaction(async (trx) => {
      const rows = await trx
        .updateTable('api_keys')
        .set({ expiring_noticed_at: nowIso })
        .where('expiring_noticed_at', 'is', null)
        .where('id', 'in', (eb) =>
          eb
            .selectFrom('api_keys')
            .select('id')
            .where('expired_noticed_at', 'is', null)
            .where('expires_at', '>', nowIso)
            .where('expires_at', '<=', horizonIso)
            .where('expiring_noticed_at', 'is', null)
            .where('revoked_at', 'is', null)
            .where('rolled_to_id', 'is', null)
            .limit(BATCH),
        )
        .returning(['id', 'workspace_id', 'name', 'prefix', 'expires_at'])
        .execute();
      for (const k of rows) await outbox.emit(trx, k.workspace_id, 'api_key.expiring', { id: k.id, name: k.name, prefix: k.prefix, expiresAt: k.expires_at });
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
    const nowIso = iso(now);
    const horizon = iso(new Date(now.getTime() + KEY_EXPIRING_NOTICE_DAYS * DAY_MS));
    while ((await expired(nowIso)) === BATCH);
    while ((await expiring(nowIso, horizon)) === BATCH);
  };
}
