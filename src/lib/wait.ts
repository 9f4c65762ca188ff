/**
 * Waiting for a task to finish (`asynq enqueue --wait`): polls the task's state until it is
 * completed or archived. Go asynq has no such call; it is what a CI job needs to turn a task into
 * an exit status.
 *
 * - completed → resolves with the final TaskInfo (its `result` is the handler's result, which is
 *   only kept when the task has a retention: enqueue with `retention` to be able to read it);
 * - archived → resolves with the final TaskInfo as well (`lastErr` says why); `waitForTaskSuccess`
 *   turns that into a TaskFailedError;
 * - the time limit passes first → WaitTimeoutError (the task is left as it is);
 * - the task disappears → TaskNotFoundError (deleted, aggregated into another task, or it completed
 *   without a retention and was removed at once);
 * - the signal aborts → rejects with the signal's reason.
 *
 * Polling starts fast (25 ms, doubling) and settles at `pollMs`, so short tasks return quickly and
 * long ones cost one small script call per `pollMs`.
 */
import {realClock, type Clock} from './clock.js';
import {TaskFailedError, TaskNotFoundError, WaitTimeoutError} from './errors.js';
import {sleep} from './sleep.js';
import type {TaskInfo} from './task.js';

/** Where task states are read from: an Inspector (or a test double). */
export interface TaskInfoSource {
  getTaskInfo(queue: string, id: string): Promise<TaskInfo>;
}

export interface WaitOptions {
  /** Give up after this long (ms) with WaitTimeoutError; default: wait forever. */
  timeoutMs?: number;
  /** Longest pause between two polls (ms); default 500. */
  pollMs?: number;
  /** Aborting rejects the wait with the signal's reason. */
  signal?: AbortSignal;
  /** Called with every state read. */
  onUpdate?: (info: TaskInfo) => void;
  /**
   * Called once for each read that shows a new attempt that did not succeed (not for the one
   * that archived the task: that is the result): `counted` when it used up a retry (`retried` went up), otherwise a
   * retry that the server's isFailure did not count (its `lastFailedAt` or `lastErr` changed,
   * e.g. `worker run --exec` exit 75). Attempts between two reads are reported as one.
   */
  onAttempt?: (info: TaskInfo, counted: boolean) => void;
  /** The task as last known (e.g. as enqueue returned it): attempts after it are reported; default: the first read. */
  previous?: TaskInfo;
  clock?: Clock;
}

/** The states in which a task will not change any more by itself. */
export const FINAL_STATES: ReadonlySet<string> = new Set(['completed', 'archived']);

const FIRST_POLL_MS = 25;
const DEFAULT_POLL_MS = 500;

/**
 * Resolves with the task's TaskInfo once it is completed or archived. Rejects with
 * WaitTimeoutError, TaskNotFoundError (also when it vanished while waited for), QueueNotFoundError,
 * the signal's reason, or a Redis error.
 */
export async function waitForTask(source: TaskInfoSource, queue: string, id: string, opts: WaitOptions = {}): Promise<TaskInfo> {
  const clock = opts.clock ?? realClock;
  const pollMs = Math.max(1, opts.pollMs ?? DEFAULT_POLL_MS);
  const started = clock.now().getTime();
  const limit = opts.timeoutMs === undefined ? Infinity : started + Math.max(0, opts.timeoutMs);
  let pause = Math.min(FIRST_POLL_MS, pollMs);
  let seen = false;
  let last = opts.previous;
  for (;;) {
    opts.signal?.throwIfAborted();
    let info: TaskInfo;
    try {
      info = await source.getTaskInfo(queue, id);
    } catch (err) {
      if (seen && err instanceof TaskNotFoundError) {
        throw Object.assign(new TaskNotFoundError(queue, id), {
          message: `task ${id} in queue "${queue}" no longer exists (deleted, aggregated, or completed without a retention)`,
        });
      }
      throw err;
    }
    seen = true;
    opts.onUpdate?.(info);
    if (last !== undefined && opts.onAttempt !== undefined && info.state !== 'archived') {
      const counted = info.retried > last.retried;
      if (counted || info.lastFailedAt?.getTime() !== last.lastFailedAt?.getTime() || info.lastErr !== last.lastErr) opts.onAttempt(info, counted);
    }
    last = info;
    if (FINAL_STATES.has(info.state)) return info;
    const now = clock.now().getTime();
    if (now >= limit) throw new WaitTimeoutError(queue, id, info.state, now - started);
    await sleep(Math.min(pause, limit - now), opts.signal);
    pause = Math.min(pause * 2, pollMs);
  }
}

/** waitForTask, but an archived task rejects with TaskFailedError (its last error as the message). */
export async function waitForTaskSuccess(source: TaskInfoSource, queue: string, id: string, opts: WaitOptions = {}): Promise<TaskInfo> {
  const info = await waitForTask(source, queue, id, opts);
  if (info.state === 'archived') throw new TaskFailedError(queue, id, info.lastErr);
  return info;
}
