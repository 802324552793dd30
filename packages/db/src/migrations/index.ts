import type { Migration, MigrationProvider } from 'kysely';
import * as m0001 from './0001-initial.js';

// A static list: bundlers cannot lose a migration that is imported by name.
const migrations: Record<string, Migration> = {
  '0001-initial': m0001,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};
