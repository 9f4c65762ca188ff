/**
 * The `--json` documents that are more than one mapper call: `asynq stats`, `queue history` and
 * `cron history` build them here, and so does the `asynq web` API (src/web), so that the CLI and the
 * API can never disagree.
 */
import {QueueNotFoundError, SchedulerEntryNotFoundError, errorMessage, isBadData} from '../../lib/errors.js';
import type {Inspector, Pagination, QueueInfo} from '../../lib/inspector.js';
import {
  dailyStatsJson,
  enqueueEventJson,
  queueInfoJson,
  type DailyStatsJson,
  type EnqueueEventJson,
} from '../views/json.js';
import type {QueueInfoJson} from '../views/json.js';

const COUNTED = [
  'active',
  'pending',
  'aggregating',
  'scheduled',
  'retry',
  'archived',
  'completed',
  'processed',
  'failed',
] as const;

/** A queue left out because its keys hold bad data (a key of the wrong Redis type), and why. */
export interface BrokenQueue {
  queue: string;
  error: string;
}

/** `asynq stats --json`. */
export interface StatsResult {
  /** Sums over all queues; processed/failed are today's (UTC). */
  aggregate: Record<(typeof COUNTED)[number], number> & {timestamp: string};
  queues: QueueInfoJson[];
  /** INFO fields of the server (CLUSTER INFO fields on a Redis Cluster). */
  redis: Record<string, string>;
  /** Only when some: queues left out because their keys hold bad data (exit status 6). */
  brokenQueues?: BrokenQueue[];
}

/**
 * Every queue's info, sorted by name, read concurrently (one fixed-cost read per queue). A queue
 * whose keys hold bad data is left out and listed in `broken`; one removed while reading is left out.
 */
export async function readQueueInfos(inspector: Inspector): Promise<{infos: QueueInfo[]; broken: BrokenQueue[]}> {
  const names = await inspector.queues();
  const read = await Promise.all(
    names.map(async (q): Promise<QueueInfo | BrokenQueue | null> => {
      try {
        return await inspector.getQueueInfo(q);
      } catch (err) {
        if (err instanceof QueueNotFoundError) return null;
        if (!isBadData(err)) throw err;
        return {queue: q, error: errorMessage(err)};
      }
    }),
  );
  const infos: QueueInfo[] = [];
  const broken: BrokenQueue[] = [];
  for (const r of read) {
    if (r === null) continue;
    if ('error' in r) broken.push(r);
    else infos.push(r);
  }
  return {infos, broken};
}

/** The document of `asynq stats --json`: every queue, the sums, and Redis INFO. */
export async function statsDocument(inspector: Inspector): Promise<StatsResult> {
  const [{infos, broken}, {info}] = await Promise.all([readQueueInfos(inspector), inspector.redisInfo()]);
  const sums = Object.fromEntries(COUNTED.map((k) => [k, infos.reduce((n, q) => n + q[k], 0)])) as Record<
    (typeof COUNTED)[number],
    number
  >;
  return {
    aggregate: {...sums, timestamp: (infos[0]?.timestamp ?? new Date()).toISOString()},
    queues: infos.map(queueInfoJson),
    redis: info,
    ...(broken.length > 0 ? {brokenQueues: broken} : {}),
  };
}

/** One element of `asynq queue history --json`. */
export interface QueueHistoryDocument {
  queue: string;
  days: DailyStatsJson[];
}

export async function queueHistoryDocument(
  inspector: Inspector,
  queue: string,
  days: number,
): Promise<QueueHistoryDocument> {
  return {queue, days: (await inspector.history(queue, days)).map(dailyStatsJson)};
}

/** One element of `asynq cron history --json`. */
export interface CronHistoryDocument {
  entryId: string;
  events: EnqueueEventJson[];
}

/**
 * One page of a scheduler entry's enqueue events. An ID that no running scheduler has and that
 * has no history is SchedulerEntryNotFoundError (Go's CLI prints an empty history). `live`, when
 * given, is the set of live entry IDs (read once for several IDs).
 */
export async function cronHistoryDocument(
  inspector: Inspector,
  entryId: string,
  pgn: Required<Pagination>,
  live?: () => Promise<Set<string>>,
): Promise<CronHistoryDocument> {
  const events = await inspector.listSchedulerEnqueueEvents(entryId, pgn);
  if (events.length === 0) {
    const ids = live ? await live() : new Set((await inspector.schedulerEntries()).map((e) => e.id));
    const hasHistory =
      pgn.page > 1 && (await inspector.listSchedulerEnqueueEvents(entryId, {page: 1, size: 1})).length > 0;
    if (!ids.has(entryId) && !hasHistory) throw new SchedulerEntryNotFoundError(entryId);
  }
  return {entryId, events: events.map(enqueueEventJson)};
}
