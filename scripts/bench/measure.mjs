// Measurements taken from outside the server: database commits from its WAL file, and the SPA's JS size.
import { existsSync, readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

/**
 * Reads `<db>-wal` and counts the valid frames of its current generation and how many of them end a
 * transaction (a commit frame records the database size; other frames record 0). Each commit is one
 * write transaction by any connection, so the difference over a run is exact as long as the WAL was
 * not restarted in between (then `restarted` is true and the count is a lower bound).
 */
export function walState(dbFile) {
  let buf;
  try {
    buf = readFileSync(`${dbFile}-wal`);
  } catch {
    return { salt: null, frames: 0, commits: 0 };
  }
  if (buf.length < 32) return { salt: null, frames: 0, commits: 0 };
  const pageSize = buf.readUInt32BE(8);
  const salt1 = buf.readUInt32BE(16);
  const salt2 = buf.readUInt32BE(20);
  let frames = 0;
  let commits = 0;
  for (let off = 32; off + 24 + pageSize <= buf.length; off += 24 + pageSize) {
    if (buf.readUInt32BE(off + 8) !== salt1 || buf.readUInt32BE(off + 12) !== salt2) break;
    frames++;
    if (buf.readUInt32BE(off + 4) !== 0) commits++;
  }
  return { salt: `${salt1}.${salt2}`, frames, commits };
}

export function commitsBetween(before, after) {
  if (before.salt === after.salt) return { commits: after.commits - before.commits, frames: after.frames - before.frames, restarted: false };
  return { commits: after.commits, frames: after.frames, restarted: true };
}

/**
 * Polls `PRAGMA data_version` on a connection of our own: it changes whenever another connection
 * commits (and may change once more when a checkpoint restarts the WAL). Counts the polls that saw a
 * change, so two commits closer together than `everyMs` count once. For when walState cannot count:
 * a run that writes enough pages to trigger a checkpoint restarts the WAL.
 */
export function watchCommits(dbFile, everyMs = 50) {
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  const version = () => db.pragma('data_version', { simple: true });
  let last = version();
  let changes = 0;
  const poll = () => {
    const v = version();
    if (v !== last) changes++;
    last = v;
  };
  const timer = setInterval(poll, everyMs);
  return () => {
    if (db.open) {
      clearInterval(timer);
      poll();
      db.close();
    }
    return changes;
  };
}

/** The JS a first visit loads: index.html's module scripts and modulepreloads, raw and gzipped. Null without a build. */
export function spaInitialJs(webDist) {
  const indexFile = join(webDist, 'index.html');
  if (!existsSync(indexFile)) return null;
  const html = readFileSync(indexFile, 'utf8');
  const srcs = new Set();
  for (const m of html.matchAll(/<script[^>]*\bsrc="([^"]+\.js)"/g)) srcs.add(m[1]);
  for (const m of html.matchAll(/<link[^>]*rel="modulepreload"[^>]*href="([^"]+\.js)"/g)) srcs.add(m[1]);
  for (const m of html.matchAll(/<link[^>]*href="([^"]+\.js)"[^>]*rel="modulepreload"/g)) srcs.add(m[1]);
  const files = [];
  for (const src of srcs) {
    const file = join(webDist, src.replace(/^\//, ''));
    if (!existsSync(file)) continue;
    const body = readFileSync(file);
    files.push({ src, bytes: body.length, gzipBytes: gzipSync(body, { level: 9 }).length });
  }
  return {
    files,
    bytes: files.reduce((n, f) => n + f.bytes, 0),
    gzipBytes: files.reduce((n, f) => n + f.gzipBytes, 0),
  };
}
