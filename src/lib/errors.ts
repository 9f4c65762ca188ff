/**
 * Every error class of the asynq-ts library, in one place (Go asynq keeps its codes in
 * internal/errors/errors.go and its sentinels beside the API). Two kinds:
 * - AsynqError and its subclasses: what a call can fail with. Each has a stable `code` and carries
 *   the data it is about (`queue`, `taskId`, `state` …), never command lines of a tool: the `asynq`
 *   CLI adds its own hints and exit statuses from the code, in one table (src/cli/exit-codes.ts).
 * - Handler outcomes (SkipRetry, RevokeTask, DeadlineExceededError, CanceledError,
 *   HandlerPanicError, LeaseExpiredError): sentinels a handler throws or sees as its signal's
 *   reason; they decide what happens to a task and are never thrown to a caller.
 * Messages copy Go asynq's wording where it has one.
 */
export type ErrorCode =
  | 'VALIDATION'
  | 'DUPLICATE_TASK'
  | 'TASK_ID_CONFLICT'
  | 'QUEUE_NOT_FOUND'
  | 'TASK_NOT_FOUND'
  | 'SCHEDULER_ENTRY_NOT_FOUND'
  | 'QUEUE_NOT_EMPTY'
  | 'FAILED_PRECONDITION'
  | 'REDIS_COMMAND'
  | 'REDIS_UNAVAILABLE'
  | 'INTERNAL'
  | 'BAD_DATA'
  | 'TASK_FAILED'
  | 'WAIT_TIMEOUT'
  | 'REPLICATION_TIMEOUT';

export abstract class AsynqError extends Error {
  abstract readonly code: ErrorCode;
  /** Suggestions that hold for any user of the library (e.g. the accepted URI forms); empty for most errors. */
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

/** A payload larger than the Client's maxPayloadBytes; nothing was written. */
export class PayloadTooLargeError extends ValidationError {
  constructor(readonly size: number, readonly limit: number, message?: string) {
    super(message ?? `payload of ${size} bytes is over the limit of ${limit} bytes: raise ClientOptions.maxPayloadBytes to enqueue it`);
  }
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
    super(`queue "${queue}" does not exist`);
  }
}

export class TaskNotFoundError extends AsynqError {
  readonly code = 'TASK_NOT_FOUND';
  constructor(readonly queue: string, readonly taskId: string) {
    super(`cannot find task with id=${taskId} in queue "${queue}"`);
  }
}

/** No scheduler runs this entry and none left enqueue events behind (Go has no such error: its CLI prints an empty history). */
export class SchedulerEntryNotFoundError extends AsynqError {
  readonly code = 'SCHEDULER_ENTRY_NOT_FOUND';
  constructor(readonly entryId: string) {
    super(`no scheduler entry with id=${entryId}: no running scheduler has it and it has no enqueue history`);
  }
}

export class QueueNotEmptyError extends AsynqError {
  readonly code = 'QUEUE_NOT_EMPTY';
  constructor(readonly queue: string) {
    super(`queue "${queue}" is not empty`);
  }
}

/** The operation is not allowed in the current state (task already running, queue already paused…). */
export class FailedPreconditionError extends AsynqError {
  readonly code = 'FAILED_PRECONDITION';
}

/** A Server method was called in a state that does not allow it. */
export class ServerStateError extends FailedPreconditionError {
  constructor(message: string) {
    super(message);
  }
}

/** The server has been shut down (Go ErrServerClosed). */
export class ServerClosedError extends ServerStateError {
  constructor() {
    super('asynq: Server closed');
  }
}

/** Redis answered a command with an unexpected error. */
export class RedisCommandError extends AsynqError {
  readonly code: 'REDIS_COMMAND' | 'BAD_DATA' = 'REDIS_COMMAND';
  constructor(readonly op: string, cause: unknown) {
    super(`${op}: ${redact(cause instanceof Error ? cause.message : String(cause))}`, {cause});
  }
}

/**
 * Redis answered WRONGTYPE: a key asynq reads holds another Redis type (say, a queue's pending
 * list stored as a string). Bad data, not an outage (code BAD_DATA); the message names the key's
 * operation, as RedisCommandError does.
 */
