export { compileOnce, createDb, createTestDb, migrateToLatest, sqlitePathFromUrl, type Db, type DbHandle } from './create-db.js';
export type * from './schema.js';
