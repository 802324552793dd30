import { type Kysely, sql } from 'kysely';

// Frozen: migrations never import application code and never change once released.
//
// Agents that report in (presence), and webhooks: endpoints, an outbox of events written in the
// transaction of the change they report, and one delivery per event and endpoint.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('agents').addColumn('last_seen_ip', 'text').execute();
  await db.schema.alterTable('agents').addColumn('version', 'text').execute();
  // 1 once `agent.online` went out and until `agent.offline` does: the events come in pairs.
  await db.schema.alterTable('agents').addColumn('reported_online', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.createIndex('agents_reported_online_idx').on('agents').column('last_seen_at').where(sql.ref('reported_online'), '=', 1).execute();

  // Expiry notices go out once: `api_key.expiring` a week ahead, `api_key.expired` when it happens.
  await db.schema.alterTable('api_keys').addColumn('expiring_noticed_at', 'text').execute();
  await db.schema.alterTable('api_keys').addColumn('expired_noticed_at', 'text').execute();
  // Keys that expired before there were notices never get one.
  await db.updateTable('api_keys').set({ expired_noticed_at: new Date().toISOString() }).where('expires_at', '<=', new Date().toISOString()).execute();
  await db.schema
    .createIndex('api_keys_expiry_notice_idx')
    .on('api_keys')
    .column('expires_at')
    .where(sql.ref('expires_at'), 'is not', null)
    .where(sql.ref('expired_noticed_at'), 'is', null)
    .execute();

  await db.schema
    .createTable('webhook_endpoints')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('events', 'text', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull())
    .addColumn('disabled_reason', 'text')
    .addColumn('secret', 'text', (c) => c.notNull())
    .addColumn('previous_secret', 'text')
    .addColumn('previous_secret_expires_at', 'text')
    .addColumn('failing_since', 'text')
    .addColumn('created_by_user_id', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('webhook_endpoints_workspace_idx').on('webhook_endpoints').columns(['workspace_id', 'created_at']).execute();

  await db.schema
    .createTable('webhook_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('webhook_events_created_idx').on('webhook_events').column('created_at').execute();

  await db.schema
    .createTable('webhook_deliveries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('webhook_id', 'text', (c) => c.notNull().references('webhook_endpoints.id').onDelete('cascade'))
    .addColumn('event_id', 'text', (c) => c.notNull().references('webhook_events.id').onDelete('cascade'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('next_attempt_at', 'text')
    .addColumn('last_attempt_at', 'text')
    .addColumn('response_status', 'integer')
    .addColumn('duration_ms', 'integer')
    .addColumn('error', 'text')
    .addColumn('locked_until', 'text')
    .addColumn('locked_by', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('webhook_deliveries_due_idx').on('webhook_deliveries').column('next_attempt_at').where(sql.ref('status'), '=', 'pending').execute();
  await db.schema.createIndex('webhook_deliveries_webhook_idx').on('webhook_deliveries').columns(['webhook_id', 'created_at', 'id']).execute();
  await db.schema.createIndex('webhook_deliveries_event_idx').on('webhook_deliveries').column('event_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('webhook_deliveries').execute();
  await db.schema.dropTable('webhook_events').execute();
  await db.schema.dropTable('webhook_endpoints').execute();
  await db.schema.dropIndex('api_keys_expiry_notice_idx').execute();
  await db.schema.alterTable('api_keys').dropColumn('expired_noticed_at').execute();
  await db.schema.alterTable('api_keys').dropColumn('expiring_noticed_at').execute();
  await db.schema.dropIndex('agents_reported_online_idx').execute();
  await db.schema.alterTable('agents').dropColumn('reported_online').execute();
  await db.schema.alterTable('agents').dropColumn('version').execute();
  await db.schema.alterTable('agents').dropColumn('last_seen_ip').execute();
}
