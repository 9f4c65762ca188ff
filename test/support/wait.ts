/**
 * Waiting in tests without fixed sleeps: poll a condition with a deadline, a promise resolved from
 * outside, and a scheduler timer that only wakes when aborted.
 */
import type {SchedulerTimer} from '../../src/lib/scheduler.js';

export interface WaitOptions {
  /** Poll interval in ms (default 5). */
  everyMs?: number;
  /** A throw from `cond` counts as "not yet" (a node still loading) instead of failing at once. */
  retryErrors?: boolean;
}

/**
 * Polls `cond` until it returns a truthy value and returns that value. After `timeoutMs` it fails
 * with "timed out after … waiting for <what>", or, when `what` is a function, with its result.
 */
export async function waitFor<T>(
  cond: () => T | Promise<T>,
  what: string | (() => string | Promise<string>),
  timeoutMs = 5_000,
  opts: WaitOptions = {},
): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      const v = await cond();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      if (!opts.retryErrors) throw err;
    }
    if (Date.now() > end) {
      throw new Error(typeof what === 'string' ? `timed out after ${timeoutMs} ms waiting for ${what}` : await what());
    }
    await new Promise((r) => setTimeout(r, opts.everyMs ?? 5));
  }
}

/** A promise with its resolve function exposed. */
export function deferred<T = void>(): {promise: Promise<T>; resolve: (v: T) => void} {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return {promise, resolve};
}

/** A scheduler timer that never fires on its own: the tests drive ticks with scheduler.tick(now). */
export const manualTimer: SchedulerTimer = {
  sleep: (_ms, signal) =>
    new Promise((resolve) => {
      if (signal.aborted) return resolve();
      signal.addEventListener('abort', () => resolve(), {once: true});
    }),
};
