import { existsSync } from 'node:fs';
import { type Core, type Logger, type Mailer, createCore } from '@pc/core';
import { type DbHandle, createDb, isPostgresUrl, migrationState, sqlitePathFromUrl } from '@pc/db';
import { type Config, loadConfig } from '../env.js';

/** A failure the command reports as one message and exit code 1. */
export class CliError extends Error {}

// The admin command issues links itself; it never mails anything.
const noMail: Mailer = {
  delivers: false,
  async send() {
    throw new Error('the admin command sends no mail');
  },
  close() {},
};

const quiet: Logger = { info() {}, warn() {}, error: (m, f) => process.stderr.write(`${m}${f ? ` ${JSON.stringify(f)}` : ''}\n`) };

export function cliConfig(env: NodeJS.ProcessEnv): Config {
  try {
    return loadConfig(env, '');
  } catch (err) {
    throw new CliError((err as Error).message);
  }
}

/**
 * The server's store and core, as the server would open them, for one command. It never creates or
 * migrates a database: that is the server's job at start, and a newer command must not change the
 * schema under an older running server. Beside a running SQLite server it waits out the server's
 * cache after a key change; on PostgreSQL it joins the instances for the length of the command.
 */
export async function openStore(env: NodeJS.ProcessEnv): Promise<{ config: Config; store: DbHandle; core: Core; close(): Promise<void> }> {
  const config = cliConfig(env);
  if (!isPostgresUrl(config.databaseUrl) && !existsSync(sqlitePathFromUrl(config.databaseUrl))) {
    throw new CliError(`No database at ${sqlitePathFromUrl(config.databaseUrl)} (DATABASE_URL). Start the server once (npm start) to create it.`);
  }
  const store = createDb(config.databaseUrl, { poolMax: 2 });
  const state = await migrationState(store).catch(async (err: Error) => {
    await store.close();
    throw new CliError(`Cannot read the database at ${store.location}: ${err.message}`);
  });
  if (state === 'missing' || state === 'newer' || state.length > 0) {
    await store.close();
    throw new CliError(
      state === 'newer'
        ? `The database at ${store.location} was migrated by a newer version of Private Connect; use that version's command.`
        : `The database at ${store.location} is not migrated to this version. Start the server once (npm start) to migrate it.`,
    );
  }
  const core = createCore({
    store,
    mailer: noMail,
    publicUrl: config.publicUrl,
    rateLimitPerMinute: config.rateLimitPerMinute,
    logger: quiet,
    besideServer: store.dialect === 'sqlite',
  });
  await core.connect();
  return {
    config,
    store,
    core,
    async close() {
      await core.stop();
      await store.close();
    },
  };
}
