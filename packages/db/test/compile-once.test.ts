import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type DbHandle, compileOnce, createTestDb } from '../src/index.js';

let t: DbHandle;
beforeEach(async () => {
  t = await createTestDb();
  const at = '2026-01-01T00:00:00.000Z';
  await t.db.insertInto('workspaces').values([{ id: 'ws_1', name: 'one', created_at: at }, { id: 'ws_2', name: 'two', created_at: at }]).execute();
  await t.db
    .insertInto('agents')
    .values([
      { id: 'agt_a', workspace_id: 'ws_1', name: 'a', label: null, created_at: at, last_seen_at: null, last_seen_ip: null, version: null, reported_online: 0 },
      { id: 'agt_b', workspace_id: 'ws_2', name: 'b', label: 'x', created_at: at, last_seen_at: null, last_seen_ip: null, version: null, reported_online: 0 },
      { id: 'agt_c', workspace_id: 'ws_2', name: 'c', label: 'y', created_at: at, last_seen_at: null, last_seen_ip: null, version: null, reported_online: 0 },
    ])
    .execute();
});
afterEach(async () => t.close());

describe('compileOnce', () => {
  it('runs the compiled query with each call’s arguments, keeping constant parameters', async () => {
    const byWorkspaceAndLabel = compileOnce((workspaceId: string, notName: string) =>
      t.db.selectFrom('agents').select('id').where('workspace_id', '=', workspaceId).where('name', '!=', notName).where('label', 'is not', null).orderBy('id'),
    );
    const ids = async (w: string, n: string) => (await t.db.executeQuery(byWorkspaceAndLabel(w, n))).rows.map((r) => r.id);
    expect(await ids('ws_2', 'nobody')).toEqual(['agt_b', 'agt_c']);
    expect(await ids('ws_2', 'b')).toEqual(['agt_c']);
    expect(await ids('ws_1', 'nobody')).toEqual([]);
  });

  it('keeps literal parameters that are not arguments', async () => {
    const named = compileOnce((workspaceId: string) => t.db.selectFrom('agents').select('id').where('workspace_id', '=', workspaceId).where('name', '=', 'c'));
    expect((await t.db.executeQuery(named('ws_2'))).rows).toEqual([{ id: 'agt_c' }]);
  });

  it('refuses an argument that is not bound as a parameter', () => {
    expect(() => compileOnce((_unused: string) => t.db.selectFrom('agents').select('id'))).toThrow(/every argument/);
  });

  it('works inside a transaction, and re-runs cached statements after a schema change', async () => {
    const count = compileOnce((workspaceId: string) => t.db.selectFrom('agents').select((eb) => eb.fn.countAll<number>().as('n')).where('workspace_id', '=', workspaceId));
    await t.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('agents').where('id', '=', 'agt_b').execute();
      expect((await trx.executeQuery(count('ws_2'))).rows[0]!.n).toBe(1);
    });
    await t.db.schema.createIndex('agents_name_tmp').on('agents').column('name').execute();
    expect((await t.db.executeQuery(count('ws_2'))).rows[0]!.n).toBe(1);
  });
});
