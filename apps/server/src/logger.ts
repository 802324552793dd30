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
  // pino's own destination: lines leave asynchronously, as soon as the previous write is done (one
  // write(2) per turn of the loop under load), and are flushed on exit. (Buffering them to 4 KiB
  // measured no cheaper in the bench's profile: sonic-boom measures the growing buffer per line.)
  const stdout = opts.destination || opts.format === 'pretty' ? null : pino.destination({ dest: 1, sync: false });
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
    warn: (m, f) => log.warn(f ?? {}, m),
    error: (m, f) => log.error(f ?? {}, m),
    flush: () => {
      try {
        stdout?.flushSync();
      } catch {
        // Not open yet: nothing was written to it.
      }
    },
  };
}
