import type { Logger } from '@pc/core';

type Level = 'info' | 'warn' | 'error';

/** One line per event on stdout/stderr: time, level, message, then key=value fields. */
export function createConsoleLogger(write: (level: Level, line: string) => void = defaultWrite): Logger {
  const emit = (level: Level, message: string, fields?: Record<string, unknown>) => {
    const extra = fields
      ? Object.entries(fields)
          .map(([k, v]) => ` ${k}=${typeof v === 'string' ? JSON.stringify(v) : String(v)}`)
          .join('')
      : '';
    write(level, `${new Date().toISOString()} ${level.toUpperCase()} ${message}${extra}`);
  };
  return {
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
  };
}

function defaultWrite(level: Level, line: string): void {
  (level === 'info' ? process.stdout : process.stderr).write(`${line}\n`);
}
