/**
 * The one exit-status table of the `asynq` CLI, and what the CLI adds to each engine error code:
 * its exit status and its `Try:` hints (command lines of this CLI, which library errors never
 * carry). Commands never pick a number themselves: they throw, and AsynqCommand.catch() maps the
 * error here. `asynq --help` and man/asynq.1 (EXIT STATUS) print EXIT_STATUS, so the
 * documentation cannot drift from the code.
 */
import {
  AsynqError,
  QueueNotEmptyError,
  QueueNotFoundError,
  RedisCommandError,
  ReplicationTimeoutError,
  TaskFailedError,
  TaskNotFoundError,
  WaitTimeoutError,
  isRedisUnavailable,
  type ErrorCode,
} from '../lib/errors.js';

export const ExitCode = {
  OK: 0,
  INTERNAL: 1,
  USAGE: 2,
  NOT_FOUND: 3,
  CONFLICT: 4,
  REDIS_UNAVAILABLE: 5,
  BAD_DATA: 6,
  // `enqueue --wait` exits 1 when the task failed, as `make` or `test` would.
  TASK_FAILED: 1,
  WAIT_TIMEOUT: 7,
  SIGINT: 130,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Rows of the EXIT STATUS table, in order, as printed by `--help` and the man page. */
export const EXIT_STATUS: readonly {readonly code: ExitCode; readonly meaning: string}[] = [
  {code: ExitCode.OK, meaning: 'success (also: worker run after a clean SIGTERM/SIGINT shutdown)'},
  {
    code: ExitCode.INTERNAL,
    meaning:
      'enqueue --wait: the task failed (ended archived); otherwise an unexpected internal error (a bug), the stack printed with --debug or DEBUG=1',
  },
  {
    code: ExitCode.USAGE,
    meaning:
      'usage: bad flag or argument, invalid payload JSON or cron spec, missing --force or no TTY; asynq web on a non-loopback --host without authentication',
  },
  {code: ExitCode.NOT_FOUND, meaning: 'not found: queue, task, group or cron entry'},
  {
    code: ExitCode.CONFLICT,
    meaning:
      'conflict or precondition: task ID exists, duplicate unique task, queue not empty, wrong task state; asynq dev already running for its state directory, or its --port in use; asynq web: its --port in use',
  },
  {
    code: ExitCode.REDIS_UNAVAILABLE,
    meaning:
      'Redis unavailable: connection refused, authentication, timeout, CLUSTERDOWN; asynq dev: redis-server not installed or not starting',
  },
  {
    code: ExitCode.BAD_DATA,
    meaning:
      'bad data in Redis: a key of the wrong type or a task message that does not decode (named in the message); the rest is fine',
  },
  {code: ExitCode.WAIT_TIMEOUT, meaning: '--wait/--timeout elapsed before the task finished'},
  {code: ExitCode.SIGINT, meaning: 'interrupted by SIGINT (Ctrl-C) in a one-shot command'},
];

/** The `Try:` hints for an engine error: `hints(QueueNotFoundError, (e) => […])` reads `e.queue`, and gives none for another class. */
type Hints = (err: AsynqError) => string[];
const none: Hints = () => [];
function hints<E extends AsynqError>(cls: abstract new (...args: never[]) => E, of: (err: E) => string[]): Hints {
  return (err) => (err instanceof cls ? of(err) : []);
}
const inspectTask = (e: {queue: string; taskId?: string}): string[] =>
  e.taskId === undefined ? [] : [`asynq task inspect --queue ${e.queue} ${e.taskId}`];

/** Bad data: look at the broken task, or at the key Redis named. */
const badDataHints: Hints = (err) => {
  const {queue, taskId} = err as {queue?: string; taskId?: string};
  if (queue !== undefined && taskId !== undefined)
    return [`asynq task inspect --queue ${queue} ${taskId}`, `asynq task delete --queue ${queue} ${taskId}`];
  return [];
};

/**
 * What the CLI does with every engine error code: the exit status, and the hints printed as
 * `Try: …` lines (and as `actions` in the `--json` error document, after the error's own).
 * `satisfies Record<ErrorCode, …>` makes the typecheck fail when a new code is added to
 * src/lib/errors.ts without a row here.
 */
export const CLI_ERROR_TABLE = {
  VALIDATION: {exit: ExitCode.USAGE, hints: none},
  QUEUE_NOT_FOUND: {exit: ExitCode.NOT_FOUND, hints: hints(QueueNotFoundError, () => ['asynq queue ls'])},
  TASK_NOT_FOUND: {
    exit: ExitCode.NOT_FOUND,
    hints: hints(TaskNotFoundError, (e) => [`asynq task ls --queue ${e.queue} --state <state>`]),
  },
  SCHEDULER_ENTRY_NOT_FOUND: {exit: ExitCode.NOT_FOUND, hints: () => ['asynq cron ls']},
  DUPLICATE_TASK: {exit: ExitCode.CONFLICT, hints: none},
  TASK_ID_CONFLICT: {exit: ExitCode.CONFLICT, hints: none},
  QUEUE_NOT_EMPTY: {
    exit: ExitCode.CONFLICT,
    hints: hints(QueueNotEmptyError, (e) => [`asynq queue rm --force ${e.queue}`]),
  },
  FAILED_PRECONDITION: {exit: ExitCode.CONFLICT, hints: none},
  REDIS_COMMAND: {exit: ExitCode.REDIS_UNAVAILABLE, hints: none},
  REDIS_UNAVAILABLE: {exit: ExitCode.REDIS_UNAVAILABLE, hints: none},
  INTERNAL: {exit: ExitCode.INTERNAL, hints: none},
  BAD_DATA: {exit: ExitCode.BAD_DATA, hints: badDataHints},
  TASK_FAILED: {exit: ExitCode.TASK_FAILED, hints: hints(TaskFailedError, inspectTask)},
  WAIT_TIMEOUT: {exit: ExitCode.WAIT_TIMEOUT, hints: hints(WaitTimeoutError, inspectTask)},
  REPLICATION_TIMEOUT: {exit: ExitCode.REDIS_UNAVAILABLE, hints: hints(ReplicationTimeoutError, inspectTask)},
} as const satisfies Record<ErrorCode, {exit: ExitCode; hints: Hints}>;

/** Exit status of every engine error code (the `exit` column of CLI_ERROR_TABLE). */
export const EXIT_CODE_OF_ERROR = Object.fromEntries(
  Object.entries(CLI_ERROR_TABLE).map(([code, row]) => [code, row.exit]),
) as {readonly [K in ErrorCode]: (typeof CLI_ERROR_TABLE)[K]['exit']};

/** The CLI's hints for an engine error (none for anything else). */
export function cliHintsFor(err: unknown): string[] {
  return err instanceof AsynqError ? CLI_ERROR_TABLE[err.code].hints(err) : [];
}

/** Codes of errors that do not come from the engine (the `code` field of the JSON error). */
export type CliErrorCode = ErrorCode | 'USAGE';

/**
 * Messages of the plain CLIErrors oclif's parser throws for a flag used wrongly (parser/parse.js):
 * a flag given without its value (`task ls -q`), given twice, or with a value not in its options.
 */
const OCLIF_FLAG_USAGE =
  /^(Flag --[\w-]+ (expects a value|expects one of these values|can only be specified once|can only be read from stdin)|Unexpected flag )/;

/**
 * An oclif argument/flag parse error: CLIParseError and its subclasses carry `parse`; a value a
 * flag's parse function rejected (`--db x`) is rethrown by oclif as `Parsing --db \n\t<reason>`;
 * the parser's plain CLIErrors are recognised by their message (OCLIF_FLAG_USAGE).
 */
export function isOclifParseError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if ('oclif' in err && 'parse' in err) return true;
  return /^Parsing --[\w-]+ *\n\t/.test(err.message) || ('oclif' in err && OCLIF_FLAG_USAGE.test(err.message));
}

/** The exit status for any thrown value. */
export function exitCodeFor(err: unknown): ExitCode {
  if (err instanceof AsynqError) return CLI_ERROR_TABLE[err.code].exit;
  if (isOclifParseError(err)) return ExitCode.USAGE;
  if (isRedisUnavailable(err)) return ExitCode.REDIS_UNAVAILABLE;
  return ExitCode.INTERNAL;
}

/** The JSON/error `code` for any thrown value (a failed command whose cause is a lost connection: REDIS_UNAVAILABLE). */
export function errorCodeFor(err: unknown): CliErrorCode {
  if (err instanceof RedisCommandError && err.code === 'REDIS_COMMAND' && isRedisUnavailable(err.cause))
    return 'REDIS_UNAVAILABLE';
  if (err instanceof AsynqError) return err.code;
  if (isOclifParseError(err)) return 'USAGE';
  if (isRedisUnavailable(err)) return 'REDIS_UNAVAILABLE';
  return 'INTERNAL';
}
