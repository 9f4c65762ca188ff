/**
 * Logging, in Go asynq's format: `asynq: pid=<pid> <UTC date time.micro> LEVEL: message`, on
 * stderr by default. The level is filtered here, in one place. Never log payloads or passwords.
 *
 * A line may carry fields (the task it is about, its outcome…): the JSON format gives each its own
 * key next to time, level, pid and msg, so the message is the same for every task; the text format
 * prints them after the message as `key=value` (formatLogMessage).
 */
import {compactDuration} from './duration.js';
import {redact} from './errors.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'fatal';

/** Facts about what a log line is about. Undefined values are left out. */
export interface LogFields {
  taskId?: string;
  type?: string;
  queue?: string;
  /** Which attempt this was, 1 for the first (retried + 1). JSON only: the text line has no room for it. */
  attempt?: number;
  durationMs?: number;
  /** success, failure, retry-later, skip-retry, aborted… */
  outcome?: string;
  error?: string;
  [key: string]: string | number | boolean | undefined;
}

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

/** Text names and forms of the known fields, in the order the text line prints them (others follow as given). */
const TEXT_FIELDS: ReadonlyArray<[key: keyof LogFields, name: string | null, form: (v: string | number | boolean) => string]> = [
  ['type', 'type', (v) => JSON.stringify(String(v))],
  ['taskId', 'id', String],
  ['queue', 'queue', String],
  ['attempt', null, String],
  ['durationMs', 'duration', (v) => compactDuration(Number(v))],
  ['outcome', 'outcome', String],
  ['error', 'error', (v) => JSON.stringify(String(v).replace(/\s*\n\s*/g, ' | '))],
];
const KNOWN = new Set(TEXT_FIELDS.map(([k]) => k));

/** A value of a field the text form does not know: bare when it is one plain word, else quoted. */
const plainText = (v: string | number | boolean): string => (typeof v === 'string' && !/^[\w.:/@+-]+$/u.test(v) ? JSON.stringify(v) : String(v));

/**
 * The text form of a line: the message, then ` key=value` per field (taskId as `id`, durationMs
 * as a compact `duration`, type and error quoted, the error on one line; attempt left out).
 */
export function formatLogMessage(msg: string, fields?: LogFields): string {
  if (fields === undefined) return msg;
  const parts: string[] = [];
  for (const [key, name, form] of TEXT_FIELDS) {
    const v = fields[key];
    if (v !== undefined && name !== null) parts.push(`${name}=${form(v)}`);
  }
  for (const [key, v] of Object.entries(fields)) if (v !== undefined && !KNOWN.has(key)) parts.push(`${key}=${plainText(v)}`);
  return parts.length === 0 ? msg : `${msg} ${parts.join(' ')}`;
}

/** The JSON keys of a line: the message (without the colon that introduces its fields in text) and the defined fields, redacted. */
function jsonRecord(msg: string, fields: LogFields | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(fields ?? {})) {
    if (v !== undefined && key !== 'time' && key !== 'level' && key !== 'pid' && key !== 'msg') out[key] = typeof v === 'string' ? redact(v) : v;
  }
  return {msg: redact(fields === undefined ? msg : msg.replace(/:$/, '')), ...out};
}

function redactFields(fields: LogFields | undefined): LogFields | undefined {
  if (fields === undefined) return undefined;
  return Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, typeof v === 'string' ? redact(v) : v]));
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
  const emit = (level: LogLevel, label: string, msg: string, fields?: LogFields): void => {
    if (ORDER[level] < min) return;
    if (opts.format === 'json') {
      write(JSON.stringify({time: now().toISOString(), level, pid: process.pid, ...jsonRecord(msg, fields)}));
    } else {
      write(`asynq: pid=${process.pid} ${goTimestamp(now())} ${label}: ${redact(formatLogMessage(msg, fields))}`);
    }
  };
  return {
    debug: (m, f) => emit('debug', 'DEBUG', m, f),
    info: (m, f) => emit('info', 'INFO', m, f),
    warn: (m, f) => emit('warn', 'WARN', m, f),
    error: (m, f) => emit('error', 'ERROR', m, f),
  };
}

/** Wraps a user-supplied logger with level filtering; fields are passed on (a logger taking only the message ignores them). */
export function withLevel(base: Logger, level: LogLevel): Logger {
  const min = ORDER[level];
  const pass = (l: Exclude<LogLevel, 'fatal'>) => (m: string, f?: LogFields): void => {
    if (ORDER[l] < min) return;
    const redacted = redactFields(f);
    if (redacted === undefined) base[l](redact(m));
    else base[l](redact(m), redacted);
  };
  return {debug: pass('debug'), info: pass('info'), warn: pass('warn'), error: pass('error')};
}

export const silentLogger: Logger = {debug() {}, info() {}, warn() {}, error() {}};
