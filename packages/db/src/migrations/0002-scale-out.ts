import { type Kysely, sql } from 'kysely';
import { isPostgres } from './dialect.js';

// Frozen: migrations never import application code and never change once released.
//
// What several instances on one database need: uniqueness the database enforces, an ordered log of
// key changes (cache invalidation), a registry of live instances, shared rate-limit counters and a
// claim per scheduled job.
export async function up(db: Kysely<any>): Promise<void> {
  const postgres = isPostgres(db);
  // Counters and liveness are rebuilt within seconds, so on PostgreSQL they skip the WAL.
  const unlogged = (t: ReturnType<typeof db.schema.createTable>) => (postgres ? t.modifyFront(sql`unlogged`) : t);

  // An active key holds its name until it is revoked or rolled, or, once expired, until a new key
  // takes the name (then `name_released_at` is set: expiry itself cannot be part of an index).
  await db.schema.alterTable('api_keys').addColumn('name_released_at', 'text').execute();
  const now = new Date().toISOString();
  await db
    .updateTable('api_keys')
    .set({ name_released_at: now })
    .where('revoked_at', 'is', null)
    .where('rolled_to_id', 'is', null)
    .where('expires_at', '<=', now)
    .execute();
  // Names taken twice by a race of the old check-then-insert: the newest key keeps the name.
  const holders = await db
    .selectFrom('api_keys')
    .select(['id', 'workspace_id', 'name', 'created_at'])
    .where('revoked_at', 'is', null)
    .where('rolled_to_id', 'is', null)
    .where('name_released_at', 'is', null)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
  const seen = new Set<string>();
  for (const k of holders) {
    const name = `${k.workspace_id}\u0000${k.name}`;
    if (seen.has(name)) await db.updateTable('api_keys').set({ name_released_at: now }).where('id', '=', k.id).execute();
    seen.add(name);
  }
  await db.schema
    .createIndex('api_keys_active_name_uq')
    .on('api_keys')
    .columns(['workspace_id', 'name'])
    .unique()
    .where(sql.ref('revoked_at'), 'is', null)
    .where(sql.ref('rolled_to_id'), 'is', null)
    .where(sql.ref('name_released_at'), 'is', null)
    .execute();

  // Key changes in commit order: one row lock on `cluster_state` hands out `key_seq`, so a reader
  // that has seen seq n has seen every change up to n.
  await db.schema
    .createTable('cluster_state')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('key_seq', 'bigint', (c) => c.notNull())
    .execute();
  await db.insertInto('cluster_state').values({ id: 1, key_seq: 0 }).execute();
  await db.schema
    .createTable('key_invalidations')
    .addColumn('seq', 'bigint', (c) => c.primaryKey())
    .addColumn('key_hashes', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  // Instances that are up, by the database's clock (epoch ms), so clock skew between hosts cannot
  // make a live instance look dead.
  await unlogged(
    db.schema
      .createTable('cluster_instances')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('started_at', 'text', (c) => c.notNull())
      .addColumn('seen_at_ms', 'bigint', (c) => c.notNull()),
  ).execute();

  // Requests admitted per bucket (an API key, a client IP, an e-mail) and fixed window.
  await unlogged(
    db.schema
      .createTable('rate_limit_windows')
      .addColumn('bucket', 'text', (c) => c.notNull())
      .addColumn('window_start_ms', 'bigint', (c) => c.notNull())
      .addColumn('used', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('rate_limit_windows_pk', ['bucket', 'window_start_ms']),
  ).execute();

  // One row per periodic job: the instance whose conditional update moves `next_run_at` runs it.
  await db.schema
    .createTable('scheduled_jobs')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('next_run_at', 'text', (c) => c.notNull())
    .addColumn('claimed_by', 'text')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['scheduled_jobs', 'rate_limit_windows', 'cluster_instances', 'key_invalidations', 'cluster_state']) {
    await db.schema.dropTable(t).execute();
  }
  await db.schema.dropIndex('api_keys_active_name_uq').execute();
  await db.schema.alterTable('api_keys').dropColumn('name_released_at').execute();
}
