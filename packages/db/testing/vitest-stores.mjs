// @ts-check
// The vitest projects a package's suite runs as: `sqlite` always, `postgres` against a throwaway
// cluster when the machine has PostgreSQL's binaries. Under CI=true the PostgreSQL run is
// mandatory; elsewhere its absence is said loudly, with how to install them.
import { fileURLToPath } from 'node:url';
import { findPostgresBin, postgresInstallHint } from './postgres-cluster.mjs';

const here = (/** @type {string} */ p) => fileURLToPath(new URL(p, import.meta.url));

export function storeProjects() {
  const sqlite = { extends: true, test: { name: 'sqlite' } };
  if (process.env.PC_TEST_STORES === 'sqlite') return [sqlite];
  if (!findPostgresBin()) {
    if (process.env.CI === 'true') {
      throw new Error(`CI=true needs the PostgreSQL test run, but no PostgreSQL binaries were found. ${postgresInstallHint}`);
    }
    const line = '!'.repeat(100);
    console.warn(`\n${line}\n!! SKIPPED: the PostgreSQL half of this suite (no initdb/pg_ctl found). Only SQLite was tested.\n!! ${postgresInstallHint}\n${line}\n`);
    return [sqlite];
  }
  const postgres = {
    extends: true,
    test: {
      name: 'postgres',
      globalSetup: [here('../src/testing/global-setup-postgres.ts')],
      setupFiles: [here('../src/testing/setup-postgres.ts')],
    },
  };
  return [sqlite, postgres];
}
