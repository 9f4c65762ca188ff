/**
 * The one exit-status table of the `asynq` CLI. Commands never pick a number
 * themselves: they throw, and AsynqCommand.catch() maps the error here. `asynq --help` and
 * man/asynq.1 (EXIT STATUS) print EXIT_STATUS, so the documentation cannot drift from the code.
 */
import {AsynqError, RedisCommandError, type ErrorCode} from '../lib/errors.js';

export const ExitCode = {
  OK: 0,
  INTERNAL: 1,
  USAGE: 2,
  NOT_FOUND: 3,
  CONFLICT: 4,
  REDIS_UNAVAILABLE: 5,
  // `enqueue --wait` exits 1 when the task failed, as `make` or `test` would.
  TASK_FAILED: 1,
  WAIT_TIMEOUT: 7,
  SIGINT: 130,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Rows of the EXIT STATUS table, in order, as printed by `--help` and the man page. */
export const EXIT_STATUS: readonly {readonly code: ExitCode; readonly meaning: string}[] = [
  {code: ExitCode.OK, meaning: 'success (also: worker run after a clean SIGTERM/SIGINT shutdown)'},
  {code: ExitCode.INTERNAL, meaning: 'enqueue --wait: the task failed (ended archived); otherwise an unexpected internal error (a bug), the stack printed with --debug or DEBUG=1'},
  {code: ExitCode.USAGE, meaning: 'usage: bad flag or argument, invalid payload JSON or cron spec, missing --force or no TTY'},
  {code: ExitCode.NOT_FOUND, meaning: 'not found: queue, task, group or cron entry'},
  {code: ExitCode.CONFLICT, meaning: 'conflict or precondition: task ID exists, duplicate unique task, queue not empty, wrong task state; asynq dev already running for its state directory, or its --port in use'},
  {code: ExitCode.REDIS_UNAVAILABLE, meaning: 'Redis unavailable: connection refused, authentication, timeout, CLUSTERDOWN; asynq dev: redis-server not installed or not starting'},
  {code: ExitCode.WAIT_TIMEOUT, meaning: '--wait/--timeout elapsed before the task finished'},
  {code: ExitCode.SIGINT, meaning: 'interrupted by SIGINT (Ctrl-C) in a one-shot command'},
];

/**
 * Exit status of every engine error code. `satisfies Record<ErrorCode, …>` makes the typecheck
 * fail when a new code is added to src/lib/errors.ts without a row here.
 */
export const EXIT_CODE_OF_ERROR = {
  VALIDATION: ExitCode.USAGE,
  QUEUE_NOT_FOUND: ExitCode.NOT_FOUND,
  TASK_NOT_FOUND: ExitCode.NOT_FOUND,
  DUPLICATE_TASK: ExitCode.CONFLICT,
  TASK_ID_CONFLICT: ExitCode.CONFLICT,
  QUEUE_NOT_EMPTY: ExitCode.CONFLICT,
  FAILED_PRECONDITION: ExitCode.CONFLICT,
  REDIS_COMMAND: ExitCode.REDIS_UNAVAILABLE,
  REDIS_UNAVAILABLE: ExitCode.REDIS_UNAVAILABLE,
  INTERNAL: ExitCode.INTERNAL,
  TASK_FAILED: ExitCode.TASK_FAILED,
  WAIT_TIMEOUT: ExitCode.WAIT_TIMEOUT,
  REPLICATION_TIMEOUT: ExitCode.REDIS_UNAVAILABLE,
} as const satisfies Record<ErrorCode, ExitCode>;

/** Codes of errors that do not come from the engine (the `code` field of the JSON error). */
export type CliErrorCode = ErrorCode | 'USAGE';

// Node socket errors and ioredis failures that mean "the server cannot be reached or refused us".
const UNAVAILABLE_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);
const UNAVAILABLE_REPLY = /^(NOAUTH|WRONGPASS|CLUSTERDOWN|LOADING|MASTERDOWN|READONLY)\b/;
const UNAVAILABLE_NAME = new Set(['MaxRetriesPerRequestError', 'ClusterAllFailedError']);
const UNAVAILABLE_MESSAGE = /^(Connection is closed|Stream isn't writeable|All sentinels are unreachable|Failed to refresh slots cache|None of startup nodes is available)/;

/** True for a raw (unwrapped) transport failure from Node or ioredis. */
export function isRedisUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const errno = (err as {code?: unknown}).code;
  if (typeof errno === 'string' && UNAVAILABLE_ERRNO.has(errno)) return true;
  return UNAVAILABLE_NAME.has(err.name) || UNAVAILABLE_REPLY.test(err.message) || UNAVAILABLE_MESSAGE.test(err.message);
}

/**
 * An oclif argument/flag parse error: CLIParseError and its subclasses carry `parse`; a value a
 * flag's parse function rejected (`--db x`) is rethrown by oclif as `Parsing --db \n\t<reason>`.
 */
export function isOclifParseError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  return ('oclif' in err && 'parse' in err) || /^Parsing --[\w-]+ *\n\t/.test(err.message);
}

/** The exit status for any thrown value. */
export function exitCodeFor(err: unknown): ExitCode {
  if (err instanceof AsynqError) return EXIT_CODE_OF_ERROR[err.code];
  if (isOclifParseError(err)) return ExitCode.USAGE;
  if (isRedisUnavailable(err)) return ExitCode.REDIS_UNAVAILABLE;
  return ExitCode.INTERNAL;
}

/** The JSON/error `code` for any thrown value (a failed command whose cause is a lost connection: REDIS_UNAVAILABLE). */
export function errorCodeFor(err: unknown): CliErrorCode {
  if (err instanceof RedisCommandError && isRedisUnavailable(err.cause)) return 'REDIS_UNAVAILABLE';
  if (err instanceof AsynqError) return err.code;
  if (isOclifParseError(err)) return 'USAGE';
  if (isRedisUnavailable(err)) return 'REDIS_UNAVAILABLE';
  return 'INTERNAL';
}
