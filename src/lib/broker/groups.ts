/**
 * RDBGroups: task aggregation in Redis (Go asynq internal/rdb/rdb.go ListGroups, AggregationCheck,
 * ReadAggregationSet, DeleteAggregationSet, ReclaimStaleAggregationSets; their scripts
 * aggregationCheckCmd, readAggregationSetCmd, deleteAggregationSetCmd,
 * reclaimStateAggregationSetsCmd; the caller is aggregator.go).
 *
 * Flow (aggregator): listGroups → aggregationCheck (moves ready tasks into a set
 * `asynq:{q}:g:<group>:<setId>`, registered in `aggregation_sets` with a deadline of now + 120 s)
 * → readAggregationSet → enqueue the aggregated task → deleteAggregationSet. A set not deleted by
 * its deadline is merged back into its group by reclaimStaleAggregationSets (recoverer).
 */
import {randomUUID} from 'node:crypto';
import * as keys from '../base/keys.js';
import type {TaskMessage} from '../base/codec.js';
import {AGGREGATION_TIMEOUT_SECONDS} from '../base/states.js';
import {unixSeconds} from '../clock.js';
import {FailedPreconditionError, InternalError, ValidationError} from '../errors.js';
import {checkedMessage, corruptTrimArgs, type OnBadData} from './rdb.js';
import type {RedisSession} from './session.js';

/** When a group is ready for aggregation (Go GroupMaxSize, GroupMaxDelay, GroupGracePeriod). */
export interface AggregationCriteria {
  /** Aggregate as soon as the group holds this many tasks (taking exactly this many); 0 = unlimited. */
  maxSize: number;
  /** Aggregate once the oldest task waited this long; 0 = no limit. Truncated to whole seconds. */
  maxDelaySeconds: number;
  /** Aggregate once no task arrived for this long. Truncated to whole seconds. */
  gracePeriodSeconds: number;
}

export interface AggregationSet {
  /** Messages of the set's tasks in ascending score (arrival) order. */
  msgs: TaskMessage[];
  /** The set's deadline (whole seconds): the aggregated task must be enqueued before it. */
  deadline: Date;
}

export class RDBGroups {
  readonly #s: RedisSession;

  /** Works over `rdb`'s session (connection, scripts, clock). */
  constructor(rdb: {readonly session: RedisSession}) {
    this.#s = rdb.session;
  }

  /** SMEMBERS `asynq:{q}:groups`, sorted. Groups emptied by aggregation are not listed (Go quirk). */
  async listGroups(qname: string): Promise<string[]> {
    const groups = await this.#s.run('rdb.ListGroups', () => this.#s.client.smembers(keys.allGroups(qname)));
    return groups.sort();
  }

  /**
   * Aggregation check (Go aggregationCheckCmd) with the clock's now as the tick time. If the group is ready — size
   * ≥ maxSize (takes the maxSize oldest), oldest task ≥ maxDelay old, or newest task ≥ grace
   * period old (both take all) — moves those tasks with their scores into a new aggregation set
   * and returns its ID (UUIDv4); otherwise returns null and writes nothing. The group name is
   * removed from `groups` when the move empties the group. Task hashes keep state=aggregating.
   * Throws ValidationError for a negative or non-integer maxSize or negative durations.
   */
  async aggregationCheck(qname: string, group: string, criteria: AggregationCriteria): Promise<string | null> {
    const op = 'rdb.AggregationCheck';
    const {maxSize, maxDelaySeconds, gracePeriodSeconds} = criteria;
    if (!Number.isSafeInteger(maxSize) || maxSize < 0) throw new ValidationError(`${op}: maxSize must be a whole number ≥ 0, got ${maxSize}`);
    for (const [name, v] of [['maxDelaySeconds', maxDelaySeconds], ['gracePeriodSeconds', gracePeriodSeconds]] as const) {
      if (!Number.isFinite(v) || v < 0) throw new ValidationError(`${op}: ${name} must be ≥ 0, got ${v}`);
    }
    const setId = randomUUID();
    const now = unixSeconds(this.#s.clock.now());
    const created = await this.#s.script(op, 'aggregationCheck',
      [keys.groupKey(qname, group), keys.aggregationSetKey(qname, group, setId), keys.allAggregationSets(qname), keys.allGroups(qname)],
      [maxSize, Math.trunc(maxDelaySeconds), Math.trunc(gracePeriodSeconds), now + AGGREGATION_TIMEOUT_SECONDS, now, group],
    );
    if (created === 1) return setId;
    if (created === 0) return null;
    throw new InternalError(`${op}: unexpected return value from Lua script: ${String(created)}`);
  }

