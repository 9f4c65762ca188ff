/**
 * Logging, in Go asynq's format: `asynq: pid=<pid> <UTC date time.micro> LEVEL: message`, on
 * stderr by default. The level is filtered here, in one place. Never log payloads or passwords.
 */
import {redact} from './errors.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'fatal';

export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

const ORDER: Record<LogLevel, number> = {debug: 0, info: 1, warn: 2, error: 3, fatal: 4};

function goTimestamp(d: Date): string {
  // 2006/01/02 15:04:05.000000 in UTC, as Go's log.LUTC|Lmicroseconds.
  const iso = d.toISOString(); // 2026-01-01T00:00:00.123Z
  return `${iso.slice(0, 4)}/${iso.slice(5, 7)}/${iso.slice(8, 10)} ${iso.slice(11, 19)}.${iso.slice(20, 23)}000`;
}

export interface LoggerOptions {
  level?: LogLevel;
  format?: 'text' | 'json';
  write?: (line: string) => void;
  now?: () => Date;
}

/** The default logger: stderr, Go asynq's text format, or JSON lines with `format: 'json'`. */
export function createLogger(opts: LoggerOptions = {}): Logger {
  const min = ORDER[opts.level ?? 'info'];
  const write = opts.write ?? ((line: string) => process.stderr.write(line + '\n'));
  const now = opts.now ?? (() => new Date());
  const emit = (level: LogLevel, label: string, msg: string): void => {
    if (ORDER[level] < min) return;
    const text = redact(msg);
    if (opts.format === 'json') {
      write(JSON.stringify({time: now().toISOString(), level, pid: process.pid, msg: text}));
    } else {
      write(`asynq: pid=${process.pid} ${goTimestamp(now())} ${label}: ${text}`);
    }
  };
  return {
    debug: (m) => emit('debug', 'DEBUG', m),
    info: (m) => emit('info', 'INFO', m),
    warn: (m) => emit('warn', 'WARN', m),
    error: (m) => emit('error', 'ERROR', m),
  };
}

/** Wraps a user-supplied logger with level filtering. */
export function withLevel(base: Logger, level: LogLevel): Logger {
  const min = ORDER[level];
  return {
    debug: (m) => { if (ORDER.debug >= min) base.debug(redact(m)); },
    info: (m) => { if (ORDER.info >= min) base.info(redact(m)); },
    warn: (m) => { if (ORDER.warn >= min) base.warn(redact(m)); },
    error: (m) => { if (ORDER.error >= min) base.error(redact(m)); },
  };
}

export const silentLogger: Logger = {debug() {}, info() {}, warn() {}, error() {}};
