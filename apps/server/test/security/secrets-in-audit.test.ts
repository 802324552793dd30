import { AUDIT_ACTIONS } from '@pc/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestServer, call, manualClock, startTestServer } from '../harness.js';
import { type Secrets, exerciseEverything } from './scenario.js';
import { trpcQuery } from './support.js';

let s: TestServer;
let secrets: Secrets;
let cookie: string;
beforeAll(async () => {
  const clock = manualClock();
  s = await startTestServer({ clock, env: { RATE_LIMIT_PER_MINUTE: '3', WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' } });
  ({ secrets, cookie } = await exerciseEverything(s, clock));
});
afterAll(async () => s.close());

/** Every entry of the workspace, page by page, over REST. */
async function allEntries(): Promise<unknown[]> {
  const out: unknown[] = [];
  let cursor: string | null = null;
  do {
    const res: { status: number; body: { data: unknown[]; nextCursor: string | null } } = await call(s, 'GET', `/v1/audit-logs?limit=5${cursor ? `&cursor=${cursor}` : ''}`, { cookie });
    expect(res.status).toBe(200);
    out.push(...res.body.data);
    cursor = res.body.nextCursor;
  } while (cursor);
  return out;
}

describe('audit entries never contain a secret', () => {
  it('every action of the contract was recorded by the scenario (so the check below has something to check)', async () => {
    const actions = new Set(((await allEntries()) as Array<{ action: string }>).map((e) => e.action));
    expect([...actions].sort()).toEqual([...AUDIT_ACTIONS].sort());
  });

  it('no token, cookie, key or hash of one in any entry: REST pages, tRPC pages, and the rows at rest', async () => {
    const rest = JSON.stringify(await allEntries());
    const trpc = JSON.stringify((await trpcQuery(s, 'auditLogs.list', { limit: 100 }, { cookie })).body);
    const rows = JSON.stringify(await s.handle.db.selectFrom('audit_logs').selectAll().execute());
    for (const text of [rest, trpc, rows]) {
      expect(secrets.foundIn(text)).toEqual([]);
      expect(text).not.toMatch(/pc_live_[0-9A-Za-z]{13,}/);
    }
    // What identifies a key in the log is its id and display prefix, never more.
    expect(rest).toMatch(/"prefix":"pc_live_[0-9A-Za-z]{4}"/);
  });
});
