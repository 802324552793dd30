import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCore, createOutboxMailer, createSmtpMailer } from '@pc/core';
import { createDb, migrateToLatest } from '@pc/db';
import { createApp } from './app.js';
import { loadConfig } from './env.js';
import { createConsoleLogger } from './logger.js';

const here = dirname(fileURLToPath(import.meta.url));
const logger = createConsoleLogger();

async function main(): Promise<void> {
  const started = performance.now();
  const config = loadConfig(process.env, join(here, '../../web/dist'));
  const { db, path } = createDb(config.databaseUrl);
  await migrateToLatest(db);
  const mailer = config.smtpUrl
    ? createSmtpMailer(config.smtpUrl, config.mailFrom)
    : createOutboxMailer(join(dirname(path), 'outbox'), config.mailFrom, logger);
  const core = createCore({ db, mailer, publicUrl: config.publicUrl, rateLimitPerMinute: config.rateLimitPerMinute, logger });
  core.start();
  const app = createApp({ core, config, logger });

  const server = app.listen(config.port, config.host, () => {
    const addr = server.address();
    const port = typeof addr === 'object' && addr ? addr.port : config.port;
    logger.info(`listening on http://${config.host}:${port}`, {
      publicUrl: config.publicUrl,
      database: path,
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
        await db.destroy();
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

main().catch((err: unknown) => {
  logger.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
