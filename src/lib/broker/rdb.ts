/**
 * RDB: the Redis broker of asynq-ts (Go asynq internal/rdb/rdb.go). Every task state change is one
 * atomic Lua script from src/lib/scripts; the state afterwards is byte-compatible with Go asynq.
 * Units as in Go's rdb.go: scores in unix seconds, pending_since in unix ns.
 */
import * as keys from '../base/keys.js';
import {decodeTaskMessage, encodeTaskMessage, type TaskMessage} from '../base/codec.js';
import {ARCHIVED_EXPIRATION_SECONDS, DEFAULT_TIMEOUT_SECONDS, LEASE_SECONDS, MAX_ARCHIVE_SIZE, MAX_INT64, STATS_TTL_SECONDS} from '../base/states.js';
import {unixNanosString, unixSeconds} from '../clock.js';
import {ReplicationTimeoutError, ValidationError, WrongTypeError, errorMessage, isBadData} from '../errors.js';
import {validateOption} from '../option-specs.js';
import {claimLimitArgs, type ClaimDecisions, type ClaimPlan} from './limits.js';
import {ReplicaWaiter, type ReplicaWait} from './replica-wait.js';
import {brokerError, RedisSession, type Op} from './session.js';
import type {RedisClient, ScriptArg, ScriptRunner} from './script-runner.js';
import type {Clock} from '../clock.js';
import type {ChainableCommander} from 'ioredis';

export interface RDBOptions {
  clock?: Clock;
  /**
   * When set, every task-creating write (the enqueue/schedule/addToGroup scripts, unique or not,
   * each enqueueBatch pipeline, and the first SADD asynq:queues of a queue) is followed in the
   * same pipeline by `WAIT replicas timeoutMs`: same connection, and on a Cluster the node of the
   * queue's slot (a keyless command rides on the node of the pipeline's keys). Fewer
   * acknowledgements → ReplicationTimeoutError. See ReplicaWaiter.create (replica-wait.ts) for
   * connection changes.
   */
  waitForReplicas?: ReplicaWait;
}

/** Daily stats counters expire 90 days after the write that creates them (EXPIREAT, unix s). */
const statsExpiry = (now: Date): number => unixSeconds(now) + STATS_TTL_SECONDS;

/**
 * Pending tasks per enqueueBatch call in enqueueBatch(): one command for many tasks (the client
 * spends most of a batch building commands), small enough that one call keeps Redis busy well
 * under a millisecond.
 */
export const ENQUEUE_BATCH_SIZE = 100;

/**
 * Bad data met by dequeue(), listLeaseExpired() or RDBGroups.readAggregationSet(). With `id`: a task taken out of the flow because
 * it cannot be processed, now in the queue's corrupt zset (asynq:{<queue>}:corrupt) with `reason`.
 * Without: a key of the queue holds another Redis type (`reason` is Redis' WRONGTYPE error); the
 * queue was skipped and nothing was written.
 */
export interface BadData {
  queue: string;
  id?: string;
  /** Why: "no task hash", "task key holds a string, not a hash", "cannot decode TaskMessage: …". */
  reason: string;
}

/** The log line for bad data: `task id=… in queue "…" moved aside …: <reason>` or the skipped queue. */
export function movedAsideText(bad: BadData): string {
  if (bad.id === undefined) return `queue "${bad.queue}" skipped: ${bad.reason}`;
  return `task id=${bad.id} in queue "${bad.queue}" cannot be processed and was moved aside to ${keys.corruptKey(bad.queue)}: ${bad.reason}`;
}

/** Told about every task moved aside and every queue skipped, one call each. */
export type OnBadData = (bad: BadData) => void;

/** Most corrupt pending ids one dequeue() moves aside in one queue before it goes on to the next. */
const MAX_MOVED_ASIDE_PER_DEQUEUE = 100;
/** Most tasks one forwardAll-0.lua call moves before it stops (the caller calls again): bounds the time Redis spends in one call. */
const FORWARD_BUDGET = 1_000;

/** A task a dequeue leased: its message and when its lease expires. */
export interface Dequeued {
  msg: TaskMessage;
  leaseExpiresAt: Date;
  /** Decided under the claim's limits (a ClaimPlan) and started: its tokens are taken. */
  admitted?: true;
}

/** A script's error reply text for one item of a batch, as the error its own script call would reject with. */
function itemError(op: Op, text: string, task?: {queue: string; id: string}): Error {
  const reply = new Error(text);
  reply.name = 'ReplyError';
  return brokerError(op, reply, task);
}

/**
 * The message of task `id` in queue `q`, or why it cannot be processed: bytes that do not decode
 * (or lack an id, type or queue), or a message that names another task than its key.
 */
export function checkedMessage(q: string, id: string, bytes: Buffer): TaskMessage | string {
  let msg: TaskMessage;
  try {
    msg = decodeTaskMessage(bytes);
  } catch (err) {
    return errorMessage(err);
  }
  if (msg.id !== id || msg.queue !== q) return `message is of task ${JSON.stringify(msg.id)} in queue ${JSON.stringify(msg.queue)}, not of its key`;
  return msg;
}

/** ARGV of the corrupt zset's trim: now, the 90-day cutoff and the size limit (as the archive). */
export function corruptTrimArgs(now: Date): number[] {
  return [unixSeconds(now), unixSeconds(now) - ARCHIVED_EXPIRATION_SECONDS, MAX_ARCHIVE_SIZE];
}

/**
 * The lock TTL as the scripts get it: whole seconds, truncated like Go's int(ttl.Seconds()).
 * Checked by the unique option's own rule before anything is sent, since `SET … EX 0` would be a Redis error.
 */
function lockTtl(msg: TaskMessage, ttlSeconds: number): number {
  if (!msg.uniqueKey) throw new ValidationError('unique task needs msg.uniqueKey (asynq:{<queue>}:unique:<type>:<md5>)');
  const ttl = Math.trunc(ttlSeconds);
  validateOption('unique', ttl * 1000);
  return ttl;
}

