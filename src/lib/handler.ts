/**
 * What a task handler sees (Go asynq's Handler, HandlerFunc, context.Context, ResultWriter and
 * PanicError), in TypeScript: the context is a TaskContext whose AbortSignal fires on timeout,
 * deadline, cancelation, lease loss and shutdown, with the Go error as `signal.reason`.
 *
 * How a handler's outcome maps to Go's (the text is what ends up in the task's `error_msg`):
 * - returns / resolves                     → success (Go: `return nil`);
 * - throws or rejects with an Error        → failure, `error_msg` = `err.message` (Go: `return err`);
 * - "panics"                               → failure, `error_msg` = `panic error cause by: panic [<file>:<line>]: <value>`
 *   (`panic error cause by: panic: <value>` without a location). A panic is what Go would get from a
 *   programming bug rather than from `return err`: a thrown value that is not an Error
 *   (`throw 'boom'`, `throw undefined`), or an Error of exactly one of the JavaScript engine's
 *   bug classes (TypeError, ReferenceError, RangeError, EvalError — the equivalent of Go's nil
 *   dereference or index out of range) without a `cause`. Subclasses of those, built-in errors
 *   that wrap a cause (`TypeError('fetch failed', {cause})`), and SyntaxError/URIError (thrown by
 *   JSON.parse and decodeURIComponent on bad data, where Go returns an error) are plain failures.
 *   See isPanic().
 * - timeout or deadline                    → `context deadline exceeded` (DeadlineExceededError);
 * - cancelation (`asynq task cancel`)      → `context canceled` (CanceledError);
 * - lease lost                             → `asynq: task lease expired` (LeaseExpiredError; no Redis write).
 */
import type {RDB} from './broker/rdb.js';
import {HandlerPanicError, errorMessage} from './errors.js';
import type {ResultWriter, Task} from './task.js';

/** Task facts and the abort signal handed to a handler (Go: the handler's context.Context). */
export interface TaskContext {
  /**
   * Aborts on timeout/deadline (reason DeadlineExceededError), cancelation and shutdown
   * (CanceledError) and lease loss (LeaseExpiredError); also aborted once the attempt is over.
   * Aborting is cooperative: the task's outcome is decided at once, but the handler's code keeps
   * running until it checks the signal (pass it on to fetch, timers, child processes…).
   */
  signal: AbortSignal;
  taskId: string;
  queue: string;
  /** Retries already used before this attempt (Go GetRetryCount). */
  retryCount: number;
  /** Go GetMaxRetry. */
  maxRetry: number;
  /** When this attempt's signal fires with DeadlineExceededError (Go processor.go `computeDeadline`). */
  deadline: Date;
}

/**
 * Internal: the processor's TaskContext carries its attempt under this key, so that a middleware
 * can tell whether the attempt was aborted without reading ctx.signal (the AbortSignal is built
 * on first read, and a handler that never reads it costs none).
 */
export const ATTEMPT_STATE: unique symbol = Symbol('asynq.attemptState');

/** Whether ctx's attempt was aborted, and why (ctx.signal for a context the processor did not build). */
export function attemptState(ctx: TaskContext): {readonly aborted: boolean; readonly reason: unknown} {
  return (ctx as {[ATTEMPT_STATE]?: {readonly aborted: boolean; readonly reason: unknown}})[ATTEMPT_STATE] ?? ctx.signal;
}

/** A function handler. Returning (or resolving) means success; throwing or rejecting means failure. */
export type HandlerFunc = (task: Task, ctx: TaskContext) => Promise<void> | void;

/** An object handler (Go's Handler interface); ServeMux is one. */
export interface Handler {
  processTask(task: Task, ctx: TaskContext): Promise<void> | void;
}

/** Wraps a handler (Go MiddlewareFunc); it may return a Handler or a HandlerFunc. */
export type MiddlewareFunc = (next: Handler) => Handler | HandlerFunc;

/** Called once for every failed attempt, before the task is retried, archived or revoked (Go ErrorHandler). */
export type ErrorHandlerFunc = (task: Task, err: Error, ctx: TaskContext) => Promise<void> | void;
export interface ErrorHandler {
  handleError(task: Task, err: Error, ctx: TaskContext): Promise<void> | void;
}

/** A Handler for either form; throws TypeError for anything else (Go: nil handler). */
export function toHandler(h: Handler | HandlerFunc): Handler {
  if (typeof h === 'function') return {processTask: h};
  if (h && typeof (h as Handler).processTask === 'function') return h;
  throw new TypeError('asynq: nil handler');
}

const ENGINE_ERRORS: ReadonlyArray<new () => Error> = [TypeError, ReferenceError, RangeError, EvalError];

/** Whether a thrown value counts as a Go panic (see the module comment). */
export function isPanic(thrown: unknown): boolean {
  if (!(thrown instanceof Error)) return true;
  const proto = Object.getPrototypeOf(thrown) as unknown;
  return ENGINE_ERRORS.some((cls) => cls.prototype === proto) && thrown.cause === undefined;
}

/** The Error a failed attempt is handled with: panics become HandlerPanicError, other Errors stay. */
export function toHandlerError(thrown: unknown): Error {
  return isPanic(thrown) ? new HandlerPanicError(thrown) : (thrown as Error);
}

/**
 * The server's ResultWriter (task.resultWriter inside a handler; Go ResultWriter): `HSET asynq:{<queue>}:t:<id> result <bytes>`.
 * Refused once the attempt is over (its signal aborted), as Go refuses after the context is done.
 * The result stays visible only when the task is retained (retention > 0).
 */
export class TaskResultWriter implements ResultWriter {
  readonly #rdb: Pick<RDB, 'writeResult'>;
  readonly #queue: string;
  readonly #taskId: string;
  readonly #signal: Pick<AbortSignal, 'aborted' | 'reason'>;

  constructor(params: {rdb: Pick<RDB, 'writeResult'>; queue: string; taskId: string; signal: Pick<AbortSignal, 'aborted' | 'reason'>}) {
    this.#rdb = params.rdb;
    this.#queue = params.queue;
    this.#taskId = params.taskId;
    this.#signal = params.signal;
  }

  /** The ID of the task this writer writes to. */
  get taskId(): string {
    return this.#taskId;
  }

  /** Writes the result (strings as UTF-8) and returns the number of bytes written. */
  async write(data: Uint8Array | string): Promise<number> {
    if (this.#signal.aborted) {
      throw new Error(`failed to write task result: ${errorMessage(this.#signal.reason)}`);
    }
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    return this.#rdb.writeResult(this.#queue, this.#taskId, bytes);
  }
}
