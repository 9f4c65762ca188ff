/** Shared by the scheduler and periodic task manager tests. */
import type {Logger} from '../../src/lib/logger.js';
import type {SchedulerTimer} from '../../src/lib/scheduler.js';

/** A timer that never fires on its own: the tests drive ticks with scheduler.tick(now). */
export const manualTimer: SchedulerTimer = {
  sleep: (_ms, signal) => new Promise((resolve) => {
    if (signal.aborted) return resolve();
    signal.addEventListener('abort', () => resolve(), {once: true});
  }),
};

/** A logger that keeps its lines ("LEVEL message") for assertions. */
export function captureLogger(): Logger & {lines: string[]} {
  const lines: string[] = [];
  const push = (level: string) => (m: string): void => void lines.push(`${level} ${m}`);
  return {lines, debug: push('DEBUG'), info: push('INFO'), warn: push('WARN'), error: push('ERROR')};
}
