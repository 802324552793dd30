import { sql } from 'kysely';
import type { TestProject } from 'vitest/node';
import { createDb, migrateToLatest } from '../create-db.js';
import { startPostgresCluster } from '../../testing/postgres-cluster.mjs';
import { TEMPLATE_DATABASE } from './test-db.js';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
  }
}

/** One throwaway cluster per test run, with a migrated template that each test database copies. */
export default async function setup(project: TestProject) {
  const cluster = await startPostgresCluster();
  const admin = createDb(cluster.url());
  try {
    await sql.raw(`create database ${TEMPLATE_DATABASE}`).execute(admin.db);
  } finally {
    await admin.close();
  }
  const template = createDb(cluster.url(TEMPLATE_DATABASE));
  await migrateToLatest(template);
  await template.close();
  project.provide('postgresUrl', cluster.url());
  return () => cluster.stop();
}
