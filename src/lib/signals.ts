/**
 * The process signals of a long-running program, in one place (Go asynq's signals_unix.go
 * waitForSignals and signals_windows.go): this is the only module that calls `process.on` for
 * them. Server.run(), Scheduler.run() and PeriodicTaskManager.run() build on it, and so do the
 * CLI's long-running commands (src/cli/lifecycle.ts).
 *
 * - The first SIGINT or SIGTERM calls `stop`: begin a graceful shutdown.
 * - A later one calls `force` (the caller ends at once). Without `force`, every listener is
 *   removed at the first signal, so a second one gets Node's default action and ends the
 *   process: the usual "press Ctrl-C again to force".
 * - SIGHUP calls `reload`, until the first stop signal (no listener without `reload`, so SIGHUP
 *   keeps Node's default action).
 * - SIGTSTP calls `tstp` (Go: stop fetching new tasks; never listened to on Windows, as in Go).
 * - A stop signal within SAME_SIGNAL_MS of the first is the same one delivered twice, not a
 *   second press: `npm run`/`npx` forward the terminal's Ctrl-C to a child that already got it
 *   from the terminal (where the shell execs node, e.g. bash on macOS).
 */

/** Stop signals this close to the first are one signal delivered twice (see the module comment). */
export const SAME_SIGNAL_MS = 250;

export type StopSignal = 'SIGINT' | 'SIGTERM';

export interface StopSignalHandlers {
  /** The first SIGINT or SIGTERM. */
  stop: (signal: StopSignal) => void;
  /** Every SIGINT or SIGTERM after the first. Without it the listeners go at the first one. */
  force?: (signal: StopSignal) => void;
  /** SIGHUP before the first stop signal. */
  reload?: () => void;
  /** SIGTSTP (not on Windows). */
  tstp?: () => void;
  /** The stop signals listened to (default both). */
  signals?: readonly StopSignal[];
}

/** Listens for the stop signals (see the module comment); returns the function that removes every listener. Idempotent. */
export function onStopSignals(h: StopSignalHandlers): () => void {
  const stopSignals = h.signals ?? ['SIGINT', 'SIGTERM'];
  let stopping = false;
  let firstAt = 0;
  const listeners: [NodeJS.Signals, () => void][] = [];
  const dispose = (): void => {
    for (const [sig, fn] of listeners.splice(0)) process.off(sig, fn);
  };
  for (const sig of stopSignals) {
    listeners.push([sig, () => {
      if (stopping) {
        if (Date.now() - firstAt >= SAME_SIGNAL_MS) h.force?.(sig);
        return;
      }
      stopping = true;
      firstAt = Date.now();
      // Without `force`, the listeners go once a repeat can no longer be the same signal, so a
      // real second one gets Node's default action.
      if (h.force === undefined) setTimeout(dispose, SAME_SIGNAL_MS).unref();
      h.stop(sig);
    }]);
  }
  const reload = h.reload;
  if (reload !== undefined) listeners.push(['SIGHUP', () => { if (!stopping) reload(); }]);
  const tstp = h.tstp;
  if (tstp !== undefined && process.platform !== 'win32') listeners.push(['SIGTSTP', () => tstp()]);
  for (const [sig, fn] of listeners) process.on(sig, fn);
  return dispose;
}

/** Resolves on the first SIGINT or SIGTERM (or when `signal` aborts), then removes its listeners. */
export function waitForSignals(signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      dispose();
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const dispose = onStopSignals({stop: done});
    signal?.addEventListener('abort', done, {once: true});
  });
}
