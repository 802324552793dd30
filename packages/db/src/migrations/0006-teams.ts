import type { Kysely } from 'kysely';

// Frozen: migrations never import application code and never change once released.
//
// Teams: invitations to a workspace (a mailed link, stored hashed, one open per address and
// workspace), and the workspace a user last worked in, where the next sign-in lands.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('invitations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('invited_by_user_id', 'text', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('invitations_workspace_email_unique', ['workspace_id', 'email'])
    .execute();
  await db.schema.alterTable('users').addColumn('last_workspace_id', 'text', (c) => c.references('workspaces.id').onDelete('set null')).execute();
  await db.schema.createIndex('sessions_workspace_user_idx').on('sessions').columns(['workspace_id', 'user_id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('sessions_workspace_user_idx').execute();
  await db.schema.alterTable('users').dropColumn('last_workspace_id').execute();
  await db.schema.dropTable('invitations').execute();
}
