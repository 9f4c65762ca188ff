/**
 * Handler outcome controls and retry policy, as Go asynq: SkipRetry archives at once,
 * RevokeTask drops the task (counted as processed), the default retry delay is
 * n^4 + 15 + rand[0,30)·(n+1) seconds with n = retries used before this failure.
 */
import {RetryAfterError, RevokeTask, SkipRetry, errorMessage} from './errors.js';
import type {Task} from './task.js';

function walk(err: unknown, cls: new (...a: never[]) => Error): boolean {
  const seen = new Set<unknown>();
  let e: unknown = err;
  while (e && !seen.has(e)) {
    if (e instanceof cls) return true;
    seen.add(e);
    e = (e as {cause?: unknown}).cause;
  }
  return false;
}

/** True when err is, or wraps (via `cause`), a SkipRetry. */
export const isSkipRetry = (err: unknown): boolean => walk(err, SkipRetry);
/** True when err is, or wraps (via `cause`), a RevokeTask. */
export const isRevokeTask = (err: unknown): boolean => walk(err, RevokeTask);

/**
 * The delay (ms, at least 0) of a RetryAfterError that err is or wraps (via `cause`); undefined for
 * any other error. A non-finite delay counts as 0.
 */
export function retryAfterMs(err: unknown): number | undefined {
  const seen = new Set<unknown>();
  let e: unknown = err;
  while (e && !seen.has(e)) {
    if (e instanceof RetryAfterError) return Number.isFinite(e.delayMs) ? Math.max(0, e.delayMs) : 0;
    seen.add(e);
    e = (e as {cause?: unknown}).cause;
  }
  return undefined;
}

/** Returns the delay in milliseconds before the next attempt. */
export type RetryDelayFunc = (retried: number, err: unknown, task: Task) => number;
/** Whether an error counts as a failure (default: every error does). */
export type IsFailureFunc = (err: unknown) => boolean;

export const defaultIsFailure: IsFailureFunc = () => true;

/** Go's DefaultRetryDelayFunc: n^4 + 15 + rand[0,30)*(n+1) seconds. */
export function defaultRetryDelayFunc(retried: number, _err?: unknown, _task?: Task, random: () => number = Math.random): number {
  const n = retried;
  const s = n ** 4 + 15 + Math.floor(random() * 30) * (n + 1);
  return s * 1000;
}

/**
 * The delay (ms) a RetryDelayFunc gives, guarded as the processor and the recoverer use it: a
 * throw or a non-finite result is logged and replaced by Go's default delay; a negative one → 0.
 */
export function guardedRetryDelay(
  fn: RetryDelayFunc, retried: number, err: Error, task: Task, taskId: string, logger: {error(msg: string): void},
  random: () => number = Math.random,
): number {
  try {
    const d = fn(retried, err, task);
    if (Number.isFinite(d)) return Math.max(0, d);
    logger.error(`retryDelayFunc returned ${String(d)} for task id=${taskId}; using the default delay`);
  } catch (e) {
    logger.error(`retryDelayFunc failed for task id=${taskId}: ${errorMessage(e)}; using the default delay`);
  }
  return defaultRetryDelayFunc(retried, err, task, random);
}

/** An IsFailureFunc's answer; a throw is logged and counts as a failure. */
export function guardedIsFailure(fn: IsFailureFunc, err: Error, logger: {error(msg: string): void}): boolean {
  try {
    return Boolean(fn(err));
  } catch (e) {
    logger.error(`isFailure failed: ${errorMessage(e)}; counting the error as a failure`);
    return true;
  }
}
