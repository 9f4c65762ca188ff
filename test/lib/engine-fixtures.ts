/**
 * Helpers for the engine component tests (processor, heartbeater, syncer, subscriber, server):
 * waiting for a condition with a deadline (no fixed sleeps) and a controllable promise.
 */

/** Polls `cond` every 5 ms until it is truthy; fails after `timeoutMs`. */
export async function waitFor<T>(cond: () => T | Promise<T>, what: string, timeoutMs = 5_000): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await cond();
    if (v) return v as NonNullable<T>;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A promise with its resolve function exposed. */
export function deferred<T = void>(): {promise: Promise<T>; resolve: (v: T) => void} {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return {promise, resolve};
}