export class RDB {
  /** The connection, scripts, clock and queue cache that RDBState, RDBGroups and RDBInspector share. */
  readonly session: RedisSession;
  readonly #writes: ReplicaWaiter;

  constructor(client: RedisClient, opts: RDBOptions = {}) {
    this.session = new RedisSession(client, opts);
    this.#writes = new ReplicaWaiter(this.session, opts.waitForReplicas);
  }

  get client(): RedisClient { return this.session.client; }
  get runner(): ScriptRunner { return this.session.runner; }
  get clock(): Clock { return this.session.clock; }

  /**
   * PING. Rejects with the raw ioredis error, as Go's RDB.Ping: Server.start and the Healthchecker
   * word it themselves; Client.ping and Inspector.ping wrap it as 'rdb.Ping'.
   */
  async ping(): Promise<void> {
    await this.client.ping();
  }

  /**
   * SADD asynq:queues once per process per queue (separate command, before the script). With
   * waitForReplicas it is WAITed for too (on a Cluster asynq:queues may live on another node than
   * the queue); ReplicationTimeoutError (queue not cached) when too few replicas acknowledge.
   */
  async registerQueue(qname: string): Promise<void> {
    const op = 'rdb.RegisterQueue';
    const published = this.session.publishedQueues;
    if (published.has(qname)) return;
    const wait = this.#writes.wait;
    if (wait) {
      await this.session.run(op, async () => {
        const {replies: [[err]], acked, wanted, uncertain} = await this.#writes.exec({key: keys.allQueues, queue: qname}, (p) => p.sadd(keys.allQueues, qname));
        if (err && !uncertain) throw err;
        if (uncertain || acked < wanted) {
          throw new ReplicationTimeoutError(qname, undefined, uncertain ? null : acked, wanted, wait.timeoutMs);
        }
      });
    } else {
      await this.session.run(op, () => this.client.sadd(keys.allQueues, qname));
    }
    published.add(qname);
  }

  /** Forget a queue in the registration cache (after it was removed, or a failed batch). */
  forgetQueue(qname: string): void {
    this.session.publishedQueues.delete(qname);
  }