export class WrongTypeError extends RedisCommandError {
  override readonly code = 'BAD_DATA';
  readonly queue?: string;
  constructor(op: string, cause: unknown, queue?: string) {
    super(op, cause);
    if (queue !== undefined) this.queue = queue;
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

/**
 * Data in Redis that is not what asynq wrote there: a key of the wrong Redis type (a Redis
 * WRONGTYPE reply), a task id without a usable task hash, or bytes that do not decode (DecodeError).
 * Not an outage: the other queues and tasks are fine. `queue` and `taskId` name the broken item
 * when known.
 */
export class BadDataError extends AsynqError {
  readonly code = 'BAD_DATA';
  readonly queue?: string;
  readonly taskId?: string;
  constructor(message: string, opts: {cause?: unknown; queue?: string; taskId?: string} = {}) {
    super(message, {cause: opts.cause});
    if (opts.queue !== undefined) this.queue = opts.queue;
    if (opts.taskId !== undefined) this.taskId = opts.taskId;
  }
}

/**
 * Bytes in Redis that are not the protobuf message they should be, or a TaskMessage without what
 * Go needs to process it (an id, a type and a queue).
 */
export class DecodeError extends BadDataError {
  constructor(readonly what: string, cause: unknown) {
    super(`cannot decode ${what}: ${cause instanceof Error ? cause.message : String(cause)}`, {cause});
  }
}

/** Whether a raw Redis error reply is WRONGTYPE: a key holds another Redis type than asynq's. */
export function isWrongType(err: unknown): boolean {
  return err instanceof Error && /^WRONGTYPE\b/.test(err.message);
}

/** Whether an error is about bad data in Redis (code BAD_DATA: BadDataError, DecodeError, WrongTypeError). */
export function isBadData(err: unknown): boolean {
  return err instanceof AsynqError && err.code === 'BAD_DATA';
}

/** No handler is registered for the task's type (Go ErrHandlerNotFound); the task fails and is retried. */
export class HandlerNotFoundError extends AsynqError {
  readonly code = 'INTERNAL';
  constructor(readonly taskType: string) {
    super(`handler not found for task ${JSON.stringify(taskType)}`);
  }
}

/** Replaces the password in any redis:// style URI inside a message. */
export function redact(s: string): string {
  return s.replace(/(redis(?:s|-socket|-sentinel)?:\/\/[^:@/\s]*:)[^@\s]*@/g, '$1***@');
}

export function errorMessage(err: unknown): string {
  return redact(err instanceof Error ? err.message : String(err));
}

// Node socket errors and ioredis failures that mean "the server cannot be reached or refused us".
const UNAVAILABLE_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);
const UNAVAILABLE_REPLY = /^(NOAUTH|WRONGPASS|CLUSTERDOWN|LOADING|MASTERDOWN|READONLY)\b/;
const UNAVAILABLE_NAME = new Set(['MaxRetriesPerRequestError', 'ClusterAllFailedError']);
const UNAVAILABLE_MESSAGE = /^(Connection is closed|Stream isn't writeable|All sentinels are unreachable|Failed to refresh slots cache|None of startup nodes is available)/;

/**
 * Whether a raw (unwrapped) transport failure from Node or ioredis means Redis is unavailable:
 * unreachable, refusing the connection or the credentials, down, loading or read-only. A
 * RedisCommandError carries such a failure as its `cause`.
 */
export function isRedisUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const errno = (err as {code?: unknown}).code;
  if (typeof errno === 'string' && UNAVAILABLE_ERRNO.has(errno)) return true;
  return UNAVAILABLE_NAME.has(err.name) || UNAVAILABLE_REPLY.test(err.message) || UNAVAILABLE_MESSAGE.test(err.message);
}

/** A task that was waited for ended archived (its retries were exhausted, or SkipRetry). */
export class TaskFailedError extends AsynqError {
  readonly code = 'TASK_FAILED';
  constructor(readonly queue: string, readonly taskId: string, readonly lastErr: string) {
    super(`task ${taskId} in queue "${queue}" failed: ${lastErr === '' ? '(no error message)' : lastErr}`);
  }
}

/** Waiting for a task ended before the task finished; the task itself is untouched. */
export class WaitTimeoutError extends AsynqError {
  readonly code = 'WAIT_TIMEOUT';
  constructor(readonly queue: string, readonly taskId: string, readonly state: string, readonly waitedMs: number) {
    super(`task ${taskId} in queue "${queue}" is still ${state} after waiting ${waitedMs < 1000 ? `${Math.round(waitedMs)}ms` : `${Math.round(waitedMs / 1000)}s`}`);
  }
}

/**
 * `waitForReplicas`: the write was sent, but fewer replicas than asked acknowledged it before the
 * WAIT timeout (`acknowledged` < `wanted`), or `acknowledged` is null: the connection to Redis was
 * re-established while waiting (reason 'reconnected': the WAIT reply was not about this write), or
 * no reply came within the timeout (reason 'no-reply': Redis unreachable, a failover under way).
 * The write may or may not be stored: a failover can still discard it. Retrying with the same
 * task ID is safe.
 */
export class ReplicationTimeoutError extends AsynqError {
  readonly code = 'REPLICATION_TIMEOUT';
  constructor(
    readonly queue: string, readonly taskId: string | undefined,
    readonly acknowledged: number | null, readonly wanted: number, readonly timeoutMs: number,
    readonly reason: 'replicas' | 'reconnected' | 'no-reply' = acknowledged === null ? 'reconnected' : 'replicas',
  ) {
    const what = taskId === undefined ? `registering queue "${queue}"` : `task ${taskId} in queue "${queue}"`;
    const why = reason === 'no-reply'
      ? `no reply from Redis within ${timeoutMs}ms`
      : acknowledged === null
        ? 'the connection to Redis was re-established while waiting for replicas'
        : `${acknowledged} of ${wanted} replica(s) acknowledged the write within ${timeoutMs}ms`;
    super(`${what}: ${why}; it may or may not be stored`);
  }
}

// ---------------------------------------------------------------------------------------------
// Handler outcomes: sentinels, not failures of a call (see src/lib/handler.ts for how each maps
// to Go's outcome and to the task's error message).

/** Throw (or wrap as `cause`) to archive the task at once, whatever retries are left (Go SkipRetry). */
export class SkipRetry extends Error {
  constructor(message = 'skip retry for the task', opts?: {cause?: unknown}) {
    super(message, opts);
    this.name = 'SkipRetry';
  }
}

/**
 * Thrown by a handler: "not now, try again after `delayMs`" (e.g. an HTTP 429 with Retry-After).
 * The task goes to the retry set for now + delayMs, and the attempt is never counted as a failure
 * (Go's IsFailure = false pattern: `retried` and the failed counters stay as they are, also when no
 * retries are left). Its message becomes the task's last error.
 *
 *   if (res.status === 429) throw RetryAfterError.fromHeader(res.headers.get('retry-after'), 30_000);
 */
export class RetryAfterError extends Error {
  constructor(readonly delayMs: number, message?: string) {
    super(message ?? `retry after ${Math.max(0, Math.round(delayMs))}ms`);
    this.name = 'RetryAfterError';
  }

