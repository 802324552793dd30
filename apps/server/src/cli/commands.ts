import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { isAppError } from '@pc/core';
import { sql } from 'kysely';
import { ZodError } from 'zod';
import { buildOpenApi } from '../rest/v1/openapi.js';
import { CliError, cliConfig, openStore } from './open.js';
import { table } from './table.js';

export interface Output {
  out(line: string): void;
  err(line: string): void;
}

type Opened = Awaited<ReturnType<typeof openStore>>;

/** Runs `work` on the opened store, turning the domain's refusals into one-line failures. */
async function withStore<T>(env: NodeJS.ProcessEnv, work: (o: Opened) => Promise<T>): Promise<T> {
  const opened = await openStore(env);
  try {
    return await work(opened);
  } catch (err) {
    if (isAppError(err)) throw new CliError(err.message);
    if (err instanceof ZodError) throw new CliError(err.issues.map((i) => i.message).join(' '));
    throw err;
  } finally {
    await opened.close();
  }
}

const when = (iso: string | null) => (iso ? iso.replace('T', ' ').slice(0, 16) : '-');

export const commands = {
  async 'sign-in-link'(args: string[], env: NodeJS.ProcessEnv, io: Output) {
    const [email] = args;
    if (!email) throw new CliError('Usage: private-connect sign-in-link <email>');
    const issued = await withStore(env, ({ core }) => core.operator.issueSignInLink(email));
    io.out(issued.link);
    io.err(`Single use, valid until ${when(issued.expiresAt)} UTC; signs in to "${issued.workspace.name}". Recorded in its audit log.`);
  },

  async 'create-workspace'(args: string[], env: NodeJS.ProcessEnv, io: Output) {
    const [email, name] = args;
    if (!email || !name) throw new CliError('Usage: private-connect create-workspace <email> <workspace-name>');
    const created = await withStore(env, ({ core }) => core.operator.createWorkspace(email, name));
    io.out(created.link);
    io.err(`Created the workspace "${created.workspace.name}" (${created.workspace.id}) owned by ${email.trim().toLowerCase()}. The link signs in once, until ${when(created.expiresAt)} UTC.`);
  },

  async users(_args: string[], env: NodeJS.ProcessEnv, io: Output) {
    const users = await withStore(env, ({ core }) => core.operator.users());
    io.out(table(['EMAIL', 'CREATED', 'WORKSPACES'], users.map((u) => [u.email, when(u.createdAt), u.workspaces.join(', ')])));
  },

  async workspaces(_args: string[], env: NodeJS.ProcessEnv, io: Output) {
    const all = await withStore(env, ({ core }) => core.operator.workspaces());
    io.out(table(['NAME', 'ID', 'OWNER', 'ACTIVE KEYS', 'CREATED'], all.map((w) => [w.name, w.id, w.owner ?? '-', String(w.activeKeys), when(w.createdAt)])));
  },

  async keys(args: string[], env: NodeJS.ProcessEnv, io: Output) {
    const [name] = args;
    if (!name) throw new CliError('Usage: private-connect keys <workspace-name>');
    const { keys } = await withStore(env, ({ core }) => core.operator.keys(name));
    const status = (k: (typeof keys)[number]) => (k.isActive ? (k.rolledToId ? 'rolled (grace)' : 'active') : k.rolledToId ? 'rolled' : 'revoked or expired');
    io.out(table(['ID', 'NAME', 'PREFIX', 'STATUS', 'EXPIRES', 'LAST USED', 'CREATED'], keys.map((k) => [k.id, k.name, k.prefix, status(k), when(k.expiresAt), when(k.lastUsedAt), when(k.createdAt)])));
  },

  async 'revoke-key'(args: string[], env: NodeJS.ProcessEnv, io: Output) {
    const [id] = args;
    if (!id) throw new CliError('Usage: private-connect revoke-key <key-id>');
    const r = await withStore(env, ({ core }) => core.operator.revokeKey(id));
    io.out(r.alreadyRevoked ? `${r.id} (${r.name}) was already revoked.` : `Revoked ${r.id} (${r.name}). Every running server refuses it from now on.`);
  },

  async backup(args: string[], env: NodeJS.ProcessEnv, io: Output) {
    const [target] = args;
    if (!target) throw new CliError('Usage: private-connect backup <file>');
    const file = resolve(target);
    if (existsSync(file)) throw new CliError(`${file} exists already; name a new file.`);
    await withStore(env, async ({ store }) => {
      if (store.dialect === 'sqlite') {
        // A consistent copy while the server writes: SQLite reads one snapshot into a new file.
        await sql`vacuum into ${file}`.execute(store.db);
        return;
      }
      const dump = spawnSync('pg_dump', ['--format=custom', '--no-owner', `--file=${file}`, store.url], { encoding: 'utf8' });
      if (dump.error) throw new CliError('pg_dump was not found: install the PostgreSQL client (apt-get install -y postgresql-client) and try again.');
      if (dump.status !== 0) throw new CliError(`pg_dump failed: ${dump.stderr.trim()}`);
    });
    io.out(`Wrote ${file} (${(statSync(file).size / 1024).toFixed(0)} KiB).`);
    io.err('Restore: see "Backup and restore" in the README.');
  },

  /** The OpenAPI document the server serves at /v1/openapi.json, without a database or a server. */
  async openapi(_args: string[], env: NodeJS.ProcessEnv, io: Output) {
    io.out(JSON.stringify(buildOpenApi(cliConfig(env).publicUrl), null, 2));
  },
};

export type CommandName = keyof typeof commands;
