// Fills a migrated database with many API keys, straight through better-sqlite3 in one transaction.
import Database from 'better-sqlite3';
import { numberedKey, sha256Hex } from './keys.mjs';

const KEYS_PER_WORKSPACE = 1000;

/**
 * Inserts `count` keys spread over `count / 1000` workspaces. Each key is well-formed (its checksum
 * holds) and stored as the server stores it: only its SHA-256. Returns the seconds it took.
 */
export function insertKeys(file, count, seed) {
  const started = performance.now();
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  // A throw-away build of a cache file: no fsync, a large page cache for the random index inserts.
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -524288');
  const now = new Date().toISOString();
  const addWorkspace = db.prepare('INSERT INTO workspaces (id, name, created_at) VALUES (?, ?, ?)');
  const addKey = db.prepare(
    `INSERT INTO api_keys (id, workspace_id, name, key_hash, prefix, allowed_ip_ranges, created_at, created_by_user_id,
       last_used_at, last_used_ip, revoked_at, expires_at, rolled_to_id, expiry_recorded_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`,
  );
  const id = (prefix, n) => `${prefix}_seed${String(n).padStart(16, '0')}`;
  db.transaction(() => {
    for (let w = 0; w * KEYS_PER_WORKSPACE < count; w++) {
      const wsId = id('ws', w);
      addWorkspace.run(wsId, `seed-${String(w).padStart(6, '0')}`, now);
      for (let i = w * KEYS_PER_WORKSPACE; i < Math.min(count, (w + 1) * KEYS_PER_WORKSPACE); i++) {
        const key = numberedKey(seed, i);
        // Every tenth key carries ranges, so that loading them from the database is not all trivial.
        const ranges = i % 10 === 0 ? '["10.0.0.0/8","192.168.0.0/16"]' : '[]';
        addKey.run(id('key', i), wsId, `seed key ${i}`, sha256Hex(key), key.slice(0, 12), ranges, now);
      }
    }
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  return (performance.now() - started) / 1000;
}
