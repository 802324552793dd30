import { dirname, join, resolve } from 'node:path';
import { type Core, createCore, createOutboxMailer, createSmtpMailer } from '@pc/core';
import { acquireServerLock, createDb, migrateToLatest } from '@pc/db';
import { type AppDeps, createApp } from './app.js';
import { type Config, loadConfig } from './env.js';
import { createConsoleLogger } from './logger.js';

const logger = createConsoleLogger();

export interface BootOptions {
  /** Where the built SPA is when WEB_DIST is unset. */
  defaultWebDist: string;
  /** More for createApp, given the wired core (the benchmark's servers add a route; its baseline replaces the guards). */
  app?: (core: Core, config: Config) => Pick<AppDeps, 'guards' | 'routes'>;
}

/** Parses the configuration, opens and migrates the store, listens, and stops cleanly on SIGTERM/SIGINT. */
export function boot(opts: BootOptions): void {
  run(opts).catch((err: unknown) => {
    logger.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  });
}

async function run(opts: BootOptions): Promise<void> {
  const started = performance.now();
  const config = loadConfig(process.env, opts.defaultWebDist);
  const store = createDb(config.databaseUrl, {
    poolMax: config.databasePoolMax,
    onError: (err) => logger.warn('database connection lost; it is re-opened on demand', { error: err.message }),
  });
  // SQLite serves one process: a second server on the same file is refused before it touches it.
  const lock = store.path !== null ? acquireServerLock(store.path) : null;
  await migrateToLatest(store);
  const mailer = config.smtpUrl
    ? createSmtpMailer(config.smtpUrl, config.mailFrom)
    : createOutboxMailer(join(store.path !== null ? dirname(store.path) : resolve('data'), 'outbox'), config.mailFrom, logger);
  const core = createCore({ store, mailer, publicUrl: config.publicUrl, rateLimitPerMinute: config.rateLimitPerMinute, logger });
  await core.start();
  const app = createApp({ core, config, logger, ...opts.app?.(core, config) });

  const server = app.listen(config.port, config.host, () => {
    const addr = server.address();
    const port = typeof addr === 'object' && addr ? addr.port : config.port;
    logger.info(`listening on http://${config.host}:${port}`, {
      publicUrl: config.publicUrl,
      database: store.location,
      instance: core.instanceId,
      mail: config.smtpUrl ? 'smtp' : 'outbox (SMTP_URL unset: links are printed here)',
      readyMs: Math.round(performance.now() - started),
    });
  });
  server.on('error', (err) => {
    logger.error('server error', { error: err.message });
    process.exit(1);
  });

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info(`${signal}: draining requests`);
    const force = setTimeout(() => {
      logger.error('shutdown took longer than 10 s; exiting');
      process.exit(1);
    }, 10_000);
    force.unref();
    server.close(async () => {
      try {
        await core.stop();
        await store.close();
        lock?.release();
        logger.info('stopped cleanly');
        process.exit(0);
      } catch (err) {
        logger.error('shutdown failed', { error: String(err) });
        process.exit(1);
      }
    });
    server.closeIdleConnections();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}
