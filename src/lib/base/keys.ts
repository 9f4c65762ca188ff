/**
 * Every Redis key of Go asynq (internal/base/base.go), byte-identical.
 * Braces are literal characters of the key: Redis Cluster hash tags, so all keys of a queue
 * hash to one slot. No other module builds key strings.
 */
import {createHash} from 'node:crypto';

export const allQueues = 'asynq:queues';
export const allServers = 'asynq:servers';
export const allWorkers = 'asynq:workers';
export const allSchedulers = 'asynq:schedulers';
export const cancelChannel = 'asynq:cancel';
/**
 * asynq-ts only: the pub/sub channel an asynq-ts enqueue of a pending task publishes on (an empty
 * message), so idle asynq-ts workers of the queue poll at once. A channel, not a key: nothing is
 * stored and Go peers never see it.
 */
export const wakeChannel = (q: string): string => `asynq:wake:${q}`;

export const queueKeyPrefix = (q: string): string => `asynq:{${q}}:`;
export const taskKeyPrefix = (q: string): string => `asynq:{${q}}:t:`;
export const groupKeyPrefix = (q: string): string => `asynq:{${q}}:g:`;

export const taskKey = (q: string, id: string): string => `asynq:{${q}}:t:${id}`;
export const pendingKey = (q: string): string => `asynq:{${q}}:pending`;
export const activeKey = (q: string): string => `asynq:{${q}}:active`;
export const scheduledKey = (q: string): string => `asynq:{${q}}:scheduled`;
export const retryKey = (q: string): string => `asynq:{${q}}:retry`;
export const archivedKey = (q: string): string => `asynq:{${q}}:archived`;
export const leaseKey = (q: string): string => `asynq:{${q}}:lease`;
export const completedKey = (q: string): string => `asynq:{${q}}:completed`;
export const pausedKey = (q: string): string => `asynq:{${q}}:paused`;
export const processedTotalKey = (q: string): string => `asynq:{${q}}:processed`;
export const failedTotalKey = (q: string): string => `asynq:{${q}}:failed`;
/**
 * asynq-ts only (Go has no such keys): tasks taken out of the flow because they cannot be
 * processed (no task hash, a task key of another Redis type, a message that does not decode): a
 * zset of task ids scored by when (unix s), and a hash of id → reason.
 */
export const corruptKey = (q: string): string => `asynq:{${q}}:corrupt`;
export const corruptReasonsKey = (q: string): string => `asynq:{${q}}:corrupt_reasons`;
export const allGroups = (q: string): string => `asynq:{${q}}:groups`;
export const allAggregationSets = (q: string): string => `asynq:{${q}}:aggregation_sets`;
export const groupKey = (q: string, group: string): string => `asynq:{${q}}:g:${group}`;
export const aggregationSetKey = (q: string, group: string, setId: string): string =>
  `asynq:{${q}}:g:${group}:${setId}`;

let lastDay = NaN;
let lastDate = '';

/**
 * UTC calendar date `YYYY-MM-DD` of the given instant. The last day's text is kept: every done,
 * retry and archive builds a daily stats key, and toISOString per task is measurable.
 */
export function utcDate(at: Date): string {
  const day = Math.floor(at.getTime() / 86_400_000);
  if (day !== lastDay) {
    lastDate = at.toISOString().slice(0, 10);
    lastDay = day;
  }
  return lastDate;
}

export const processedKey = (q: string, at: Date): string => `asynq:{${q}}:processed:${utcDate(at)}`;
export const failedKey = (q: string, at: Date): string => `asynq:{${q}}:failed:${utcDate(at)}`;

/**
 * Uniqueness lock key: `asynq:{q}:unique:<type>:<md5hex(payload)>`. A null payload (Go nil) gives
 * an empty suffix; an empty but present payload gives the MD5 of zero bytes.
 */
export function uniqueKey(q: string, type: string, payload: Uint8Array | null): string {
  if (payload === null) return `asynq:{${q}}:unique:${type}:`;
  return `asynq:{${q}}:unique:${type}:${createHash('md5').update(payload).digest('hex')}`;
}

export const serverInfoKey = (host: string, pid: number, serverId: string): string =>
  `asynq:servers:{${host}:${pid}:${serverId}}`;
export const workersKey = (host: string, pid: number, serverId: string): string =>
  `asynq:workers:{${host}:${pid}:${serverId}}`;
export const schedulerEntriesKey = (schedulerId: string): string => `asynq:schedulers:{${schedulerId}}`;
export const schedulerHistoryKey = (entryId: string): string => `asynq:scheduler_history:${entryId}`;

/**
 * asynq-ts only (Go has no such key): the lock that lets exactly one of several schedulers enqueue
 * one tick of a periodic entry. `entryIdentity` is the SHA-256 hex of the entry, `tick` the tick's
 * number (unix seconds, or the window number of an `@every` entry). Expires shortly after the tick.
 */
export const schedulerTickLockKey = (q: string, entryIdentity: string, tick: number): string =>
  `asynq:{${q}}:scheduler_lock:${entryIdentity}:${tick}`;

/**
 * Go x/rate's semaphore (x/rate/semaphore.go `semaphoreKey`): a zset of task ids scored by their
 * deadline (unix s). Not hash-tagged. asynq-ts concurrency caps use the same key, so a Go handler
 * with `rate.NewSemaphore(rco, scope, n)` and an asynq-ts limit of the same scope share one cap.
 */
export const semaphoreKey = (scope: string): string => `asynq:sema:${scope}`;
/**
 * asynq-ts only (rate limits, Go has no such keys): the GCRA state of a limit (a hash with a TTL)
 * and the zset of task ids the limit sent back to wait (score: when they are due, unix ms; TTL).
 * Hash-tagged with the semaphore key's name, so on Redis Cluster they live in its slot and one
 * script can check a limit's cap and rate together. Outside every `asynq:{<queue>}:` pattern Go
 * reads.
 */
export const limitRateKey = (scope: string): string => `asynq:limit:{${semaphoreKey(scope)}}:rate`;
export const limitWaitingKey = (scope: string): string => `asynq:limit:{${semaphoreKey(scope)}}:waiting`;
/**
 * asynq-ts only: the limits a server enforces (JSON), written by its heartbeat beside
 * asynq:servers:{…} with the same TTL. Go's ListServers never reads it.
 */
export const serverLimitsKey = (host: string, pid: number, serverId: string): string => `asynq:limits:{${host}:${pid}:${serverId}}`;
