import type { Migration, MigrationProvider } from 'kysely';
import * as m0001 from './0001-initial.js';
import * as m0002 from './0002-scale-out.js';
import * as m0003 from './0003-audit-retention.js';
import * as m0004 from './0004-webhooks-presence.js';
import * as m0005 from './0005-usage-history.js';
import * as m0006 from './0006-teams.js';

// A static list: bundlers cannot lose a migration that is imported by name.
const migrations: Record<string, Migration> = {
  '0001-initial': m0001,
  '0002-scale-out': m0002,
  '0003-audit-retention': m0003,
  '0004-webhooks-presence': m0004,
  '0005-usage-history': m0005,
  '0006-teams': m0006,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};
