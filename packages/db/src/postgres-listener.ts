import pg from 'pg';

/** PostgreSQL's LISTEN/NOTIFY, on one dedicated connection that comes back by itself. */
export interface Notifications {
  /** Calls `onMessage` with each payload sent to `channel`. Register before `start()`. */
  listen(channel: string, onMessage: (payload: string) => void): void;
  /**
   * Called whenever the connection came back after it was lost: whatever was sent meanwhile was
   * missed, so listeners must resynchronise (the key cache is cleared).
   */
  onReconnect(handler: () => void): void;
  /** True while the connection is up and listening. */
  readonly connected: boolean;
  /** Connects and listens; resolves when listening, or after `timeoutMs` while retrying in the background. */
  start(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

const PING_EVERY_MS = 2000;
const MAX_BACKOFF_MS = 2000;

/**
 * node-postgres has no reconnecting listener, and the small packages that offer one are unmaintained,
 * so this is ours: a client that LISTENs, pings every 2 s (a half-open socket is only found by
 * writing to it), and on any error drops the client and reconnects with backoff.
 */
export function createPostgresNotifications(config: pg.ClientConfig, onError: (err: Error) => void): Notifications {
  const handlers = new Map<string, (payload: string) => void>();
  const reconnectHandlers: Array<() => void> = [];
  let client: pg.Client | null = null;
  let stopped = false;
  let everConnected = false;
  let backoff = 100;
  let retryTimer: NodeJS.Timeout | undefined;
  let pingTimer: NodeJS.Timeout | undefined;
  let connecting: Promise<void> | null = null;
  let connectedOnce: () => void = () => {};
  const firstConnect = new Promise<void>((r) => {
    connectedOnce = r;
  });

  function lost(c: pg.Client, err?: Error): void {
    c.removeAllListeners('notification');
    c.end().catch(() => {});
    if (client !== c) return;
    client = null;
    if (pingTimer) clearInterval(pingTimer);
    if (err) onError(err);
    scheduleConnect();
  }

  function scheduleConnect(): void {
    if (stopped || retryTimer) return;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      void connect();
    }, backoff);
    retryTimer.unref();
    backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
  }

  async function connectOnce(): Promise<void> {
    const c = new pg.Client({ ...config, keepAlive: true, query_timeout: PING_EVERY_MS });
    c.on('error', (err) => lost(c, err));
    c.on('end', () => lost(c));
    c.on('notification', (m) => handlers.get(m.channel)?.(m.payload ?? ''));
    try {
      await c.connect();
      for (const channel of handlers.keys()) await c.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    } catch (err) {
      c.removeAllListeners();
      c.on('error', () => {});
      c.end().catch(() => {});
      throw err;
    }
    if (stopped) {
      await c.end().catch(() => {});
      return;
    }
    client = c;
    backoff = 100;
    pingTimer = setInterval(() => {
      c.query('select 1').catch((err: Error) => lost(c, err));
    }, PING_EVERY_MS);
    pingTimer.unref();
    if (everConnected) for (const h of reconnectHandlers) h();
    everConnected = true;
    connectedOnce();
  }

  function connect(): Promise<void> {
    connecting ??= connectOnce()
      .catch((err: Error) => {
        onError(err);
        scheduleConnect();
      })
      .finally(() => {
        connecting = null;
      });
    return connecting;
  }

  return {
    listen(channel, onMessage) {
      handlers.set(channel, onMessage);
    },
    onReconnect(handler) {
      reconnectHandlers.push(handler);
    },
    get connected() {
      return client !== null;
    },
    async start(timeoutMs = 5000) {
      void connect();
      const timeout = new Promise<void>((r) => setTimeout(r, timeoutMs).unref());
      await Promise.race([firstConnect, timeout]);
    },
    async stop() {
      stopped = true;
      if (retryTimer) clearTimeout(retryTimer);
      if (pingTimer) clearInterval(pingTimer);
      await connecting;
      const c = client;
      client = null;
      if (c) {
        c.removeAllListeners();
        c.on('error', () => {});
        await c.end().catch(() => {});
      }
    },
  };
}