  /** Adds a task to the pending list. Throws TaskIdConflictError if the ID exists. */
  async enqueue(msg: TaskMessage): Promise<void> {
    await this.registerQueue(msg.queue);
    await this.#writes.create(
      'rdb.Enqueue', 'enqueue',
      [keys.taskKey(msg.queue, msg.id), keys.pendingKey(msg.queue)],
      [encodeTaskMessage(msg), msg.id, unixNanosString(this.clock.now()), keys.wakeChannel(msg.queue)], msg,
    );
  }

  /**
   * enqueueUniqueCmd: takes the lock msg.uniqueKey for ttlSeconds (whole seconds, >= 1, else
   * ValidationError before any I/O), then enqueues. DuplicateTaskError when the lock is held;
   * TaskIdConflictError when the ID exists (the new lock stays held: Go quirk).
   */
  async enqueueUnique(msg: TaskMessage, ttlSeconds: number): Promise<void> {
    const ttl = lockTtl(msg, ttlSeconds);
    await this.registerQueue(msg.queue);
    await this.#writes.create(
      'rdb.EnqueueUnique', 'enqueueUnique',
      [msg.uniqueKey, keys.taskKey(msg.queue, msg.id), keys.pendingKey(msg.queue)],
      [msg.id, ttl, encodeTaskMessage(msg), unixNanosString(this.clock.now()), keys.wakeChannel(msg.queue)], msg, msg.uniqueKey,
    );
  }

  /** scheduleCmd: state scheduled, score = unix s of processAt. */
  async schedule(msg: TaskMessage, processAt: Date): Promise<void> {
    await this.registerQueue(msg.queue);
    await this.#writes.create('rdb.Schedule', 'schedule', ...this.#scheduleArgs(msg, processAt), msg);
  }

  #scheduleArgs(msg: TaskMessage, processAt: Date): [string[], ScriptArg[]] {
    return [
      [keys.taskKey(msg.queue, msg.id), keys.scheduledKey(msg.queue)],
      [encodeTaskMessage(msg), unixSeconds(processAt), msg.id],
    ];
  }

  /** scheduleUniqueCmd. ttlSeconds as for enqueueUnique (the caller adds the delay until processAt). */
  async scheduleUnique(msg: TaskMessage, processAt: Date, ttlSeconds: number): Promise<void> {
    const ttl = lockTtl(msg, ttlSeconds);
    await this.registerQueue(msg.queue);
    await this.#writes.create(
      'rdb.ScheduleUnique', 'scheduleUnique',
      [msg.uniqueKey, keys.taskKey(msg.queue, msg.id), keys.scheduledKey(msg.queue)],
      [msg.id, ttl, unixSeconds(processAt), encodeTaskMessage(msg)], msg, msg.uniqueKey,
    );
  }

  /** addToGroupCmd: state aggregating, ZADD g:<group> now, SADD groups. */
  async addToGroup(msg: TaskMessage, group: string): Promise<void> {
    await this.registerQueue(msg.queue);
    await this.#writes.create(
      'rdb.AddToGroup', 'addToGroup',
      [keys.taskKey(msg.queue, msg.id), keys.groupKey(msg.queue, group), keys.allGroups(msg.queue)],
      [encodeTaskMessage(msg), msg.id, unixSeconds(this.clock.now()), group], msg,
    );
  }

  /** addToGroupUniqueCmd: lock msg.uniqueKey for ttlSeconds; the hash gets no unique_key field (as Go). */
  async addToGroupUnique(msg: TaskMessage, group: string, ttlSeconds: number): Promise<void> {
    const ttl = lockTtl(msg, ttlSeconds);
    await this.registerQueue(msg.queue);
    await this.#writes.create(
      'rdb.AddToGroupUnique', 'addToGroupUnique',
      [keys.taskKey(msg.queue, msg.id), keys.groupKey(msg.queue, group), keys.allGroups(msg.queue), msg.uniqueKey],
      [encodeTaskMessage(msg), msg.id, unixSeconds(this.clock.now()), group, ttl], msg, msg.uniqueKey,
    );
  }

  /**
   * Batch enqueue (Go BatchEnqueue): one pipeline of schedule scripts (processAt in the future)
   * and enqueueBatch scripts, one per run of up to ENQUEUE_BATCH_SIZE consecutive pending items of
   * a queue (each task written exactly as enqueueCmd does; Go pipelines one enqueueCmd per task).
   * Returns one entry per item: null on success (Go reports skipped duplicate
   * IDs as success too), or the Error of that item (a failed call fails all its items).
   * All items share one pending_since. Each queue is registered (SADD, cached) before the
   * pipeline; if a pipeline fails, its items get that error and their queues leave the cache.
   * On Redis Cluster the items are pipelined per queue (one hash slot per pipeline).
   * With waitForReplicas each pipeline ends with WAIT; when too few replicas acknowledge, its
   * otherwise successful items get ReplicationTimeoutError.
   */
  async enqueueBatch(items: Array<{msg: TaskMessage; processAt?: Date}>): Promise<Array<Error | null>> {
    const op = 'rdb.EnqueueBatch';
    const results: Array<Error | null> = items.map(() => null);
    if (items.length === 0) return results;
    const queues = [...new Set(items.map((it) => it.msg.queue))];
    try {
      for (const q of queues) await this.registerQueue(q);
    } catch (err) {
      return results.map(() => err as Error);
    }
    const now = this.clock.now();
    const pendingSince = unixNanosString(now);
    const batches = this.session.isCluster
      ? queues.map((q) => items.flatMap((it, i) => (it.msg.queue === q ? [i] : [])))
      : [items.map((_, i) => i)];
    const wait = this.#writes.wait;
    for (const batch of batches) {
      // One pipeline command per scheduled item, and one enqueueBatch call per run of up to
      // ENQUEUE_BATCH_SIZE consecutive pending items of one queue; calls[n] lists the items of
      // reply n.
      const calls: number[][] = [];
      const add = (pipeline: ChainableCommander, pipe: 'pipe' | 'pipeEval'): void => {
        calls.length = 0;
        let run: number[] = [];
        const flush = (): void => {
          if (run.length === 0) return;
          const q = items[run[0]!]!.msg.queue;
          const argv: ScriptArg[] = [keys.taskKeyPrefix(q), pendingSince, keys.wakeChannel(q)];
          for (const i of run) argv.push(items[i]!.msg.id, encodeTaskMessage(items[i]!.msg));
          this.session.runner[pipe](pipeline, 'enqueueBatch', [keys.pendingKey(q)], argv);
          calls.push(run);
          run = [];
        };
        for (const i of batch) {
          const {msg, processAt} = items[i]!;
          if (processAt && processAt.getTime() > now.getTime()) {
            flush();
            this.session.runner[pipe](pipeline, 'schedule', ...this.#scheduleArgs(msg, processAt));
            calls.push([i]);
          } else {
            if (run.length === ENQUEUE_BATCH_SIZE || (run.length > 0 && items[run[0]!]!.msg.queue !== msg.queue)) flush();
            run.push(i);
          }
        }
        flush();
      };
      try {
        let replies: Array<[Error | null, unknown]> | null;
        let unreplicated: (i: number) => Error | null = () => null;
        if (wait) {
          // An uncertain WAIT (connection changed) is not trusted: the batch is written again
          // (existing IDs are skipped) and that WAIT decides, as for a single enqueue.
          // Both attempts within one timeout; no reply by then → each item gets ReplicationTimeoutError.
          const first = items[batch[0]!]!.msg;
          const target = {key: keys.pendingKey(first.queue), queue: first.queue};
          const deadline = Date.now() + wait.timeoutMs;
          let r = await this.#writes.exec(target, (p) => add(p, 'pipeEval'), deadline);
          if (r.uncertain) r = await this.#writes.exec(target, (p) => add(p, 'pipeEval'), deadline);
          replies = r.replies;
          if (r.uncertain || r.acked < r.wanted) {
            unreplicated = (i) => new ReplicationTimeoutError(items[i]!.msg.queue, items[i]!.msg.id,
              r.uncertain ? null : r.acked, r.wanted, wait.timeoutMs);
          }
        } else {
          const pipeline = this.client.pipeline();
          add(pipeline, 'pipe');
          replies = await pipeline.exec();
        }
        if (!replies) throw new Error('pipeline returned no replies');
        calls.forEach((call, n) => {
          const [err] = replies[n] ?? [new Error('missing pipeline reply')];
          for (const i of call) results[i] = err ? brokerError(op, err) : unreplicated(i);
        });
      } catch (err) {
        const failure = brokerError(op, err);
        for (const i of batch) {
          const {queue, id} = items[i]!.msg;
          results[i] = failure instanceof ReplicationTimeoutError
            ? new ReplicationTimeoutError(queue, id, failure.acknowledged, failure.wanted, failure.timeoutMs, failure.reason)
            : failure;
          this.forgetQueue(items[i]!.msg.queue);
        }
      }
    }
    return results;
  }

  /**
   * dequeueCmd per queue in the given order; the first queue that yields a task wins. Paused and
   * empty queues are skipped; null when every queue is empty or paused. leaseExpiresAt = now +
   * leaseMs (default 30 s, Go's base.LeaseDuration). Several queues outside a Cluster: one call of
   * dequeueAny-0.lua tries all of them, with the effects of the per-queue dequeue calls; on a
   * Cluster (keys in different slots) one dequeue call per queue.
   *
   * A task that cannot be processed is moved aside instead (to the queue's corrupt zset, with its
   * reason; see CorruptTask) and reported to `onBadData`, and the queue is tried again: a pending id
   * whose task key is unusable (no hash, another Redis type, no msg field) by the dequeue script
   * itself, a message that does not decode (or names another task) by the moveAside script once
   * leased. Go leases such a task and leaves it in active for ever. A queue with a key of another
   * Redis type (WRONGTYPE) is reported and skipped, so the other queues are still served.
   */
  async dequeue(qnames: string[], leaseMs = LEASE_SECONDS * 1000, onBadData: OnBadData = () => {}): Promise<{msg: TaskMessage; leaseExpiresAt: Date} | null> {
    const op = 'rdb.Dequeue';
    let from = 0;
    let movedAside = 0;
    if (qnames.length > 1 && !this.session.isCluster) {
      // One dequeueAny call per step, from the queue `from` on: the queues before it were empty or
      // paused. A WRONGTYPE reply wrote nothing: the per-queue calls below name and skip that queue.
      for (;;) {
        const now = this.clock.now();
        const leaseExpiresAt = new Date(now.getTime() + leaseMs);
        let res: [number, Buffer, Buffer | null, Buffer?] | null;
        try {
          res = (await this.session.script(op, 'dequeueAny', [],
            [unixSeconds(leaseExpiresAt), ...this.#trimArgs(now), ...qnames.slice(from).map(keys.queueKeyPrefix)],
            {binary: true})) as [number, Buffer, Buffer | null, Buffer?] | null;
        } catch (err) {
          if (!isBadData(err)) throw err;
          break;
        }
        if (res === null || res === undefined) return null;
        const at = from + Number(res[0]) - 1;
        const got = await this.#dequeued(op, qnames[at]!, String(res[1]), res[2], res[3], now, leaseExpiresAt, onBadData);
        if (got) return got;
        movedAside = at === from ? movedAside + 1 : 1;
        from = at;
        if (movedAside >= MAX_MOVED_ASIDE_PER_DEQUEUE) {
          from++;
          movedAside = 0;
          if (from >= qnames.length) return null;
        }
      }
    }
    for (const q of qnames.slice(from)) {
      try {
        const got = await this.#dequeueFrom(op, q, leaseMs, onBadData, movedAside);
        if (got) return got;
      } catch (err) {
        if (!isBadData(err)) throw err;
        onBadData({queue: q, reason: errorMessage(err)});
      }
      movedAside = 0;
    }
    return null;
  }

  /**
   * One queue of dequeue(): its next processable task, moving aside up to MAX_MOVED_ASIDE_PER_DEQUEUE
   * corrupt ones (`movedAside` of them already).
   */
  async #dequeueFrom(op: Op, q: string, leaseMs: number, onBadData: OnBadData, movedAside = 0): Promise<{msg: TaskMessage; leaseExpiresAt: Date} | null> {
    for (let n = movedAside; n < MAX_MOVED_ASIDE_PER_DEQUEUE; n++) {
      const now = this.clock.now();
      const leaseExpiresAt = new Date(now.getTime() + leaseMs);
      const res = (await this.session.script(op, 'dequeue',
        [keys.pendingKey(q), keys.pausedKey(q), keys.activeKey(q), keys.leaseKey(q), keys.corruptKey(q), keys.corruptReasonsKey(q)],
        [unixSeconds(leaseExpiresAt), keys.taskKeyPrefix(q), ...this.#trimArgs(now)], {binary: true})) as Array<Buffer | null> | null;
      if (res === null || res === undefined) return null;
      const got = await this.#dequeued(op, q, String(res[0]), res[1], res[2], now, leaseExpiresAt, onBadData);
      if (got) return got;
    }
    return null;
  }

  /**
   * A dequeue script's {id, msg} / {id, nil, reason} answer for queue q: the leased task, or null
   * after reporting a task moved aside: by the script (reason), or here by the moveAside script
   * when its msg does not decode (or names another task).
   */
  async #dequeued(op: Op, q: string, id: string, bytes: Buffer | null | undefined, reason: Buffer | null | undefined, now: Date, leaseExpiresAt: Date, onBadData: OnBadData): Promise<Dequeued | null> {
    const msg = bytes ? checkedMessage(q, id, bytes) : String(reason);
    if (typeof msg !== 'string') return {msg, leaseExpiresAt};
    if (bytes) await this.#moveAside(op, q, id, msg, now);
    onBadData({queue: q, id, reason: msg});
    return null;
  }

  /** ARGV of the corrupt zset's trim (see corruptTrimArgs). */
  #trimArgs(now: Date): number[] {
    return corruptTrimArgs(now);
  }

  /** moveAside script: an active (or leased) task out of the flow, into the corrupt zset. */
  async #moveAside(op: Op, q: string, id: string, reason: string, now: Date): Promise<void> {
    await this.session.script(op, 'moveAside',
      [keys.activeKey(q), keys.leaseKey(q), keys.corruptKey(q), keys.corruptReasonsKey(q), keys.taskKey(q, id)],
      [id, reason, ...this.#trimArgs(now), keys.taskKeyPrefix(q)]);
  }

  /**
   * doneCmd / doneUniqueCmd (when msg.uniqueKey is set): deletes the task, counts it as processed
   * and releases the lock if this task owns it. TaskNotFoundError on NOT FOUND.
   */
  async done(msg: TaskMessage): Promise<void> {
    const now = this.clock.now();
    const k = [
      keys.activeKey(msg.queue), keys.leaseKey(msg.queue), keys.taskKey(msg.queue, msg.id),
      keys.processedKey(msg.queue, now), keys.processedTotalKey(msg.queue),
    ];
    const argv = [msg.id, statsExpiry(now), MAX_INT64];
    // Like Go: the lock key is passed only when there is one (Cluster rejects an empty key name).
    if (msg.uniqueKey) await this.session.script('rdb.Done', 'doneUnique', [...k, msg.uniqueKey], argv, {task: msg});
    else await this.session.script('rdb.Done', 'done', k, argv, {task: msg});
  }

  /**
   * markAsCompleteCmd(/Unique): stores the message with completedAt = now, score = now + retention,
   * counts it as processed, releases an owned lock. TaskNotFoundError on NOT FOUND, InternalError
   * when the ID is already in the completed set.
   */
  async markAsComplete(msg: TaskMessage): Promise<void> {
    const now = this.clock.now();
    const completed: TaskMessage = {...msg, completedAt: unixSeconds(now)};
    const k = [
      keys.activeKey(msg.queue), keys.leaseKey(msg.queue), keys.completedKey(msg.queue), keys.taskKey(msg.queue, msg.id),
      keys.processedKey(msg.queue, now), keys.processedTotalKey(msg.queue),
    ];
    const argv = [msg.id, statsExpiry(now), unixSeconds(now) + msg.retention, encodeTaskMessage(completed), MAX_INT64];
    if (msg.uniqueKey) await this.session.script('rdb.MarkAsComplete', 'markAsCompleteUnique', [...k, msg.uniqueKey], argv, {task: msg});
    else await this.session.script('rdb.MarkAsComplete', 'markAsComplete', k, argv, {task: msg});
  }

  /**
   * done (retention 0) or markAsComplete (retention > 0), then a dequeue of the same queue, in one
   * atomic call (finishAndDequeue-11.lua) with exactly the effects of the two separate scripts: the
   * next task of msg's queue, leased until now + leaseMs, or null (queue paused or empty). A
   * failed finish (TaskNotFoundError, InternalError) dequeues nothing. All keys are the queue's,
   * so it runs on Redis Cluster too.
   *
   * Bad data as dequeue(): a task moved aside (by the script, or by the moveAside script when its
   * msg does not decode) is reported to `onBadData` and the queue is tried again with the dequeue
   * script. A key the dequeue uses that holds another Redis type makes the script write nothing:
   * the queue is reported to `onBadData` and the task finished with the separate script.
   */
  async finishAndDequeue(msg: TaskMessage, leaseMs = LEASE_SECONDS * 1000, onBadData: OnBadData = () => {}): Promise<{msg: TaskMessage; leaseExpiresAt: Date} | null> {
    const op = 'rdb.FinishAndDequeue';
    const now = this.clock.now();
    const q = msg.queue;
    const taskKey = keys.taskKey(q, msg.id);
    const complete = msg.retention > 0;
    const leaseExpiresAt = new Date(now.getTime() + leaseMs);
    let res: Array<Buffer | null> | null;
    try {
      res = (await this.session.script(op, 'finishAndDequeue',
        [keys.activeKey(q), keys.leaseKey(q), taskKey, keys.processedKey(q, now), keys.processedTotalKey(q),
          keys.completedKey(q), keys.pendingKey(q), keys.pausedKey(q), msg.uniqueKey || taskKey,
          keys.corruptKey(q), keys.corruptReasonsKey(q)],
        [msg.id, statsExpiry(now), MAX_INT64, complete ? 'complete' : 'done',
          complete ? unixSeconds(now) + msg.retention : 0,
          complete ? encodeTaskMessage({...msg, completedAt: unixSeconds(now)}) : '',
          msg.uniqueKey ? '1' : '0', unixSeconds(leaseExpiresAt), keys.taskKeyPrefix(q), ...this.#trimArgs(now)],
        {task: msg, binary: true})) as Array<Buffer | null> | null;
    } catch (err) {
      // The script's own key type check (before any write), not a WRONGTYPE from Redis half-way.
      if (!(err instanceof WrongTypeError) || !/ holds an? \S+, not an? \S+$/.test(errorMessage(err))) throw err;
      onBadData({queue: q, reason: errorMessage(err)});
      if (complete) await this.markAsComplete(msg);
      else await this.done(msg);
      return null;
    }
    if (res === null || res === undefined) return null;
    const got = await this.#dequeued(op, q, String(res[0]), res[1], res[2], now, leaseExpiresAt, onBadData);
    return got ?? this.#dequeueFrom(op, q, leaseMs, onBadData, 1);
  }

  /**
   * Several dequeue() calls in one: one task per order in `orders` (each a queue order, as
   * dequeue() takes), claimed exactly as dequeue(order) would one after the other, so the Redis
   * state and the tasks are theirs. Outside a Cluster one dequeueBatch-0.lua call; on a Cluster, or
   * with one queue, finishAndClaim-9.lua per queue when every order is the same (one queue, strict
   * priority), else (weighted queues on a Cluster) one dequeue() for the first order only. The
   * claim ends early at a pick that takes nothing (every queue paused or empty).
   *
   * Bad data as dequeue(): unusable pending ids are moved aside by the script, undecodable
   * messages by moveAside once leased (that pick then yields no task), each reported to
   * `onBadData`. A key of another Redis type ends the batch with what was claimed before it; when
   * that is nothing, dequeue() of the first order reports and skips that queue.
   */
  async dequeueBatch(orders: string[][], leaseMs = LEASE_SECONDS * 1000, onBadData: OnBadData = () => {}, planFor?: (q: string) => ClaimPlan | undefined): Promise<Dequeued[]> {
    const op = 'rdb.Dequeue';
    const first = orders[0];
    if (first === undefined || first.length === 0) return [];
    const single = async (): Promise<Dequeued[]> => {
      const got = await this.dequeue(first, leaseMs, onBadData);
      return got ? [got] : [];
    };
    if (orders.length === 1) return single();
    if (this.session.isCluster || first.length === 1) {
      const key = first.join('\n');
      if (!orders.every((o) => o.join('\n') === key)) return single();
      const out: Dequeued[] = [];
      for (const q of first) {
        if (out.length >= orders.length) break;
        const res = await this.#finishAndClaim(op, q, [], orders.length - out.length, leaseMs, onBadData, planFor?.(q));
        out.push(...res.claimed);
        if (res.wrongType !== undefined && out.length === 0) return single();
        if (res.wrongType !== undefined) break;
      }
      return out;
    }
    const names: string[] = [];
    const index = new Map<string, number>();
    for (const o of orders) for (const q of o) if (!index.has(q)) index.set(q, names.push(q));
    const now = this.clock.now();
    const leaseExpiresAt = new Date(now.getTime() + leaseMs);
    const [claimed, wrongType] = (await this.session.script(op, 'dequeueBatch', [],
      [unixSeconds(leaseExpiresAt), ...this.#trimArgs(now), MAX_MOVED_ASIDE_PER_DEQUEUE, names.length, ...names.map(keys.queueKeyPrefix),
        ...orders.map((o) => o.map((q) => index.get(q)).join(','))],
      {binary: true})) as [Array<number | Buffer | null>, Buffer | null];
    const out: Dequeued[] = [];
    for (let i = 0; i + 3 < claimed.length; i += 4) {
      const got = await this.#dequeued(op, names[Number(claimed[i]) - 1]!, String(claimed[i + 1]), claimed[i + 2] as Buffer | null, claimed[i + 3] as Buffer | null, now, leaseExpiresAt, onBadData);
      if (got) out.push(got);
    }
    if (wrongType && out.length === 0) return single();
    return out;
  }

  /**
   * Finishes successfully processed tasks of queue `q` and claims up to `claim` tasks of it, in
   * one call (finishAndClaim-9.lua), with exactly the effects of done / doneUnique /
   * markAsComplete / markAsCompleteUnique per task (retention > 0: markAsComplete), in order,
   * then `claim` dequeue([queue]) calls. All keys are the queue's, so it runs on Redis Cluster.
   * Resolves with one entry per finished task (null, or the error its own call would have
   * rejected with: TaskNotFoundError, InternalError, …; the others are finished all the same) and
   * the claimed tasks (ending early at a paused or empty queue). Bad data of the claim as
   * dequeueBatch(): reported to `onBadData`; a key of another Redis type claims nothing (the
   * tasks are finished all the same). Rejects (a Redis or connection error) when the call failed.
   */
  async finishAndClaim(q: string, msgs: TaskMessage[], claim: number, leaseMs = LEASE_SECONDS * 1000, onBadData: OnBadData = () => {}, plan?: ClaimPlan): Promise<{errors: Array<Error | null>; claimed: Dequeued[]}> {
    if (msgs.some((m) => m.queue !== q)) throw new ValidationError('finishAndClaim: every task must be of one queue');
    const {errors, claimed} = await this.#finishAndClaim('rdb.FinishAndClaim', q, msgs, claim, leaseMs, onBadData, plan);
    return {errors, claimed};
  }

  /**
   * finishAndClaim-9.lua. With a plan (ServerOptions.limits, outside Redis Cluster) the claimed
   * tasks are decided under its limits in the same call and the plan's tokens go back first: a
   * task a limit refuses is sent back to wait by the script and not returned; a started one comes
   * back `admitted`; plan.settle gets the decisions (or the call's error).
   */
  async #finishAndClaim(op: Op, q: string, msgs: TaskMessage[], claim: number, leaseMs: number, onBadData: OnBadData, plan?: ClaimPlan): Promise<{errors: Array<Error | null>; claimed: Dequeued[]; wrongType?: string}> {
    const now = this.clock.now();
    const leaseExpiresAt = new Date(now.getTime() + leaseMs);
    const argv: ScriptArg[] = [statsExpiry(now), MAX_INT64, keys.taskKeyPrefix(q), unixSeconds(leaseExpiresAt), ...this.#trimArgs(now),
      claim, MAX_MOVED_ASIDE_PER_DEQUEUE, msgs.length];
    for (const msg of msgs) {
      if (msg.retention > 0) argv.push(msg.id, unixSeconds(now) + msg.retention, encodeTaskMessage({...msg, completedAt: unixSeconds(now)}), msg.uniqueKey);
      else argv.push(msg.id, '', '', msg.uniqueKey);
    }
    let reply: [Buffer[], Array<Buffer | null>, Buffer | null, Array<Buffer | number> | undefined];
    try {
      if (plan) argv.push(...claimLimitArgs(plan, now, DEFAULT_TIMEOUT_SECONDS, msgs.map((m) => m.id)));
      reply = (await this.session.script(op, 'finishAndClaim',
        [keys.activeKey(q), keys.leaseKey(q), keys.processedKey(q, now), keys.processedTotalKey(q), keys.completedKey(q),
          keys.pendingKey(q), keys.pausedKey(q), keys.corruptKey(q), keys.corruptReasonsKey(q)],
        argv, {binary: true})) as typeof reply;
    } catch (err) {
      plan?.settle({error: err});
      throw err;
    }
    const [finished, claimed, wrongType, decided] = reply;
    const errors = msgs.map((msg, i) => {
      const status = String(finished[i]);
      if (status === 'OK') return null;
      // As Redis words the separate script's redis.error_reply("NOT FOUND") / ("INTERNAL").
      return itemError(msg.retention > 0 ? 'rdb.MarkAsComplete' : 'rdb.Done', /^[A-Z ]+$/.test(status) ? `ERR ${status}` : status, msg);
    });
    const decisions: ClaimDecisions = {started: [], refused: [], dropped: [], failed: []};
    // The tasks not started (refused: not claimed; undecided: claimed, decided by the caller).
    const undecided = new Set<string>();
    for (let i = 0; plan && decided && i + 4 < decided.length; i += 5) {
      const id = String(decided[i]);
      const code = Number(decided[i + 1]);
      if (code === 2) undecided.add(id);
      else if (code === 3) decisions.failed.push({id, index: Number(decided[i + 2]) - 1, error: String(decided[i + 4])});
      else decisions.refused.push({id, index: Number(decided[i + 2]) - 1, delayMs: Number(decided[i + 3]), kind: String(decided[i + 4]) === 'rate' ? 'rate' : 'concurrency'});
    }
    const out: Dequeued[] = [];
    for (let i = 0; i + 2 < claimed.length; i += 3) {
      const id = String(claimed[i]);
      const got = await this.#dequeued(op, q, id, claimed[i + 1], claimed[i + 2], now, leaseExpiresAt, onBadData);
      const started = plan !== undefined && claimed[i + 1] !== null && !undecided.has(id);
      if (got && started) {
        got.admitted = true;
        decisions.started.push({id, type: got.msg.type});
      } else if (started) {
        decisions.dropped.push(id);
      }
      if (got) out.push(got);
    }
    plan?.settle(decisions);
    if (!wrongType) return {errors, claimed: out};
    const text = String(wrongType);
    // Named as dequeue() names it: the claim is a dequeue.
    onBadData({queue: q, reason: errorMessage(itemError('rdb.Dequeue', text))});
    return {errors, claimed: out, wrongType: text};
  }

  /** requeueCmd: back to the tail of pending (next to dequeue), no pending_since, no stats. */
  async requeue(msg: TaskMessage): Promise<void> {
    await this.session.script('rdb.Requeue', 'requeue',
      [keys.activeKey(msg.queue), keys.leaseKey(msg.queue), keys.pendingKey(msg.queue), keys.taskKey(msg.queue, msg.id)],
      [msg.id], {task: msg});
  }

  /** The keys retry and archive share: task, active, lease, <target zset>, daily and total counters. */
  #failureKeys(msg: TaskMessage, target: string, now: Date): string[] {
    const q = msg.queue;
    return [
      keys.taskKey(q, msg.id), keys.activeKey(q), keys.leaseKey(q), target,
      keys.processedKey(q, now), keys.failedKey(q, now), keys.processedTotalKey(q), keys.failedTotalKey(q),
    ];
  }

  /** retryCmd: retried+1 only if isFailure; errorMsg, lastFailedAt = now; ZADD retry processAt. */
  async retry(msg: TaskMessage, processAt: Date, errMsg: string, isFailure: boolean): Promise<void> {
    const now = this.clock.now();
    const updated: TaskMessage = {
      ...msg, retried: isFailure ? msg.retried + 1 : msg.retried, errorMsg: errMsg, lastFailedAt: unixSeconds(now),
    };
    await this.session.script('rdb.Retry', 'retry', this.#failureKeys(msg, keys.retryKey(msg.queue), now),
      [msg.id, encodeTaskMessage(updated), unixSeconds(processAt), statsExpiry(now), isFailure ? 1 : 0, MAX_INT64], {task: msg});
  }

  /**
   * archiveCmd: errorMsg, lastFailedAt = now (retried unchanged); ZADD archived now; deletes
   * archived tasks older than 90 days and beyond 9 999 (hashes too); processed+failed +1.
   */
  async archive(msg: TaskMessage, errMsg: string): Promise<void> {
    const now = this.clock.now();
    const updated: TaskMessage = {...msg, errorMsg: errMsg, lastFailedAt: unixSeconds(now)};
    await this.session.script('rdb.Archive', 'archive',
      [...this.#failureKeys(msg, keys.archivedKey(msg.queue), now), keys.taskKeyPrefix(msg.queue)],
      [msg.id, encodeTaskMessage(updated), unixSeconds(now), unixSeconds(now) - ARCHIVED_EXPIRATION_SECONDS,
        MAX_ARCHIVE_SIZE, statsExpiry(now), MAX_INT64], {task: msg});
  }

  /**
   * forwardCmd for scheduled then retry of every queue, 100 per call, until a call moves 0. Returns
   * total moved. Outside a Cluster all the queues go in one forwardAll-0.lua call (repeated while a
   * call stops at its budget of FORWARD_BUDGET tasks), with the same effects; a queue whose
   * scheduled or retry key holds another Redis type is skipped there, and so is a due task whose
   * task key does (it stays in its set), the others forwarded, and the first such key then rejects
   * the round (a WrongTypeError, as the per-queue call would).
   */
  async forwardIfReady(qnames: string[]): Promise<number> {
    if (!this.session.isCluster && qnames.length > 0) return this.#forwardAll(qnames);
    let total = 0;
    for (const q of qnames) {
      for (const source of [keys.scheduledKey(q), keys.retryKey(q)]) {
        for (;;) {
          const now = this.clock.now();
          const n = Number(await this.session.script('rdb.ForwardIfReady', 'forward', [source, keys.pendingKey(q)],
            [unixSeconds(now), keys.taskKeyPrefix(q), unixNanosString(now), keys.groupKeyPrefix(q)]));
          total += n;
          if (n === 0) break;
        }
      }
    }
    return total;
  }

  async #forwardAll(qnames: string[]): Promise<number> {
    const prefixes = qnames.map(keys.queueKeyPrefix);
    let total = 0;
    let firstBad: string | undefined;
    for (;;) {
      const now = this.clock.now();
      const [moved, stopped, skipped] = (await this.session.script('rdb.ForwardIfReady', 'forwardAll', [],
        [unixSeconds(now), unixNanosString(now), FORWARD_BUDGET, ...prefixes])) as [number, number, Array<number | string>];
      total += Number(moved);
      if (firstBad === undefined && skipped.length > 0) firstBad = String(skipped[1]);
      if (Number(stopped) !== 1) break;
    }
    if (firstBad !== undefined) throw itemError('rdb.ForwardIfReady', firstBad);
    return total;
  }

  /** deleteExpiredCompletedTasksCmd in batches (batchSize >= 1) until 0. Returns total deleted. */
  async deleteExpiredCompletedTasks(qname: string, batchSize: number): Promise<number> {
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new ValidationError('batch size must be a positive integer');
    let total = 0;
    for (;;) {
      const n = Number(await this.session.script('rdb.DeleteExpiredCompletedTasks', 'deleteExpiredCompletedTasks',
        [keys.completedKey(qname)], [unixSeconds(this.clock.now()), keys.taskKeyPrefix(qname), batchSize]));
      total += n;
      if (n === 0) return total;
    }
  }

  /**
   * listLeaseExpiredCmd over the given queues: messages whose lease expired at or before cutoff.
   * A leased task that cannot be processed (no hash, a key of another type, no msg, a message that
   * does not decode) is moved aside as dequeue() does and reported to `onBadData`; the others are
   * still returned (Go fails the whole listing on one undecodable message). A queue whose lease
   * key holds another Redis type is reported and skipped.
   */
  async listLeaseExpired(cutoff: Date, qnames: string[], onBadData: OnBadData = () => {}): Promise<TaskMessage[]> {
    const op = 'rdb.ListLeaseExpired';
    const out: TaskMessage[] = [];
    for (const q of qnames) {
      try {
        out.push(...await this.#listLeaseExpiredIn(op, cutoff, q, onBadData));
      } catch (err) {
        if (!isBadData(err)) throw err;
        onBadData({queue: q, reason: errorMessage(err)});
      }
    }
    return out;
  }

  async #listLeaseExpiredIn(op: Op, cutoff: Date, q: string, onBadData: OnBadData): Promise<TaskMessage[]> {
    const out: TaskMessage[] = [];
    const res = (await this.session.script(op, 'listLeaseExpired', [keys.leaseKey(q)], [unixSeconds(cutoff), keys.taskKeyPrefix(q)], {binary: true})) as Array<Buffer | null>;
    for (let i = 0; i + 2 < res.length; i += 3) {
      const id = String(res[i]);
      const bytes = res[i + 1];
      const msg = bytes ? checkedMessage(q, id, bytes) : String(res[i + 2]);
      if (typeof msg !== 'string') {
        out.push(msg);
        continue;
      }
      await this.#moveAside(op, q, id, msg, this.clock.now());
      onBadData({queue: q, id, reason: msg});
    }
    return out;
  }

  /**
   * ZADD lease XX now+leaseMs (default 30 s) for the ids (only ids still leased are touched);
   * returns the new expiry.
   */
  async extendLease(qname: string, ids: string[], leaseMs = LEASE_SECONDS * 1000): Promise<Date> {
    const expiresAt = new Date(this.clock.now().getTime() + leaseMs);
    if (ids.length === 0) return expiresAt;
    const score = unixSeconds(expiresAt);
    await this.session.run('rdb.ExtendLease', () => this.client.zadd(keys.leaseKey(qname), 'XX', ...ids.flatMap((id) => [score, id])));
    return expiresAt;
  }

  /** HSET result; returns bytes written. */
  async writeResult(qname: string, taskId: string, data: Uint8Array): Promise<number> {
    const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    await this.session.run('rdb.WriteResult', () => this.client.hset(keys.taskKey(qname, taskId), 'result', bytes));
    return data.byteLength;
  }

  /** PUBLISH asynq:cancel id. */
  async publishCancelation(taskId: string): Promise<void> {
    await this.session.run('rdb.PublishCancelation', () => this.client.publish(keys.cancelChannel, taskId));
  }

  /**
   * SUBSCRIBE asynq:cancel on a duplicate connection (client.duplicate(), for a Cluster too);
   * resolves once subscribed. onCancel gets each published task id; ioredis resubscribes after
   * a reconnect. With `wake`, the same connection also subscribes to the wake channel of each of
   * wake.queues (asynq:wake:<qname>, published by asynq-ts enqueues) and calls wake.onWake(queue). Connection errors and exceptions thrown by onCancel go to onError (default:
   * ignored). close() unsubscribes and closes that connection.
   */
  async subscribeCancelation(
    onCancel: (taskId: string) => void,
    onError: (err: Error) => void = () => {},
    wake?: {queues: string[]; onWake: (queue: string) => void},
  ): Promise<{close(): Promise<void>}> {
    const sub: RedisClient = this.client.duplicate();
    const wakeQueues = new Map((wake?.queues ?? []).map((q) => [keys.wakeChannel(q), q]));
    const channels = [keys.cancelChannel, ...wakeQueues.keys()];
    sub.on('error', (err: Error) => onError(err));
    sub.on('message', (channel: string, message: string) => {
      try {
        if (channel !== keys.cancelChannel) {
          const q = wakeQueues.get(channel);
          if (q !== undefined) wake!.onWake(q);
          return;
        }
        onCancel(message);
      } catch (err) {
        onError(err instanceof Error ? err : new Error(String(err)));
      }
    });
    await this.session.run('rdb.SubscribeCancelation', async () => {
      try {
        await sub.subscribe(...channels);
      } catch (err) {
        sub.disconnect();
        throw err;
      }
    });
    let closed = false;
    return {
      async close() {
        if (closed) return;
        closed = true;
        // Not connected (Redis unreachable): UNSUBSCRIBE and QUIT would wait in the offline queue
        // for ioredis' reconnect attempts (~10 s or more); dropping the connection ends it as well.
        if (sub.status !== 'ready') {
          sub.disconnect();
          return;
        }
        try {
          await sub.unsubscribe(...channels);
          await sub.quit();
        } catch {
          sub.disconnect();
        }
      },
    };
  }
}
