import { type ApiKeysTable, type Database, compileOnce } from '@pc/db';
import type { ExpressionBuilder } from 'kysely';
import type { Store, Trx } from '../store/store.js';

export type KeyRow = Pick<
  ApiKeysTable,
  'id' | 'name' | 'prefix' | 'allowed_ip_ranges' | 'created_at' | 'created_by_user_id' | 'last_used_at' | 'last_used_ip' | 'revoked_at' | 'expires_at' | 'rolled_to_id'
>;

const COLUMNS = ['id', 'name', 'prefix', 'allowed_ip_ranges', 'created_at', 'created_by_user_id', 'last_used_at', 'last_used_ip', 'revoked_at', 'expires_at', 'rolled_to_id'] as const;

/** A key is active at `nowIso` when it is not revoked and not expired (in memory; `activeAt` is the same in SQL). */
export const isActiveAt = (r: Pick<ApiKeysTable, 'revoked_at' | 'expires_at'>, nowIso: string) => r.revoked_at === null && (r.expires_at === null || r.expires_at > nowIso);

/** Keys active at `nowIso`: not revoked, not expired. */
const activeAt = (nowIso: string) => (eb: ExpressionBuilder<Database, 'api_keys'>) =>
  eb.and([eb('revoked_at', 'is', null), eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', nowIso)])]);

/** The SQL of API keys; services decide, this only reads and writes. */
export function createApiKeysRepository(store: Store) {
  const { db } = store;

  // The hot path's one query (on a cache miss): compiled once, not per request.
  const byHash = compileOnce((hash: string) =>
    db.selectFrom('api_keys').select(['id', 'workspace_id', 'revoked_at', 'expires_at', 'allowed_ip_ranges', 'expiry_recorded_at']).where('key_hash', '=', hash),
  );

  return {
    async findByHash(hash: string) {
      return (await db.executeQuery(byHash(hash))).rows[0];
    },

    /** The workspace a key belongs to, for the operator, who names a key by id alone. */
    async workspaceOf(id: string): Promise<string | undefined> {
      return (await db.selectFrom('api_keys').select('workspace_id').where('id', '=', id).executeTakeFirst())?.workspace_id;
    },

    /** Who created a key: their e-mail, while the account exists. Inside a transaction, pass it. */
    async creatorOf(r: KeyRow, q: Store['db'] | Trx = db): Promise<{ userId: string; email: string } | null> {
      if (r.created_by_user_id === null) return null;
      const u = await q.selectFrom('users').select('email').where('id', '=', r.created_by_user_id).executeTakeFirst();
      return u ? { userId: r.created_by_user_id, email: u.email } : null;
    },

    async find(workspaceId: string, id: string): Promise<KeyRow | undefined> {
      return db.selectFrom('api_keys').select(COLUMNS).where('id', '=', id).where('workspace_id', '=', workspaceId).executeTakeFirst();
    },

    /** The row, locked until the transaction ends: the caller's checks hold when it writes. */
    async findForUpdate(trx: Trx, workspaceId: string, id: string): Promise<(KeyRow & { key_hash: string }) | undefined> {
      return store
        .forUpdate(trx.selectFrom('api_keys').select([...COLUMNS, 'key_hash']).where('id', '=', id).where('workspace_id', '=', workspaceId))
        .executeTakeFirst();
    },

    async list(workspaceId: string, activeOnlyAt: string | null): Promise<KeyRow[]> {
      let q = db.selectFrom('api_keys').select(COLUMNS).where('workspace_id', '=', workspaceId);
      if (activeOnlyAt !== null) q = q.where(activeAt(activeOnlyAt));
      return q.orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
    },

    /** Name, prefix and whether active at `nowIso`, for the workspace's keys among `ids`. */
    async describe(workspaceId: string, ids: string[], nowIso: string): Promise<Array<{ id: string; name: string; prefix: string; isActive: boolean }>> {
      if (ids.length === 0) return [];
      const rows = await db.selectFrom('api_keys').select(['id', 'name', 'prefix', 'revoked_at', 'expires_at']).where('workspace_id', '=', workspaceId).where('id', 'in', ids).execute();
      return rows.map((r) => ({ id: r.id, name: r.name, prefix: r.prefix, isActive: isActiveAt(r, nowIso) }));
    },

    /** How many keys each workspace has active at `nowIso` (workspaces with none are absent). */
    async activeCounts(nowIso: string): Promise<Map<string, number>> {
      const rows = await db
        .selectFrom('api_keys')
        .select((eb) => ['workspace_id', eb.fn.countAll<number>().as('n')])
        .where(activeAt(nowIso))
        .groupBy('workspace_id')
        .execute();
      return new Map(rows.map((r) => [r.workspace_id, Number(r.n)]));
    },

    /** May throw the unique violation `api_keys(workspace_id, name)`: an active key holds the name. */
    async insert(trx: Trx, row: Omit<ApiKeysTable, 'last_used_at' | 'last_used_ip' | 'revoked_at' | 'rolled_to_id' | 'expiry_recorded_at' | 'name_released_at' | 'expiring_noticed_at' | 'expired_noticed_at' | 'expiring_soon_noticed_at'>): Promise<void> {
      await trx
        .insertInto('api_keys')
        .values({ ...row, last_used_at: null, last_used_ip: null, revoked_at: null, rolled_to_id: null, expiry_recorded_at: null, name_released_at: null })
        .execute();
    },

    /** An expired key that still holds `name` gives it up, so a new key may take it. */
    async releaseExpiredName(trx: Trx, workspaceId: string, name: string, nowIso: string): Promise<void> {
      await trx
        .updateTable('api_keys')
        .set({ name_released_at: nowIso })
        .where('workspace_id', '=', workspaceId)
        .where('name', '=', name)
        .where('revoked_at', 'is', null)
        .where('rolled_to_id', 'is', null)
        .where('name_released_at', 'is', null)
        .where('expires_at', '<=', nowIso)
        .execute();
    },

    async update(trx: Trx, id: string, set: Partial<Pick<ApiKeysTable, 'allowed_ip_ranges' | 'revoked_at' | 'expires_at' | 'rolled_to_id'>>): Promise<void> {
      await trx.updateTable('api_keys').set(set).where('id', '=', id).execute();
    },

    /** The claim that makes `api_key.expired` audited once, by whichever instance sees it first. */
    async claimExpiryRecord(trx: Trx, id: string, nowIso: string): Promise<boolean> {
      const res = await trx.updateTable('api_keys').set({ expiry_recorded_at: nowIso }).where('id', '=', id).where('expiry_recorded_at', 'is', null).executeTakeFirst();
      return res.numUpdatedRows === 1n;
    },
  };
}

export type ApiKeysRepository = ReturnType<typeof createApiKeysRepository>;
