import type { Logger } from '@pc/core';
import pino from 'pino';
import pretty from 'pino-pretty';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

export interface LogOptions {
  level: LogLevel;
  /** `json`: one JSON object a line (for machines); `pretty`: readable text (for a terminal). */
  format: 'json' | 'pretty';
  /** Where lines go; stdout by default. Tests pass a collector. */
  destination?: { write(line: string): void };
}

export interface ServerLogger extends Logger {
  /** Writes what is buffered (before the process exits). */
  flush(): void;
}

// pino.stdTimeFunctions.isoTime formats a Date for every line; an access log writes several lines a
// millisecond under load, so the formatted time is kept for the millisecond it names.
let lastMs = 0;
let lastTime = '';
function isoTimeOncePerMs(): string {
  const now = Date.now();
  if (now !== lastMs) {
    lastMs = now;
    lastTime = `,"time":"${new Date(now).toISOString()}"`;
  }
  return lastTime;
}

/**
 * pino: JSON lines with an ISO time and a level name, or pino-pretty's text. pino-pretty runs as
 * a stream in this process rather than a transport thread, which a bundled server could not load.
 * Fields are the event's own (`requestId`, `route`, `error` …); messages are short and stable.
 */
export function createLogger(opts: LogOptions): ServerLogger {
  // Buffered: a write(2) a line costs more than the rest of a request here (measured by
  // `npm run bench`, scenario 2o), so lines leave in writes of 4 KiB or every 100 ms, whichever
  // comes first; warnings and errors at once; everything on exit (pino flushes its destination
  // then, a crash included). A SIGKILL loses at most the last 100 ms of lines.
  const stdout = opts.destination || opts.format === 'pretty' ? null : pino.destination({ dest: 1, sync: false, minLength: 4096, periodicFlush: 100 });
  const destination = opts.destination ?? (opts.format === 'pretty' ? pretty({ colorize: Boolean(process.stdout.isTTY), translateTime: 'SYS:standard', ignore: 'pid,hostname', sync: true }) : stdout!);
  const log = pino(
    {
      level: opts.level,
      base: undefined,
      timestamp: isoTimeOncePerMs,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
  return {
    debug: (m, f) => log.debug(f ?? {}, m),
    info: (m, f) => log.info(f ?? {}, m),
    warn: (m, f) => {
      log.warn(f ?? {}, m);
      stdout?.flush();
    },
    error: (m, f) => {
      log.error(f ?? {}, m);
      stdout?.flush();
    },
    flush: () => {
      try {
        stdout?.flushSync();
      } catch {
        // Not open yet: nothing was written to it.
      }
    },
  };
}
