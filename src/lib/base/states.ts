/** Task states, as stored in the task hash's `state` field. */
export const TASK_STATES = ['pending', 'active', 'scheduled', 'retry', 'archived', 'completed', 'aggregating'] as const;
export type TaskState = (typeof TASK_STATES)[number];

export function isTaskState(s: string): s is TaskState {
  return (TASK_STATES as readonly string[]).includes(s);
}

export const DEFAULT_QUEUE = 'default';
export const DEFAULT_MAX_RETRY = 25;
/** Default task timeout when neither timeout nor deadline is given: 30 min, in seconds. */
export const DEFAULT_TIMEOUT_SECONDS = 1800;
/** Lease duration at dequeue and on each extension, seconds. */
export const LEASE_SECONDS = 30;
/** Daily stats counters expire this long after creation. */
export const STATS_TTL_SECONDS = 90 * 24 * 3600;
/** Archived tasks older than this are trimmed when another task is archived. */
export const ARCHIVED_EXPIRATION_SECONDS = 90 * 24 * 3600;
export const MAX_ARCHIVE_SIZE = 10_000;
/** Aggregation sets not deleted within this long are reclaimed by the recoverer. */
export const AGGREGATION_TIMEOUT_SECONDS = 120;
export const MAX_SCHEDULER_EVENTS = 1000;
/** Go's math.MaxInt64, passed to scripts as the wrap-around mark of total counters. */
export const MAX_INT64 = '9223372036854775807';

/**
 * Go asynq validates queue names only as "not blank after trimming whitespace".
 * Returns an error message, or undefined when the name is valid.
 */
export function validateQueueName(q: string): string | undefined {
  if (typeof q !== 'string' || q.trim().length === 0) return 'queue name must contain one or more characters';
  return undefined;
}