  /**
   * Reads an aggregation set (Go readAggregationSetCmd): the messages of its tasks in score order, then (separate
   * command) its deadline from `aggregation_sets`. A member whose task hash is gone is skipped.
   * A member that cannot be processed (a task key of another Redis type, no msg field, a message
   * that does not decode to one with an id, a type and a queue, or names another task) is moved
   * aside as RDB.dequeue() does: out of the set into the queue's corrupt zset with its reason, by
   * the moveAsideFromSet script, and reported to `onBadData`; the others are still returned (Go
   * fails the whole read, so the set is reclaimed into its group and fails again for ever).
   * Throws FailedPreconditionError when the set is not registered (deleted or reclaimed).
   */
  async readAggregationSet(qname: string, group: string, setId: string, onBadData: OnBadData = () => {}): Promise<AggregationSet> {
    const op = 'rdb.ReadAggregationSet';
    const setKey = keys.aggregationSetKey(qname, group, setId);
    const {raw, score} = await this.#s.run(op, async () => {
      const raw = (await this.#s.runner.runBuffer('readAggregationSet', [setKey], [keys.taskKeyPrefix(qname)])) as Array<Buffer | null>;
      const score = await this.#s.client.zscore(keys.allAggregationSets(qname), setKey);
      return {raw, score};
    });
    if (score === null) throw new FailedPreconditionError(`${op}: aggregation set "${setKey}" does not exist`);
    const msgs: TaskMessage[] = [];
    for (let i = 0; i + 2 < raw.length; i += 3) {
      const id = String(raw[i]);
      const bytes = raw[i + 1];
      const msg = bytes ? checkedMessage(qname, id, bytes) : String(raw[i + 2]);
      if (typeof msg !== 'string') {
        msgs.push(msg);
        continue;
      }
      const moved = await this.#s.script(op, 'moveAsideFromSet',
        [setKey, keys.corruptKey(qname), keys.corruptReasonsKey(qname), keys.taskKey(qname, id)],
        [id, msg, ...corruptTrimArgs(this.#s.clock.now()), keys.taskKeyPrefix(qname)]);
      if (moved === 1) onBadData({queue: qname, id, reason: msg});
    }
    return {msgs, deadline: new Date(Math.trunc(Number(score)) * 1000)};
  }

  /**
   * Deletes an aggregation set after its aggregated task was enqueued (Go deleteAggregationSetCmd): DELs every member's
   * task hash and the set key, and ZREMs it from `aggregation_sets`. Unique locks are not released.
   */
  async deleteAggregationSet(qname: string, group: string, setId: string): Promise<void> {
    const setKey = keys.aggregationSetKey(qname, group, setId);
    await this.#s.script('rdb.DeleteAggregationSet', 'deleteAggregationSet', [setKey, keys.allAggregationSets(qname)], [keys.taskKeyPrefix(qname)]);
  }

  /**
   * Recoverer step (Go reclaimStateAggregationSetsCmd): every set whose deadline ≤ now is merged
   * back into its group with the original scores and deleted, and removed from `aggregation_sets`.
   * Like Go, the group name is not added back to `groups` (a Go quirk: until another task joins
   * it, the aggregator does not see the group).
   */
  async reclaimStaleAggregationSets(qname: string): Promise<void> {
    await this.#s.script('rdb.ReclaimStaleAggregationSets', 'reclaimStateAggregationSets',
      [keys.allAggregationSets(qname)], [unixSeconds(this.#s.clock.now())]);
  }
}
