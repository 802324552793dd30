import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createDb, migrateToLatest } from '../create-db.js';
import type { DbHandle, Dialect } from '../store.js';

/**
 * Tests run on the store the vitest project chose: SQLite files by default, or the throwaway
 * PostgreSQL cluster whose maintenance URL the `postgres` project's setup puts here.
 */
export const testStore = (): Dialect => (process.env.PC_TEST_POSTGRES_URL ? 'postgres' : 'sqlite');

/** Migrated once per test run by the global setup; each test database is a copy of it. */
export const TEMPLATE_DATABASE = 'pc_template';

export interface TestDatabase {
  url: string;
  /** Deletes the database (the SQLite directory, or the PostgreSQL database). */
  drop(): Promise<void>;
}

async function withAdmin<T>(adminUrl: string, work: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A fresh, migrated, empty database on the test store, as a DATABASE_URL (for servers in child processes too). */
export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = process.env.PC_TEST_POSTGRES_URL;
  if (!adminUrl) {
    const dir = mkdtempSync(join(tmpdir(), 'pc-test-db-'));
    const url = `file:${join(dir, 'test.db')}`;
    const handle = createDb(url);
    await migrateToLatest(handle);
    await handle.close();
    return { url, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const name = `t_${randomBytes(8).toString('hex')}`;
  await withAdmin(adminUrl, (c) => c.query(`create database ${name} template ${TEMPLATE_DATABASE}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => withAdmin(adminUrl, (c) => c.query(`drop database if exists ${name} with (force)`)).then(() => {}),
  };
}

/** A fresh, migrated database on the test store, deleted by `close()`. */
export async function createTestDb(): Promise<DbHandle> {
  const database = await createTestDatabase();
  const handle = createDb(database.url);
  return {
    ...handle,
    close: async () => {
      await handle.close();
      await database.drop();
    },
  };
}
