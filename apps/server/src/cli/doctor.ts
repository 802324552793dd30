import { existsSync, statSync } from 'node:fs';
import { checkSqliteIntegrity, createDb, isPostgresUrl, migrationState, sqlitePathFromUrl } from '@pc/db';
import nodemailer from 'nodemailer';
import type { Config } from '../env.js';
import { cliConfig } from './open.js';
import type { Output } from './commands.js';

type Verdict = 'ok' | 'warn' | 'fail';
const MARK: Record<Verdict, string> = { ok: 'ok  ', warn: 'warn', fail: 'FAIL' };

interface Check {
  verdict: Verdict;
  what: string;
  /** How to fix it, for a warning or a failure. */
  fix?: string;
}

async function checkDatabase(config: Config): Promise<Check[]> {
  const checks: Check[] = [];
  const postgres = isPostgresUrl(config.databaseUrl);
  if (!postgres) {
    const path = sqlitePathFromUrl(config.databaseUrl);
    if (!existsSync(path)) return [{ verdict: 'fail', what: `database: no SQLite file at ${path}`, fix: 'Start the server once (npm start) to create it, or set DATABASE_URL to the right file.' }];
    const mode = statSync(path).mode & 0o777;
    checks.push(
      mode & 0o077
        ? { verdict: 'warn', what: `database: ${path} is readable by others (mode ${mode.toString(8)})`, fix: `chmod 600 ${path} ${path}-wal ${path}-shm` }
        : { verdict: 'ok', what: `database: ${path}, private (mode ${mode.toString(8)})` },
    );
  }
  let store: ReturnType<typeof createDb>;
  try {
    store = createDb(config.databaseUrl, { poolMax: 1 });
  } catch (err) {
    return [...checks, { verdict: 'fail', what: `database: ${(err as Error).message}` }];
  }
  try {
    const state = await migrationState(store);
    if (state === 'missing') checks.push({ verdict: 'fail', what: `database: ${store.location} has no Private Connect schema`, fix: 'Start the server once (npm start): it migrates on start.' });
    else if (state === 'newer') checks.push({ verdict: 'fail', what: `database: ${store.location} was migrated by a newer version`, fix: 'Run that version, or restore the backup made before the upgrade.' });
    else if (state.length > 0) checks.push({ verdict: 'warn', what: `database: ${state.length} migration(s) to run (${state.join(', ')})`, fix: 'Start the server (npm start): it migrates on start.' });
    else checks.push({ verdict: 'ok', what: `database: reachable and migrated (${store.dialect === 'sqlite' ? 'SQLite' : 'PostgreSQL'})` });
    if (store.dialect === 'sqlite') {
      await checkSqliteIntegrity(store);
      checks.push({ verdict: 'ok', what: 'database: integrity quick check passed' });
    }
  } catch (err) {
    checks.push({ verdict: 'fail', what: `database: ${(err as Error).message}`, fix: postgres ? 'Check DATABASE_URL (host, port, user, database) and that PostgreSQL is running.' : undefined });
  } finally {
    await store.close();
  }
  return checks;
}

async function checkMail(config: Config): Promise<Check> {
  if (!config.smtpUrl) {
    return { verdict: 'warn', what: 'mail: SMTP_URL is not set, so sign-in links go to the server log and data/outbox/', fix: 'Fine for a first start; set SMTP_URL before anyone else signs up.' };
  }
  const host = new URL(config.smtpUrl).host;
  // The server's own transport settings, with timeouts so a relay that never answers cannot hang the check.
  const withTimeouts = new URL(config.smtpUrl);
  for (const t of ['connectionTimeout', 'greetingTimeout', 'socketTimeout']) withTimeouts.searchParams.set(t, '10000');
  const transport = nodemailer.createTransport(withTimeouts.toString());
  try {
    await transport.verify();
    return { verdict: 'ok', what: `mail: connected to ${host}${new URL(config.smtpUrl).username ? ' and authenticated' : ''}` };
  } catch (err) {
    return { verdict: 'fail', what: `mail: ${host} did not accept us: ${(err as Error).message}`, fix: 'Check the host, port, user and password in SMTP_URL, and that this machine may reach the relay.' };
  } finally {
    transport.close();
  }
}

async function checkPublicUrl(config: Config): Promise<Check[]> {
  const url = new URL(config.publicUrl);
  const checks: Check[] = [];
  const local = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol === 'http:' && !local) {
    checks.push({ verdict: 'warn', what: `PUBLIC_URL ${config.publicUrl} is plain http`, fix: 'Put a TLS proxy in front and set PUBLIC_URL=https://…; links and cookies travel in the clear otherwise.' });
  }
  try {
    const res = await fetch(`${config.publicUrl}/health`, { signal: AbortSignal.timeout(5000) });
    const body = (await res.json().catch(() => null)) as { status?: string } | null;
    if (res.ok && body?.status === 'ok') checks.push({ verdict: 'ok', what: `PUBLIC_URL ${config.publicUrl} answers as this server` });
    else if (body && 'database' in body) checks.push({ verdict: 'fail', what: `PUBLIC_URL ${config.publicUrl} answers, but its database does not (/health ${res.status})`, fix: 'See the database line above and the server log.' });
    else checks.push({ verdict: 'fail', what: `PUBLIC_URL ${config.publicUrl} answers, but not as Private Connect (/health ${res.status})`, fix: 'Point PUBLIC_URL (or the proxy) at this server.' });
  } catch (err) {
    checks.push({ verdict: 'warn', what: `PUBLIC_URL ${config.publicUrl}: nothing answers (${(err as Error).message})`, fix: 'Is the server running? Links in mail point there.' });
  }
  return checks;
}

/** Checks the configuration, the database, the mail relay and PUBLIC_URL; true when nothing failed. */
export async function doctor(env: NodeJS.ProcessEnv, io: Output): Promise<boolean> {
  let config: Config;
  try {
    config = cliConfig(env);
  } catch (err) {
    io.out(`${MARK.fail}  configuration: ${(err as Error).message.replace(/\n/g, '\n      ')}`);
    return false;
  }
  const checks: Check[] = [{ verdict: 'ok', what: 'configuration: parsed' }, ...(await checkDatabase(config)), await checkMail(config), ...(await checkPublicUrl(config))];
  for (const c of checks) io.out(`${MARK[c.verdict]}  ${c.what}${c.fix && c.verdict !== 'ok' ? `\n      → ${c.fix}` : ''}`);
  const failed = checks.filter((c) => c.verdict === 'fail').length;
  io.out(failed === 0 ? '\nNo problems found.' : `\n${failed} problem(s) found.`);
  return failed === 0;
}
