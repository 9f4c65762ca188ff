/**
 * RDB.finishAndDequeue (finishAndDequeue-11.lua): finishing a task and claiming the next of its
 * queue in one call must leave exactly what the separate scripts leave: done / doneUnique /
 * markAsComplete / markAsCompleteUnique (Go's doneCmd, markAsCompleteCmd), then RDB.dequeue of the
 * same queue (dequeue-6.lua: unusable pending ids and undecodable messages moved aside and reported,
 * a wrong-typed queue key reported); a failed finish dequeues nothing.
 */
import {describe, expect, it} from 'vitest';
import * as keys from '../../../src/lib/base/keys.js';
import type {TaskMessage} from '../../../src/lib/base/codec.js';
import type {BadData, RDB} from '../../../src/lib/broker/rdb.js';
import {InternalError, TaskNotFoundError} from '../../../src/lib/errors.js';
import {dumpAll, dumpAllSince} from '../../support/dump.js';
import {useRedis} from '../../support/redis.js';
import {makeMsg, newRdb} from '../../support/seed.js';

const r = useRedis();

interface Case {
  name: string;
  /** The task to finish (it is enqueued first, then dequeued, unless `leased` is false). */
  msg: TaskMessage;
  /** Tasks enqueued behind it. */
  behind: number;
  paused?: boolean;
  leased?: boolean;
  /** Bad data for the dequeue part (the finish succeeds): the expected outcome. */
  bad?: string;
  /** Arranges a failure (or bad data) after the dequeue. */
  spoil?: (rdb: RDB, msg: TaskMessage) => Promise<unknown>;
}

const uniq = (id: string, over: Partial<TaskMessage> = {}): TaskMessage =>
  makeMsg(id, {uniqueKey: `asynq:{default}:unique:task:${id}:x`, uniqueKeyDeadline: 0, ...over});

const CASES: Case[] = [
  {name: 'done, a task behind', msg: makeMsg('t1'), behind: 2},
  {name: 'doneUnique, a task behind', msg: uniq('t1'), behind: 1},
  {name: 'markAsComplete, a task behind', msg: makeMsg('t1', {retention: 3600}), behind: 1},
  {name: 'markAsCompleteUnique, queue empty', msg: uniq('t1', {retention: 60}), behind: 0},
  {name: 'done, queue empty', msg: makeMsg('t1'), behind: 0},
  {name: 'done, queue paused', msg: makeMsg('t1'), behind: 2, paused: true},
  {name: 'done, task not active (NOT FOUND)', msg: makeMsg('t1'), behind: 1, leased: false},
  {name: 'done, task hash gone (NOT FOUND after removal from active)', msg: makeMsg('t1'), behind: 1,
    spoil: (rdb) => rdb.client.del(keys.taskKey('default', 't1'))},
  {name: 'markAsComplete, already in completed (INTERNAL)', msg: makeMsg('t1', {retention: 60}), behind: 1,
    spoil: (rdb) => rdb.client.zadd(keys.completedKey('default'), 1, 't1')},
  {name: 'done, next ids unusable (no hash, a string, no msg, undecodable msg), a task behind', msg: makeMsg('t1'), behind: 1, bad: 'task next0',
    spoil: async (rdb) => {
      await rdb.client.rpush(keys.pendingKey('default'), 'ghost', 'str', 'nomsg', 'junk');
      await rdb.client.set(keys.taskKey('default', 'str'), 'x');
      await rdb.client.hset(keys.taskKey('default', 'nomsg'), 'state', 'pending');
      await rdb.client.hset(keys.taskKey('default', 'junk'), 'msg', Buffer.from([0xff, 0xff, 0xff]), 'state', 'pending');
    }},
  {name: 'markAsComplete, next id without hash, queue empty behind it', msg: makeMsg('t1', {retention: 60}), behind: 0, bad: 'none',
    spoil: (rdb) => rdb.client.rpush(keys.pendingKey('default'), 'ghost')},
  {name: 'doneUnique, corrupt_reasons key a string (WRONGTYPE: finished, nothing dequeued)', msg: uniq('t1'), behind: 1, bad: 'none',
    spoil: (rdb) => rdb.client.set(keys.corruptReasonsKey('default'), 'x')},
];

async function arrange(c: Case): Promise<RDB> {
  const {rdb} = newRdb(r.redis);
  if (c.msg.uniqueKey) await rdb.enqueueUnique(c.msg, 300);
  else await rdb.enqueue(c.msg);
  for (let i = 0; i < c.behind; i++) await rdb.enqueue(makeMsg(`next${i}`));
  if (c.leased !== false) await rdb.dequeue(['default']);
  if (c.paused) await r.redis.set(keys.pausedKey('default'), '1');
  await c.spoil?.(rdb, c.msg);
  return rdb;
}

/** The result or the error class of a call. */
async function outcome(p: Promise<{msg: TaskMessage} | null | void>): Promise<string> {
  try {
    const res = await p;
    return res ? `task ${res.msg.id}` : 'none';
  } catch (err) {
    return (err as Error).constructor.name;
  }
}

describe('RDB.finishAndDequeue', () => {
  it.each(CASES)('$name: the state of the separate scripts', async (c) => {
    const fusedBad: BadData[] = [];
    const fused = await outcome((await arrange(c)).finishAndDequeue(c.msg, 60_000, (b) => void fusedBad.push(b)));
    const afterFused = await dumpAll(r.redis);

    await r.redis.flushall();
    const rdb = await arrange(c);
    const separateBad: BadData[] = [];
    let separate = await outcome(c.msg.retention > 0 ? rdb.markAsComplete(c.msg) : rdb.done(c.msg));
    if (separate === 'none') separate = await outcome(rdb.dequeue(['default'], 60_000, (b) => void separateBad.push(b)));
    expect(fused).toBe(separate);
    expect(afterFused).toEqual(await dumpAllSince(r.redis, afterFused)); // same TTLs up to the second boundary
    // The same reports; a skipped queue's reason names the operation (rdb.FinishAndDequeue, rdb.Dequeue).
    const sameOp = (b: BadData): BadData => ({...b, reason: b.reason.replace(/^rdb\.FinishAndDequeue: /, 'rdb.Dequeue: ')});
    expect(fusedBad.map(sameOp)).toEqual(separateBad);
    expect(fusedBad.length > 0).toBe(c.bad !== undefined);
    if (c.bad !== undefined) expect(fused).toBe(c.bad);
    else if (c.leased === false || c.spoil) expect([TaskNotFoundError.name, InternalError.name]).toContain(fused);
    else expect(fused).toBe(c.behind > 0 && !c.paused ? 'task next0' : 'none');
  });
});
