export { compileOnce } from './compile-once.js';
export { createDb, migrateToLatest, migrationState } from './create-db.js';
export { type StoreFailure, isRetryableConflict, isStoreUnavailable, storeFailure, uniqueViolation } from './errors.js';
export { POSTGRES_TIMEOUTS, isPostgresUrl, redactUrl } from './postgres.js';
export type { Notifications } from './postgres-listener.js';
export { acquireServerLock, checkSqliteIntegrity, sqlitePathFromUrl } from './sqlite.js';
export type { Db, DbHandle, DbOptions, Dialect } from './store.js';
export type * from './schema.js';
export { createTestDb } from './testing/test-db.js';
