/**
 * Abortable sleep for the engine's loops: a setTimeout that resolves early (never rejects) when
 * the signal aborts, so a shutdown never waits out an interval.
 */

/** The largest delay setTimeout honours (2^31 − 1 ms ≈ 24.8 days); longer ones would fire at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Calls `fn` once after `ms` milliseconds, chaining timers past MAX_TIMER_MS (a task deadline can
 * be months away). Returns a function that cancels the call.
 */
export function setLongTimeout(fn: () => void, ms: number): () => void {
  let timer: NodeJS.Timeout;
  const arm = (left: number): void => {
    timer = setTimeout(() => (left > MAX_TIMER_MS ? arm(left - MAX_TIMER_MS) : fn()), Math.max(0, Math.min(left, MAX_TIMER_MS)));
  };
  arm(ms);
  return () => clearTimeout(timer);
}

/** Resolves after `ms` milliseconds, or as soon as `signal` aborts (already aborted: at once). Never rejects. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const onAbort = (): void => {
      cancel();
      resolve();
    };
    const cancel = setLongTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, {once: true});
  });
}
