/**
 * RDB: the Redis broker of asynq-ts (Go asynq internal/rdb/rdb.go). Every task state change is one
 * atomic Lua script from src/lib/scripts; the state afterwards is byte-compatible with Go asynq.
 * Units follow ../shared/spec/asynq-wire-format.md: scores in unix seconds, pending_since in ns.
 */
import * as keys from '../base/keys.js';
import {encodeTaskMessage, type TaskMessage} from '../base/codec.js';
import {unixNanosString} from '../clock.js';
import {TaskIdConflictError} from '../errors.js';
import {ScriptRunner, type RedisClient} from './script-runner.js';
import type {Clock} from '../clock.js';

export interface RDBOptions {
  clock?: Clock;
}

export class RDB {
  readonly runner: ScriptRunner;
  /** Queues this process has already SADDed to asynq:queues (Go's queuesPublished cache). */
  readonly #publishedQueues = new Set<string>();

  constructor(client: RedisClient, opts: RDBOptions = {}) {
    this.runner = new ScriptRunner(client, opts);
  }

  get client(): RedisClient { return this.runner.client; }
  get clock(): Clock { return this.runner.clock; }

  async ping(): Promise<void> {
    await this.client.ping();
  }

  /** SADD asynq:queues once per process per queue (separate command, before the script). */
  async registerQueue(qname: string): Promise<void> {
    if (this.#publishedQueues.has(qname)) return;
    await this.client.sadd(keys.allQueues, qname);
    this.#publishedQueues.add(qname);
  }

  /** Forget a queue in the registration cache (after it was removed, or a failed batch). */
  forgetQueue(qname: string): void {
    this.#publishedQueues.delete(qname);
  }

  /** Adds a task to the pending list. Throws TaskIdConflictError if the ID exists. */
  async enqueue(msg: TaskMessage): Promise<void> {
    await this.registerQueue(msg.queue);
    const res = await this.runner.run(
      'enqueue',
      [keys.taskKey(msg.queue, msg.id), keys.pendingKey(msg.queue)],
      [encodeTaskMessage(msg), msg.id, unixNanosString(this.clock.now())],
    );
    if (res === 0) throw new TaskIdConflictError(msg.queue, msg.id);
  }

  // ---------------------------------------------------------------------------------------------
  // TODO(helper: rdb lifecycle) — signatures fixed; bodies to be implemented with one script each.
  // ---------------------------------------------------------------------------------------------

  /** enqueueUniqueCmd. ttlSeconds >= 1. DuplicateTaskError (lock held) / TaskIdConflictError (lock kept, Go quirk). */
  async enqueueUnique(msg: TaskMessage, ttlSeconds: number): Promise<void> { void msg; void ttlSeconds; throw new Error('not implemented'); }

  /** scheduleCmd: state scheduled, score = unix s of processAt. */
  async schedule(msg: TaskMessage, processAt: Date): Promise<void> { void msg; void processAt; throw new Error('not implemented'); }

  /** scheduleUniqueCmd. */
  async scheduleUnique(msg: TaskMessage, processAt: Date, ttlSeconds: number): Promise<void> { void msg; void processAt; void ttlSeconds; throw new Error('not implemented'); }

  /** addToGroupCmd: state aggregating, ZADD g:<group> now, SADD groups. */
  async addToGroup(msg: TaskMessage, group: string): Promise<void> { void msg; void group; throw new Error('not implemented'); }

  /** addToGroupUniqueCmd. */
  async addToGroupUnique(msg: TaskMessage, group: string, ttlSeconds: number): Promise<void> { void msg; void group; void ttlSeconds; throw new Error('not implemented'); }

  /**
   * Batch enqueue (Go BatchEnqueue): one pipeline of enqueue / schedule scripts (processAt in the
   * future → schedule). Returns one entry per item: null on success (Go reports skipped duplicate
   * IDs as success too), or the Error of that item.
   */
  async enqueueBatch(items: Array<{msg: TaskMessage; processAt?: Date}>): Promise<Array<Error | null>> { void items; throw new Error('not implemented'); }

  /** dequeueCmd per queue in the given order; null when every queue is empty or paused. */
  async dequeue(qnames: string[]): Promise<{msg: TaskMessage; leaseExpiresAt: Date} | null> { void qnames; throw new Error('not implemented'); }

  /** doneCmd / doneUniqueCmd (when msg.uniqueKey is set). TaskNotFoundError on NOT FOUND. */
  async done(msg: TaskMessage): Promise<void> { void msg; throw new Error('not implemented'); }

  /** markAsCompleteCmd(/Unique): sets completedAt = now, score = now + retention. */
  async markAsComplete(msg: TaskMessage): Promise<void> { void msg; throw new Error('not implemented'); }

  /** requeueCmd: back to the tail of pending (next to dequeue), no pending_since, no stats. */
  async requeue(msg: TaskMessage): Promise<void> { void msg; throw new Error('not implemented'); }

  /** retryCmd: retried+1 only if isFailure; errorMsg, lastFailedAt = now; ZADD retry processAt. */
  async retry(msg: TaskMessage, processAt: Date, errMsg: string, isFailure: boolean): Promise<void> { void msg; void processAt; void errMsg; void isFailure; throw new Error('not implemented'); }

  /** archiveCmd: with age (90 d) and size (10 000 → 9 999) trims deleting trimmed hashes. */
  async archive(msg: TaskMessage, errMsg: string): Promise<void> { void msg; void errMsg; throw new Error('not implemented'); }

  /** forwardCmd for scheduled then retry of every queue, 100 per call, until a call moves 0. Returns total moved. */
  async forwardIfReady(qnames: string[]): Promise<number> { void qnames; throw new Error('not implemented'); }

  /** deleteExpiredCompletedTasksCmd in batches until 0. Returns total deleted. */
  async deleteExpiredCompletedTasks(qname: string, batchSize: number): Promise<number> { void qname; void batchSize; throw new Error('not implemented'); }

  /** listLeaseExpiredCmd over the given queues: messages whose lease expired at or before cutoff. */
  async listLeaseExpired(cutoff: Date, qnames: string[]): Promise<TaskMessage[]> { void cutoff; void qnames; throw new Error('not implemented'); }

  /** ZADD lease XX now+30 for the ids; returns the new expiry. */
  async extendLease(qname: string, ids: string[]): Promise<Date> { void qname; void ids; throw new Error('not implemented'); }

  /** HSET result; returns bytes written. */
  async writeResult(qname: string, taskId: string, data: Uint8Array): Promise<number> { void qname; void taskId; void data; throw new Error('not implemented'); }

  /** PUBLISH asynq:cancel id. */
  async publishCancelation(taskId: string): Promise<void> { void taskId; throw new Error('not implemented'); }

  /**
   * SUBSCRIBE asynq:cancel on a duplicate connection; resolves once subscribed.
   * onCancel gets each published task id. close() unsubscribes and closes that connection.
   */
  async subscribeCancelation(onCancel: (taskId: string) => void): Promise<{close(): Promise<void>}> { void onCancel; throw new Error('not implemented'); }
}
