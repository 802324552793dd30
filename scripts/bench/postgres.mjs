// The bench's PostgreSQL: a throwaway cluster (packages/db/testing/postgres-cluster.mjs) with WAL
// durability as in production, its databases, and what is measured from outside the servers: WAL
// positions, pg_stat_wal, the WAL records themselves (pg_walinspect), and the cluster's CPU time.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { startPostgresCluster } from '../../packages/db/testing/postgres-cluster.mjs';

/** Every commit waits for its WAL to reach the disk, and pages are logged whole after a checkpoint. */
const DURABLE = { fsync: 'on', synchronous_commit: 'on', full_page_writes: 'on' };

/**
 * A process's CPU time (user + system) and, in `exitedMs`, that of its children that ended (and
 * were waited for); /proc counts in clock ticks of 10 ms.
 */
function cpuMsOfPid(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(fields[1]), ms: (Number(fields[11]) + Number(fields[12])) * 10, exitedMs: (Number(fields[13]) + Number(fields[14])) * 10 };
  } catch {
    return null;
  }
}

/** A WAL position (`16/B374D848`) as a number, to compare. */
export function lsnValue(lsn) {
  const [hi, lo] = lsn.split('/');
  return (BigInt(`0x${hi}`) << 32n) + BigInt(`0x${lo}`);
}

export async function startBenchPostgres() {
  const cluster = await startPostgresCluster({
    // wal_keep_size only keeps old WAL files around (for pg_walinspect to read at the end); it does
    // not change what is written or when it is flushed.
    settings: { ...DURABLE, wal_keep_size: '1GB' },
  });
  const admin = new pg.Client({ connectionString: cluster.url('postgres') });
  try {
    await admin.connect();
    const walinspect = await admin.query('create extension if not exists pg_walinspect').then(
      () => true,
      () => false,
    );
    const postmaster = Number(readFileSync(join(cluster.dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
    const one = async (text, values) => (await admin.query(text, values)).rows[0];

    return {
      cluster,
      walinspect,
      url: (db) => cluster.url(db),
      async createDatabase(name, template) {
        await admin.query(`create database ${name}${template ? ` template ${template}` : ''}`);
      },
      /** Where the WAL is now (insert position) and the server's WAL counters. */
      async walNow() {
        const r = await one('select pg_current_wal_lsn()::text as lsn, wal_records::text as records, wal_bytes::text as bytes, wal_fpi::text as fpi from pg_stat_wal');
        return { lsn: r.lsn, records: Number(r.records), bytes: Number(r.bytes), fpi: Number(r.fpi) };
      },
      async bytesBetween(from, to) {
        return Number((await one('select pg_wal_lsn_diff($2, $1)::text as d', [from, to])).d);
      },
      /**
       * CPU time used so far by the postmaster and every process it started (backends, walwriter,
       * checkpointer…), those that ended included: a pool closes idle connections, and their
       * backends' time then moves to the postmaster's account of ended children.
       */
      cpuMs() {
        const main = cpuMsOfPid(postmaster);
        let total = (main?.ms ?? 0) + (main?.exitedMs ?? 0);
        for (const entry of readdirSync('/proc')) {
          if (!/^\d+$/.test(entry)) continue;
          const p = cpuMsOfPid(entry);
          if (p && p.ppid === postmaster) total += p.ms;
        }
        return total;
      },
      /**
       * The WAL records between two positions (pg_walinspect), each with its transaction and, for
       * records that change a page, the database and table (an index counts as its table).
       */
      async records(from, to, databases) {
        if (!walinspect) return null;
        const tables = new Map();
        for (const db of databases) {
          const c = new pg.Client({ connectionString: cluster.url(db) });
          await c.connect();
          try {
            const { rows } = await c.query(
              `select (select oid from pg_database where datname = current_database())::text as db, pg_relation_filenode(c.oid)::text as node,
                      coalesce(t.relname, c.relname) as name
                 from pg_class c left join pg_index i on i.indexrelid = c.oid left join pg_class t on t.oid = i.indrelid
                where pg_relation_filenode(c.oid) is not null`,
            );
            for (const r of rows) tables.set(`${r.db}/${r.node}`, { db, table: r.name });
          } finally {
            await c.end();
          }
        }
        // Not past what is flushed: pg_walinspect reads WAL files.
        const { rows } = await admin.query(
          `select start_lsn::text as lsn, xid::text as xid, resource_manager as rmgr, record_type as type, record_length::int as len, block_ref
             from pg_get_wal_records_info($1, least($2::pg_lsn, pg_current_wal_flush_lsn()))`,
          [from, to],
        );
        return rows.map((r) => {
          const m = /rel \d+\/(\d+)\/(\d+)/.exec(r.block_ref ?? '');
          const where = m ? (tables.get(`${m[1]}/${m[2]}`) ?? { db: `oid ${m[1]}`, table: `relfilenode ${m[2]}` }) : null;
          return { lsn: lsnValue(r.lsn), xid: r.xid, rmgr: r.rmgr, type: r.type, len: r.len, db: where?.db ?? null, table: where?.table ?? null };
        });
      },
      /** Stops the server and deletes its files; safe to call twice. */
      async stop() {
        await admin.end().catch(() => {});
        await cluster.stop();
      },
    };
  } catch (err) {
    await admin.end().catch(() => {});
    await cluster.stop();
    throw err;
  }
}

/**
 * Sorts WAL records by what wrote them. A transaction is named by the tables its records change;
 * a commit record carries no page, so it goes with its transaction. A transaction that changed
 * only UNLOGGED tables (heartbeats in cluster_instances, rate-limit leases) writes nothing but its
 * commit record, which is not waited for (no fsync): those are counted apart. Records outside any
 * transaction (checkpoints, snapshots of running transactions, page pruning) are "background".
 */
export function classifyWal(records) {
  const byXid = new Map();
  for (const r of records) {
    if (r.xid === '0' || r.table === null) continue;
    let t = byXid.get(r.xid);
    if (!t) byXid.set(r.xid, (t = new Set()));
    t.add(`${r.db}.${r.table}`);
  }
  const groups = new Map();
  const add = (key, r, xid) => {
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { records: 0, bytes: 0, xids: new Set() }));
    g.records++;
    g.bytes += r.len;
    if (xid) g.xids.add(xid);
  };
  for (const r of records) {
    if (r.xid === '0') add(r.table ? `background:${r.db}.${r.table}` : 'background', r, null);
    else {
      const tables = byXid.get(r.xid);
      add(tables ? [...tables].sort().join('+') : 'commit-only (unlogged tables)', r, r.xid);
    }
  }
  return groups;
}