  /**
   * From an HTTP Retry-After value (seconds or an HTTP date); `fallbackMs` when it is missing or
   * unreadable. A date in the past gives 0.
   */
  static fromHeader(value: string | null | undefined, fallbackMs: number, now: Date = new Date()): RetryAfterError {
    const v = (value ?? '').trim();
    let ms = fallbackMs;
    if (/^\d+$/.test(v)) ms = Number(v) * 1000;
    else if (v !== '' && !Number.isNaN(Date.parse(v))) ms = Math.max(0, Date.parse(v) - now.getTime());
    return new RetryAfterError(ms, `retry after ${ms}ms (Retry-After: ${v === '' ? 'none' : v})`);
  }
}

/** Throw (or wrap as `cause`) to drop the task without retry or archive (Go RevokeTask). */
export class RevokeTask extends Error {
  constructor(message = 'revoke task', opts?: {cause?: unknown}) {
    super(message, opts);
    this.name = 'RevokeTask';
  }
}

/** Go's context.DeadlineExceeded: the attempt's timeout or deadline passed. */
export class DeadlineExceededError extends Error {
  constructor() {
    super('context deadline exceeded');
    this.name = 'DeadlineExceededError';
  }
}

/** Go's context.Canceled: the task was canceled (`asynq task cancel`) or the server shut down. */
export class CanceledError extends Error {
  constructor() {
    super('context canceled');
    this.name = 'CanceledError';
  }
}

/** Go's ErrLeaseExpired: the worker of a task stopped extending its lease (crash, network cut). */
export class LeaseExpiredError extends Error {
  constructor() {
    super('asynq: task lease expired');
    this.name = 'LeaseExpiredError';
  }
}

/** Go's errors.PanicError: the handler "panicked" (see isPanic in src/lib/handler.ts). `value` is what was thrown. */
export class HandlerPanicError extends Error {
  readonly value: unknown;
  constructor(value: unknown) {
    super(`panic error cause by: ${panicText(value)}`);
    this.name = 'HandlerPanicError';
    this.value = value;
    if (value instanceof Error && value.stack) this.stack = `${this.name}: ${this.message}\n${stackFrames(value.stack)}`;
  }
}

function stackFrames(stack: string): string {
  return stack.split('\n').filter((l) => /^\s+at /.test(l)).join('\n');
}

/** `panic [<file>:<line>]: <value>` from the first stack frame, or `panic: <value>` without one. */
function panicText(value: unknown): string {
  const text = value instanceof Error ? `${value.name}: ${value.message}` : describe(value);
  const frame = value instanceof Error && value.stack ? stackFrames(value.stack).split('\n')[0] : undefined;
  const loc = frame?.match(/\(?((?:file:\/\/)?[^\s()]+):(\d+):\d+\)?$/);
  if (!loc) return `panic: ${text}`;
  return `panic [${loc[1]!.replace(/^file:\/\//, '')}:${loc[2]}]: ${text}`;
}

function describe(value: unknown): string {
  if (typeof value === 'object' && value !== null) {
    try {
      return JSON.stringify(value);
    } catch {
      return String(value);
    }
  }
  return String(value);
}
