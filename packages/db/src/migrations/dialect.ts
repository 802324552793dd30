import { type Kysely, PostgresAdapter } from 'kysely';

/**
 * Migrations are shared by both stores; the few statements that differ ask this. Frozen with the
 * migrations that use it: it never imports application code.
 */
export const isPostgres = (db: Kysely<any>): boolean => db.getExecutor().adapter instanceof PostgresAdapter;
