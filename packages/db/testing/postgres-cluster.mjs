// @ts-check
// A throwaway PostgreSQL cluster for tests and the benchmark: initdb into a temp directory, a server
// on a free loopback port, deleted on stop. Plain JavaScript so that vitest configs, test files and
// the benchmark scripts (plain node) can all load it. Written by hand: no npm package starts a
// cluster from the machine's own binaries (they download their own PostgreSQL, which cannot work here).
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const INSTALL_HINT = "Install PostgreSQL's server binaries: apt-get install -y postgresql (Debian/Ubuntu).";

/** The directory holding initdb, pg_ctl and postgres, or null when the machine has none. */
export function findPostgresBin() {
  const fromEnv = process.env.PG_BIN;
  if (fromEnv && existsSync(join(fromEnv, 'initdb'))) return fromEnv;
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    const versions = readdirSync(debian)
      .filter((v) => existsSync(join(debian, v, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return join(debian, versions[0], 'bin');
  }
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir && existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'))) return dir;
  }
  return null;
}

export const postgresInstallHint = INSTALL_HINT;

/** @returns {Promise<number>} */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** initdb refuses to run as root, so as root every server binary runs as the `postgres` user. */
function asServerUser() {
  if (process.getuid?.() !== 0) return null;
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
  return { uid, gid };
}

/**
 * @param {string} bin
 * @param {string} tool
 * @param {string[]} args
 * @param {{ uid: number, gid: number } | null} user
 */
function run(bin, tool, args, user) {
  const cmd = user ? 'runuser' : join(bin, tool);
  const argv = user ? ['-u', 'postgres', '--', join(bin, tool), ...args] : args;
  const res = spawnSync(cmd, argv, { encoding: 'utf8', cwd: tmpdir() });
  if (res.status !== 0) {
    throw new Error(`${tool} ${args.join(' ')} failed (${res.status}):\n${res.stdout}\n${res.stderr}`);
  }
  return res.stdout;
}

/**
 * Starts a new cluster. `trust` authentication for the `postgres` user, loopback only, fsync off
 * (a test cluster is thrown away; crash safety of the *application* is what tests look at).
 * @param {{ settings?: Record<string, string | number> }} [opts]
 */
export async function startPostgresCluster(opts = {}) {
  const bin = findPostgresBin();
  if (!bin) throw new Error(`No PostgreSQL server binaries found (looked in $PG_BIN, /usr/lib/postgresql/*/bin and $PATH). ${INSTALL_HINT}`);
  const user = asServerUser();
  const dir = mkdtempSync(join(tmpdir(), 'pc-pg-'));
  const data = join(dir, 'data');
  const log = join(dir, 'server.log');
  if (user) {
    chownSync(dir, user.uid, user.gid);
    chmodSync(dir, 0o700);
  }
  run(bin, 'initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions'], user);
  const port = await freePort();
  const settings = {
    listen_addresses: '127.0.0.1',
    port,
    unix_socket_directories: dir,
    fsync: 'off',
    synchronous_commit: 'off',
    full_page_writes: 'off',
    max_connections: 400,
    shared_buffers: '64MB',
    ...opts.settings,
  };
  const serverOptions = Object.entries(settings)
    .map(([k, v]) => `-c ${k}=${v}`)
    .join(' ');
  const pgCtl = (/** @type {string[]} */ ...args) => run(bin, 'pg_ctl', ['-D', data, '-l', log, '-o', serverOptions, ...args], user);
  pgCtl('-w', '-t', '30', 'start');
  let running = true;
  let removed = false;
  const stopSync = () => {
    if (removed) return;
    removed = true;
    if (running) {
      try {
        run(bin, 'pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop'], user);
      } catch {
        /* already gone */
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  // A test run that is interrupted must not leave a server behind.
  process.once('exit', stopSync);

  const host = `127.0.0.1:${port}`;
  return {
    port,
    dir,
    /** URL of database `db` (default: the maintenance database `postgres`). */
    url: (db = 'postgres') => `postgres://postgres@${host}/${db}`,
    /** The server's own log, for a failing test to show. */
    log: () => (existsSync(log) ? readFileSync(log, 'utf8') : ''),
    /** Stops the server (fast shutdown), keeping its data. */
    stopServer() {
      pgCtl('-m', 'fast', '-w', 'stop');
      running = false;
    },
    /** Starts it again after stopServer(), on the same port. */
    startServer() {
      pgCtl('-w', '-t', '30', 'start');
      running = true;
    },
    /** A fast restart: every connection is dropped, the data stays. */
    restart() {
      pgCtl('-m', 'fast', '-w', '-t', '30', 'restart');
      running = true;
    },
    /** Stops the server and deletes its directory. */
    async stop() {
      process.removeListener('exit', stopSync);
      stopSync();
    },
  };
}
