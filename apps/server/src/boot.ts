import { type Server, type ServerResponse, createServer } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { type Core, createCore, createOutboxMailer, createSmtpMailer } from '@pc/core';
import { acquireServerLock, checkSqliteIntegrity, createDb, migrateToLatest } from '@pc/db';
import { type AppDeps, createApp } from './app.js';
import { answerClientError } from './http/client-errors.js';
import { type Config, loadConfig } from './env.js';
import { createMetrics } from './http/metrics.js';
import { type ServerLogger, createLogger } from './logger.js';

// JSON at info until the configuration says otherwise (its own errors are logged with this one).
let logger: ServerLogger = createLogger({ level: 'info', format: 'json' });

const exit = (code: number): never => {
  logger.flush();
  process.exit(code);
};

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
    exit(1);
  });
}

/** Binds the port, or says which variable to change: "listening" is logged only once bound. */
function listen(server: Server, config: Config): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') reject(new Error(`PORT ${config.port} is already in use on ${config.host}: stop what listens there, or set PORT to a free port.`));
      else if (err.code === 'EACCES') reject(new Error(`PORT ${config.port} needs privileges this process lacks: use a port above 1023 (a proxy can listen on 80/443).`));
      else if (err.code === 'EADDRNOTAVAIL') reject(new Error(`HOST ${config.host} is not an address of this machine.`));
      else reject(err);
    });
    server.listen(config.port, config.host, () => {
      const addr = server.address();
      resolve(typeof addr === 'object' && addr ? addr.port : config.port);
    });
  });
}

async function run(opts: BootOptions): Promise<void> {
  const started = performance.now();
  const config = loadConfig(process.env, opts.defaultWebDist);
  logger = createLogger(config.log);
  const metrics = config.metricsToken ? createMetrics() : null;
  const store = createDb(config.databaseUrl, {
    poolMax: config.databasePoolMax,
    onError: (err) => logger.warn('database connection lost; it is re-opened on demand', { error: err.message }),
  });
  // SQLite serves one process: a second server on the same file is refused before it touches it.
  const lock = store.path !== null ? acquireServerLock(store.path) : null;
  if (store.path !== null) await checkSqliteIntegrity(store);
  await migrateToLatest(store);
  const mailer = config.smtpUrl
    ? createSmtpMailer(config.smtpUrl, config.mailFrom)
    : createOutboxMailer(join(store.path !== null ? dirname(store.path) : resolve('data'), 'outbox'), config.mailFrom, logger);
  const core = createCore({
    store,
    mailer,
    publicUrl: config.publicUrl,
    rateLimitPerMinute: config.rateLimitPerMinute,
    authLimits: config.authLimits,
    signup: config.signup,
    auditRetentionDays: config.auditRetentionDays,
    usageHistory: config.usageHistory,
    usageRetentionDays: config.usageRetentionDays,
    agentOfflineAfterSeconds: config.agentOfflineAfterSeconds,
    webhooks: { allowPrivateTargets: config.webhookAllowPrivateTargets },
    logger,
    ...(metrics ? { observer: metrics.observer } : {}),
  });
  metrics?.watch({
    cacheSizes: () => core.apiKeys.stats().cache,
    mailQueued: () => core.mail.pending + core.queue.size,
    ...(store.pool ? { pool: store.pool } : {}),
  });
  await core.start();
  let stopping = false;
  const app = createApp({ core, config, logger, metrics, ...opts.app?.(core, config) });
  const server = createServer();
  server.on('clientError', answerClientError);
  // Ahead of the app (listeners run in order): the answers still to be sent, so that once stopping
  // each says `Connection: close` and its client lets the socket go instead of sending another.
  const unanswered = new Set<ServerResponse>();
  server.on('request', (_req, res: ServerResponse) => {
    if (stopping) res.setHeader('Connection', 'close');
    else {
      unanswered.add(res);
      res.once('finish', () => unanswered.delete(res));
    }
  });
  server.on('request', app);
  const port = await listen(server, config).catch(async (err: Error) => {
    await core.stop();
    await store.close();
    throw err;
  });
  server.on('error', (err) => logger.error('server error', { error: err.message }));
  logger.info(`listening on http://${config.host}:${port}`, {
    host: config.host,
    port,
    publicUrl: config.publicUrl,
    database: store.location,
    instance: core.instanceId,
    mail: config.smtpUrl ? 'smtp' : 'outbox (SMTP_URL unset: links are printed here)',
    signup: config.signup.open ? (config.signup.emailDomains.length > 0 ? `open to ${config.signup.emailDomains.join(', ')}` : 'open') : 'closed',
    metrics: metrics ? 'on (/metrics)' : 'off (METRICS_TOKEN unset)',
    accessLog: config.log.access,
    readyMs: Math.round(performance.now() - started),
  });

  // Stop accepting; answer what is in flight with `Connection: close`,
  // so busy keep-alive clients let go after their current request; close idle sockets at once;
  // then write usage, drain mail and leave. At the deadline, remaining sockets are cut and the
  // same clean-up still runs.
  const finish = async (code: number) => {
    try {
      await core.stop();
      await store.close();
      lock?.release();
      logger.info(code === 0 ? 'stopped cleanly' : 'stopped after the shutdown deadline', { code });
      exit(code);
    } catch (err) {
      logger.error('shutdown failed', { error: String(err) });
      exit(1);
    }
  };
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('draining requests', { signal, openRequests: unanswered.size });
    for (const res of unanswered) if (!res.headersSent) res.setHeader('Connection', 'close');
    let late = false;
    const deadline = setTimeout(() => {
      late = true;
      logger.error('requests still open at SHUTDOWN_TIMEOUT_MS; closing them', { shutdownTimeoutMs: config.shutdownTimeoutMs, openRequests: unanswered.size });
      server.closeAllConnections();
      // And if the clean-up itself hangs (a database that does not answer), leave regardless.
      setTimeout(() => {
        logger.error('clean-up did not finish within 5 s of the deadline; exiting');
        exit(1);
      }, 5000).unref();
    }, config.shutdownTimeoutMs);
    deadline.unref();
    server.close(() => {
      clearTimeout(deadline);
      void finish(late ? 1 : 0);
    });
    server.closeIdleConnections();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}
