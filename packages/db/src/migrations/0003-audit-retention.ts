import type { Kysely } from 'kysely';

// Frozen: migrations never import application code and never change once released.
//
// The sweep deletes audit entries past their retention by age.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('audit_logs_created_idx').on('audit_logs').column('created_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('audit_logs_created_idx').execute();
}
