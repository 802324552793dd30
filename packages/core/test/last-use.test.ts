import { describe, expect, it } from 'vitest';
import { paddedRows } from '../src/shared/last-use.js';
import { afterAll } from 'vitest';
import { closeHarnesses, createHarness, meta, signUp } from './helpers.js';

afterAll(closeHarnesses);

describe('last-use statements', () => {
  it('have a power of two of rows, 16 to 1,024: seven texts a table, whatever the batch sizes', () => {
    const sizes = new Set<number>();
    for (let rows = 1; rows <= 1024; rows++) {
      const n = paddedRows(rows);
      expect(n).toBeGreaterThanOrEqual(rows);
      expect(n).toBeLessThan(Math.max(32, 2 * rows));
      sizes.add(n);
    }
    expect([...sizes].sort((a, b) => a - b)).toEqual([16, 32, 64, 128, 256, 512, 1024]);
  });

  it('write every value of a batch whose last chunk is padded, in one statement, and never backwards', async () => {
    // Usage history writes statements of its own in the same flush (usage-history.test.ts counts them).
    const h = await createHarness({ core: { usageHistory: false } });
    const alice = await signUp(h, 'pad@example.com', 'pad');
    const keys = [];
    for (let i = 0; i < 37; i++) keys.push(await h.core.apiKeys.create(alice.principal, { name: `k${i}` }, meta()));
    await h.core.flush(); // the session's own last use, written apart
    for (const [i, k] of keys.entries()) await h.core.apiKeys.authenticate(k.key, meta(`10.0.0.${i + 1}`));
    h.queries.reset();
    await h.core.flush();
    // 37 values: one statement of 64 rows (padded with copies of the last), one write.
    expect(h.queries.writes).toBe(1);
    for (const [i, k] of keys.entries()) {
      const row = await h.db.selectFrom('api_keys').select(['last_used_at', 'last_used_ip']).where('id', '=', k.id).executeTakeFirstOrThrow();
      expect(row.last_used_ip).toBe(`10.0.0.${i + 1}`);
      expect(row.last_used_at).toBe(h.clock.now().toISOString());
    }
  });
});
