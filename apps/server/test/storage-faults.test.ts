import { testStore } from '@pc/db/testing';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { type TestServer, call, createKey, signUp, startTestServer } from './harness.js';
import { expectError } from './helpers.js';

// What requests and /health say when the store cannot serve: a broken schema, a full disk.
let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('/health reads the schema for real', () => {
  it('answers 503 when a table requests need is gone, where `select 1` would still answer', async () => {
    server = await startTestServer();
    expect((await call(server, 'GET', '/health')).body).toEqual({ status: 'ok', database: 'ok' });
    await sql`alter table agents rename to agents_gone`.execute(server.handle.db);
    const res = await call(server, 'GET', '/health');
    expect(res.status).toBe(503);
    expect(res.body).toEqual({ status: 'error', database: 'error' });
  });
});

describe.runIf(testStore() === 'sqlite')('a full disk', () => {
  it('answers the contract’s 503, changes nothing, and logs a full disk as a full disk', async () => {
    const lines: string[] = [];
    const logger = { info() {}, warn() {}, error: (m: string, f?: Record<string, unknown>) => lines.push(`${m} ${JSON.stringify(f ?? {})}`) };
    server = await startTestServer({ logger });
    const { cookie } = await signUp(server, 'full@example.com', 'full-disk');
    const key = await createKey(server, cookie, 'k');
    // The database may not grow by another page: what SQLite does when the disk is full.
    const pages = Number((await sql<{ page_count: number }>`pragma page_count`.execute(server.handle.db)).rows[0]!.page_count);
    await sql.raw(`pragma max_page_count = ${pages}`).execute(server.handle.db);
    let refused = 0;
    for (let i = 0; i < 300 && refused === 0; i++) {
      const res = await call(server, 'POST', '/v1/agents', { apiKey: key.key, body: { name: `a-${i}-${'x'.repeat(40)}`, label: 'y'.repeat(50) } });
      if (res.status === 503) {
        expectError(res, 503, 'database_unavailable');
        refused++;
      } else expect(res.status).toBe(201);
    }
    expect(refused).toBe(1);
    expect(lines.some((l) => l.startsWith('the disk is full: the database cannot write; requests answer 503 until it is fixed'))).toBe(true);
    expect(lines.join('\n')).not.toContain('cannot rollback');
    // Room again: requests work, and the refused write left nothing half-done.
    await sql.raw('pragma max_page_count = 1073741823').execute(server.handle.db);
    expect((await call(server, 'POST', '/v1/agents', { apiKey: key.key, body: { name: 'after' } })).status).toBe(201);
  });
});
