/**
 * Typed errors of asynq-ts. Every class has a stable `code`; the CLI maps classes to exit codes
 * in one table (src/cli/exit-codes.ts). Messages copy Go asynq's wording where it has one.
 */
export type ErrorCode =
  | 'VALIDATION'
  | 'DUPLICATE_TASK'
  | 'TASK_ID_CONFLICT'
  | 'QUEUE_NOT_FOUND'
  | 'TASK_NOT_FOUND'
  | 'QUEUE_NOT_EMPTY'
  | 'FAILED_PRECONDITION'
  | 'REDIS_COMMAND'
  | 'REDIS_UNAVAILABLE'
  | 'INTERNAL'
  | 'TASK_FAILED'
  | 'WAIT_TIMEOUT'
  | 'REPLICATION_TIMEOUT';

export abstract class AsynqError extends Error {
  abstract readonly code: ErrorCode;
  readonly actions: readonly string[];
  constructor(message: string, opts: {cause?: unknown; actions?: string[]} = {}) {
    super(message, opts.cause === undefined ? undefined : {cause: opts.cause});
    this.name = new.target.name;
    this.actions = opts.actions ?? [];
  }
}

/** A bad option, payload or argument; nothing was written. */
export class ValidationError extends AsynqError {
  readonly code = 'VALIDATION';
}

/** The uniqueness lock of an identical task is held (Go ErrDuplicateTask). */
export class DuplicateTaskError extends AsynqError {
  readonly code = 'DUPLICATE_TASK';
  constructor(readonly queue?: string, readonly uniqueKey?: string) {
    super('task already exists');
  }
}

/** A task with this ID already exists (Go ErrTaskIDConflict). */
export class TaskIdConflictError extends AsynqError {
  readonly code = 'TASK_ID_CONFLICT';
  constructor(readonly queue?: string, readonly taskId?: string) {
    super('task ID conflicts with another task');
  }
}

export class QueueNotFoundError extends AsynqError {
  readonly code = 'QUEUE_NOT_FOUND';
  constructor(readonly queue: string) {
    super(`queue "${queue}" does not exist`, {actions: ['asynq queue ls']});
  }
}

export class TaskNotFoundError extends AsynqError {
  readonly code = 'TASK_NOT_FOUND';
  constructor(readonly queue: string, readonly taskId: string) {
    super(`cannot find task with id=${taskId} in queue "${queue}"`, {actions: [`asynq task ls --queue ${queue} --state <state>`]});
  }
}

export class QueueNotEmptyError extends AsynqError {
  readonly code = 'QUEUE_NOT_EMPTY';
  constructor(readonly queue: string) {
    super(`queue "${queue}" is not empty`, {actions: [`asynq queue rm --force ${queue}`]});
  }
}

/** The operation is not allowed in the current state (task already running, queue already paused…). */
export class FailedPreconditionError extends AsynqError {
  readonly code = 'FAILED_PRECONDITION';
}

/** Redis answered a command with an unexpected error. */
export class RedisCommandError extends AsynqError {
  readonly code = 'REDIS_COMMAND';
  constructor(readonly op: string, cause: unknown) {
    super(`${op}: ${redact(cause instanceof Error ? cause.message : String(cause))}`, {cause});
  }
}

/** Redis could not be reached (connection refused, auth failure, timeout). */
export class RedisUnavailableError extends AsynqError {
  readonly code = 'REDIS_UNAVAILABLE';
}

/** A broken invariant inside asynq-ts or in Redis contents (a bug, or data written by a broken peer). */
export class InternalError extends AsynqError {
  readonly code = 'INTERNAL';
}

/** Replaces the password in any redis:// style URI inside a message. */
export function redact(s: string): string {
  return s.replace(/(redis(?:s|-socket|-sentinel)?:\/\/[^:@/\s]*:)[^@\s]*@/g, '$1***@');
}

export function errorMessage(err: unknown): string {
  return redact(err instanceof Error ? err.message : String(err));
}

/** A task that was waited for ended archived (its retries were exhausted, or SkipRetry). */
export class TaskFailedError extends AsynqError {
  readonly code = 'TASK_FAILED';
  constructor(readonly queue: string, readonly taskId: string, readonly lastErr: string) {
    super(`task ${taskId} in queue "${queue}" failed: ${lastErr === '' ? '(no error message)' : lastErr}`, {
      actions: [`asynq task inspect --queue ${queue} ${taskId}`],
    });
  }
}

/** Waiting for a task ended before the task finished; the task itself is untouched. */
export class WaitTimeoutError extends AsynqError {
  readonly code = 'WAIT_TIMEOUT';
  constructor(readonly queue: string, readonly taskId: string, readonly state: string, readonly waitedMs: number) {
    super(`task ${taskId} in queue "${queue}" is still ${state} after waiting ${waitedMs < 1000 ? `${Math.round(waitedMs)}ms` : `${Math.round(waitedMs / 1000)}s`}`, {
      actions: [`asynq task inspect --queue ${queue} ${taskId}`],
    });
  }
}

/**
 * `waitForReplicas`: the write was sent, but fewer replicas than asked acknowledged it before the
 * WAIT timeout (`acknowledged` < `wanted`), or the connection to Redis was re-established while
 * waiting (`acknowledged` null: the WAIT reply was not about this write). The write may or may not
 * be stored: a failover can still discard it. Retrying with the same task ID is safe.
 */
export class ReplicationTimeoutError extends AsynqError {
  readonly code = 'REPLICATION_TIMEOUT';
  constructor(
    readonly queue: string, readonly taskId: string | undefined,
    readonly acknowledged: number | null, readonly wanted: number, readonly timeoutMs: number,
  ) {
    const what = taskId === undefined ? `registering queue "${queue}"` : `task ${taskId} in queue "${queue}"`;
    const why = acknowledged === null
      ? 'the connection to Redis was re-established while waiting for replicas'
      : `${acknowledged} of ${wanted} replica(s) acknowledged the write within ${timeoutMs}ms`;
    super(`${what}: ${why}; it may or may not be stored`, {
      actions: taskId === undefined ? [] : [`asynq task inspect --queue ${queue} ${taskId}`],
    });
  }
}
