import type { Kysely } from 'kysely';

// Frozen: migrations never import application code and never change once released.
//
// Requests per key and hour, by outcome (written by the coalesced flush, added to on conflict), and
// the second expiry notice (a day ahead; the first, a week ahead, is `expiring_noticed_at`).
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('api_key_usage')
    .addColumn('key_id', 'text', (c) => c.notNull())
    .addColumn('hour_start', 'text', (c) => c.notNull())
    .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
    .addColumn('ok', 'integer', (c) => c.notNull())
    .addColumn('ip_not_allowed', 'integer', (c) => c.notNull())
    .addColumn('rate_limited', 'integer', (c) => c.notNull())
    .addColumn('expired', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('api_key_usage_pk', ['key_id', 'hour_start'])
    .execute();
  await db.schema.createIndex('api_key_usage_workspace_idx').on('api_key_usage').columns(['workspace_id', 'hour_start']).execute();
  await db.schema.createIndex('api_key_usage_hour_idx').on('api_key_usage').column('hour_start').execute();
  await db.schema.alterTable('api_keys').addColumn('expiring_soon_noticed_at', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('api_keys').dropColumn('expiring_soon_noticed_at').execute();
  await db.schema.dropTable('api_key_usage').execute();
}
